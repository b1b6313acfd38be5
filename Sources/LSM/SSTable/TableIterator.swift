/// Iterates over a whole table: an iterator over the index block picks the data block, and an iterator over that
/// block yields the entries.
///
/// Moving past either end of a data block steps the index and opens the neighbouring block, skipping blocks with no
/// entries. Errors name the table's file and the offset of the block involved; after one the iterator is invalid.
final class TableIterator: InternalIterator {
    private let table: Table
    private let index: BlockIterator
    private var data: BlockIterator?
    /// Handle of the block `data` iterates over.
    private var dataHandle: BlockHandle?

    init(table: Table) {
        self.table = table
        self.index = table.indexBlock.makeIterator()
    }

    var isValid: Bool { data?.isValid ?? false }

    var key: UnsafeRawBufferPointer { data?.key ?? UnsafeRawBufferPointer(start: nil, count: 0) }

    var value: UnsafeRawBufferPointer { data?.value ?? UnsafeRawBufferPointer(start: nil, count: 0) }

    /// File offset of the current data block (for error reports), or of the index block when there is none.
    var currentBlockOffset: UInt64 { dataHandle?.offset ?? table.footer.indexHandle.offset }

    func seekToFirst() throws(LSMError) { try seekToEnd(first: true) }

    func seekToLast() throws(LSMError) { try seekToEnd(first: false) }

    /// Positions at the first entry (`first`) or the last one, skipping blocks that hold none.
    private func seekToEnd(first: Bool) throws(LSMError) {
        try guarded { () throws(LSMError) in
            try indexMove { () throws(LSMError) in
                if first { try index.seekToFirst() } else { try index.seekToLast() }
            }
            try openBlock()
            try dataMove { () throws(LSMError) in
                if first { try data?.seekToFirst() } else { try data?.seekToLast() }
            }
            try skipEmptyBlocks(forward: first)
        }
    }

    /// Positions at the first entry at or after `target`. The index gives the first block whose separator is at or
    /// after the target; if all of that block's keys are below it, the answer is the next block's first entry.
    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) {
        try guarded { () throws(LSMError) in
            try indexMove { () throws(LSMError) in try index.seek(target) }
            try openBlock()
            try dataMove { () throws(LSMError) in try data?.seek(target) }
            try skipEmptyBlocks(forward: true)
        }
    }

    func next() throws(LSMError) {
        assert(isValid)
        // The common case, a step within the block, reads `data` once and skips the general path's closures.
        if let data {
            do {
                try data.next()
            } catch {
                let located = error.locatedInBlock(path: table.path, blockOffset: currentBlockOffset)
                self.data = nil
                dataHandle = nil
                throw located
            }
            if data.isValid { return }
        }
        try guarded { () throws(LSMError) in try skipEmptyBlocks(forward: true) }
    }

    func prev() throws(LSMError) {
        assert(isValid)
        try guarded { () throws(LSMError) in
            try dataMove { () throws(LSMError) in try data?.prev() }
            try skipEmptyBlocks(forward: false)
        }
    }

    /// Runs a move, leaving the iterator invalid if it throws.
    private func guarded(_ move: () throws(LSMError) -> Void) throws(LSMError) {
        do {
            try move()
        } catch {
            data = nil
            dataHandle = nil
            throw error
        }
    }

    /// Runs a move of the index iterator, placing its errors in the file.
    private func indexMove(_ move: () throws(LSMError) -> Void) throws(LSMError) {
        do {
            try move()
        } catch {
            throw error.locatedInBlock(path: table.path, blockOffset: table.footer.indexHandle.offset)
        }
    }

    /// Runs a move of the data iterator, placing its errors in the file.
    private func dataMove(_ move: () throws(LSMError) -> Void) throws(LSMError) {
        do {
            try move()
        } catch {
            throw error.locatedInBlock(path: table.path, blockOffset: currentBlockOffset)
        }
    }

    /// Points `data` at the block the index is on (keeping the current iterator if it is that block already), or
    /// clears it when the index is exhausted.
    private func openBlock() throws(LSMError) {
        guard index.isValid else {
            data = nil
            dataHandle = nil
            return
        }
        guard let handle = BlockHandle(decoding: index.value) else {
            throw LSMError.corruption("malformed block handle in the index", path: table.path,
                                      offset: table.footer.indexHandle.offset)
        }
        if handle == dataHandle, data != nil { return }
        let block = try table.dataBlock(handle)
        data = block.makeIterator()
        dataHandle = handle
    }

    /// After a move left the data iterator off its block (past its end going forward, before its start going
    /// backward), moves to the nearest entry of the next block in that direction that has one, or becomes invalid
    /// beyond the last block.
    private func skipEmptyBlocks(forward: Bool) throws(LSMError) {
        while !isValid {
            guard index.isValid else {
                data = nil
                dataHandle = nil
                return
            }
            try indexMove { () throws(LSMError) in if forward { try index.next() } else { try index.prev() } }
            try openBlock()
            try dataMove { () throws(LSMError) in
                if forward { try data?.seekToFirst() } else { try data?.seekToLast() }
            }
        }
    }
}
