/// A position in a whole table: a cursor over the index block picks the data block, and a cursor over that block
/// yields the entries. The state and moves of ``TableIterator``, as a value that a level iterator keeps inline, so
/// stepping through a table goes through no further objects (each costing reference counting on every step).
///
/// Moving past either end of a data block steps the index and opens the neighbouring block, skipping blocks with no
/// entries. Errors name the table's file and the offset of the block involved; after one the cursor is invalid.
/// Not copyable: its block cursors own their key buffers.
struct TableCursor: ~Copyable {
    let table: Table
    private var index: BlockCursor
    private var data: BlockCursor
    /// The block holding what `data` reads, kept alive while it does; nil when no block is open or when it reads a
    /// block in the table's mapping, which lives as long as the table.
    private var dataBlock: Block?
    /// Handle of the block `data` reads; nil when none is open.
    private var dataHandle: BlockHandle?
    /// Whether blocks read from the file (or decompressed) go into the block cache.
    private let fillsCache: Bool

    /// A cursor over `table`; with `fillsCache` false, blocks not already cached are read without being cached, as
    /// a compaction reads (LevelDB's `fill_cache`), so a pass over whole tables does not evict what reads use.
    init(table: Table, fillsCache: Bool = true) {
        self.table = table
        self.fillsCache = fillsCache
        index = table.indexBlock.makeCursor(order: .internalKey)
        data = BlockCursor()
    }

    var isValid: Bool { data.isValid }

    var key: UnsafeRawBufferPointer { data.key }

    var value: UnsafeRawBufferPointer { data.value }

    /// File offset of the current data block (for error reports), or of the index block when there is none.
    var currentBlockOffset: UInt64 { dataHandle?.offset ?? table.footer.indexHandle.offset }

    mutating func seekToFirst() throws(LSMError) { try seekToEnd(first: true) }

    mutating func seekToLast() throws(LSMError) { try seekToEnd(first: false) }

    /// Positions at the first entry (`first`) or the last one, skipping blocks that hold none.
    private mutating func seekToEnd(first: Bool) throws(LSMError) {
        try guarded { (cursor: inout TableCursor) throws(LSMError) in
            try cursor.indexMove { (index: inout BlockCursor) throws(LSMError) in
                if first { try index.seekToFirst() } else { try index.seekToLast() }
            }
            try cursor.openBlock()
            try cursor.dataMove { (data: inout BlockCursor) throws(LSMError) in
                if first { try data.seekToFirst() } else { try data.seekToLast() }
            }
            try cursor.skipEmptyBlocks(forward: first)
        }
    }

    /// Positions at the first entry at or after `target`. The index gives the first block whose separator is at or
    /// after the target; if all of that block's keys are below it, the answer is the next block's first entry.
    mutating func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) {
        try guarded { (cursor: inout TableCursor) throws(LSMError) in
            try cursor.indexMove { (index: inout BlockCursor) throws(LSMError) in try index.seek(target) }
            try cursor.openBlock()
            try cursor.dataMove { (data: inout BlockCursor) throws(LSMError) in try data.seek(target) }
            try cursor.skipEmptyBlocks(forward: true)
        }
    }

    mutating func next() throws(LSMError) {
        assert(isValid)
        try guarded { (cursor: inout TableCursor) throws(LSMError) in
            try cursor.dataMove { (data: inout BlockCursor) throws(LSMError) in try data.next() }
            if !cursor.data.isValid { try cursor.skipEmptyBlocks(forward: true) }
        }
    }

    mutating func prev() throws(LSMError) {
        assert(isValid)
        try guarded { (cursor: inout TableCursor) throws(LSMError) in
            try cursor.dataMove { (data: inout BlockCursor) throws(LSMError) in try data.prev() }
            if !cursor.data.isValid { try cursor.skipEmptyBlocks(forward: false) }
        }
    }

    /// Runs a move, leaving the cursor invalid if it throws.
    @inline(__always)
    private mutating func guarded(_ move: (inout TableCursor) throws(LSMError) -> Void) throws(LSMError) {
        do {
            try move(&self)
        } catch {
            closeBlock()
            throw error
        }
    }

    /// Runs a move of the index cursor, placing its errors in the file.
    @inline(__always)
    private mutating func indexMove(_ move: (inout BlockCursor) throws(LSMError) -> Void) throws(LSMError) {
        do {
            try move(&index)
        } catch {
            throw error.locatedInBlock(path: table.path, blockOffset: table.footer.indexHandle.offset)
        }
    }

    /// Runs a move of the data cursor, placing its errors in the file.
    @inline(__always)
    private mutating func dataMove(_ move: (inout BlockCursor) throws(LSMError) -> Void) throws(LSMError) {
        do {
            try move(&data)
        } catch {
            guard let dataHandle else {
                throw error.locatedInBlock(path: table.path, blockOffset: currentBlockOffset)
            }
            throw table.locate(error, inDataBlock: dataHandle, owner: dataBlock)
        }
    }

    /// Leaves the cursor invalid, as after moving past either end.
    mutating func invalidate() {
        closeBlock()
    }

    private mutating func closeBlock() {
        data.reseatOnNothing()
        dataBlock = nil
        dataHandle = nil
    }

    /// Points `data` at the block the index is on (keeping the current cursor if it is that block already), or
    /// closes it when the index is exhausted.
    private mutating func openBlock() throws(LSMError) {
        guard index.isValid else { return closeBlock() }
        guard let handle = BlockHandle(decoding: index.value) else {
            throw LSMError.corruption("malformed block handle in the index", path: table.path,
                                      offset: table.footer.indexHandle.offset)
        }
        if handle == dataHandle { return }
        let found = try table.dataBlockContents(handle, fillingCache: fillsCache)
        if let owner = found.owner {
            data.reseat(on: owner, order: table.dataKeyOrder)
        } else {
            do {
                try data.reseat(contents: found.contents, order: table.dataKeyOrder)
            } catch {
                throw table.locate(error, inDataBlock: handle, owner: nil)
            }
        }
        dataBlock = found.owner
        dataHandle = handle
    }

    /// After a move left the data cursor off its block (past its end going forward, before its start going
    /// backward), moves to the nearest entry of the next block in that direction that has one, or becomes invalid
    /// beyond the last block.
    private mutating func skipEmptyBlocks(forward: Bool) throws(LSMError) {
        while !data.isValid {
            guard index.isValid else { return closeBlock() }
            try indexMove { (index: inout BlockCursor) throws(LSMError) in
                if forward { try index.next() } else { try index.prev() }
            }
            try openBlock()
            guard dataHandle != nil else { return }
            try dataMove { (data: inout BlockCursor) throws(LSMError) in
                if forward { try data.seekToFirst() } else { try data.seekToLast() }
            }
        }
    }
}
