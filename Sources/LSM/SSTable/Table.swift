/// An open, immutable table file, safe to read from many threads at once.
///
/// Opening reads the file tail first: the footer, then the index, filter and properties blocks, which stay in memory
/// for the table's life. Data blocks are read on demand: in place from a memory-mapped file, each block's checksum
/// verified on its first read; otherwise through the shared block cache when there is one, verified on every read
/// from disk.
final class Table: Sendable {
    let fileNumber: UInt64
    let properties: TableProperties
    let footer: Footer
    /// The filter over the table's user keys, or nil when the table was written without one.
    let filter: BloomFilter?
    let file: any ReadableFile
    /// The index block: one entry per data block, a separator key mapping to the block's handle.
    let indexBlock: Block
    /// How the data blocks store their keys: with packed trailers from table format version 4.
    let dataKeyOrder: BlockKeyOrder
    private let blockCache: LRUCache<Block>?
    /// The table's range deletions, read when it opens.
    let rangeTombstones: RangeTombstoneSet
    /// Whether there are any: a lookup tests this flag rather than the set, which it would copy.
    private let hasRangeTombstones: Bool
    /// For a memory-mapped table, the data blocks verified so far; nil when the file is read with system calls.
    private let verifiedBlocks: VerifiedBlocks?

    var path: String { file.path }

    /// Opens the table in `file`, reading and checking its footer, index, filter and properties. When
    /// `databaseID` is given, a table that records an identity must be table `fileNumber` of that database
    /// (`.corruption` otherwise: it was copied or renamed from elsewhere); tables of format version 1 record none.
    init(file: any ReadableFile, fileNumber: UInt64, blockCache: LRUCache<Block>?,
         databaseID: DatabaseID? = nil) throws(LSMError) {
        self.file = file
        self.fileNumber = fileNumber
        self.blockCache = blockCache
        let size = file.size
        guard size >= UInt64(Footer.encodedLength) else {
            throw LSMError.corruption("not an SSTable (\(size) bytes is shorter than a table footer)",
                                      path: file.path, offset: 0)
        }
        let footerBytes = try file.readExactly(at: size - UInt64(Footer.encodedLength), count: Footer.encodedLength)
        let footer = try footerBytes.withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in
            try Footer.decode(bytes, path: file.path, fileSize: size)
        }
        let indexBlock = try Block.read(from: file, handle: footer.indexHandle)
        var filter: BloomFilter?
        if footer.filterHandle.size > 0 {
            let contents = try Block.readContents(from: file, handle: footer.filterHandle)
            guard let parsed = BloomFilter(contents: contents) else {
                throw LSMError.corruption("malformed filter block (probe count \(contents.last ?? 0))",
                                          path: file.path, offset: footer.filterHandle.offset)
            }
            filter = parsed
        }
        let propertiesBlock = try Block.read(from: file, handle: footer.propertiesHandle)
        let properties: TableProperties
        do {
            properties = try TableProperties(block: propertiesBlock, fileSize: size, formatVersion: footer.formatVersion)
        } catch {
            throw propertiesBlock.locate(error, path: file.path, blockOffset: footer.propertiesHandle.offset)
        }
        if let databaseID,
           let mismatch = properties.identity?.mismatch(databaseID: databaseID, fileNumber: fileNumber) {
            throw LSMError.corruption(mismatch, path: file.path, offset: footer.propertiesHandle.offset)
        }
        self.footer = footer
        self.indexBlock = indexBlock
        dataKeyOrder = footer.formatVersion >= 4 ? .packedInternalKey : .internalKey
        self.filter = filter
        self.properties = properties
        rangeTombstones = try Self.readRangeTombstones(from: file, properties: properties, footer: footer)
        hasRangeTombstones = !rangeTombstones.isEmpty
        verifiedBlocks = file.mappedContents == nil ? nil : VerifiedBlocks(index: indexBlock)
    }

    /// About the memory the open table holds: its index and filter blocks, its decoded properties (counted as
    /// their block's size), its range deletions and a kilobyte for the rest.
    var metadataBytes: Int {
        indexBlock.byteCount + (filter?.byteCount ?? 0) + Int(clamping: footer.propertiesHandle.size)
            + rangeTombstones.memoryBytes + 1024
    }

    /// Reads and checks the range deletion block `properties` point to (docs/FORMAT.md, "Range deletions"): each
    /// entry's key is the internal key of a range deletion, its value an end above its start, in internal-key
    /// order, as many as the properties say, within the table's bounds.
    private static func readRangeTombstones(
        from file: any ReadableFile, properties: TableProperties, footer: Footer
    ) throws(LSMError) -> RangeTombstoneSet {
        guard let handle = properties.rangeDeletionHandle else { return .empty }
        guard handle.fits(within: properties.fileSize - UInt64(Footer.encodedLength)) else {
            throw LSMError.corruption("range deletion block handle (offset \(handle.offset), size \(handle.size)) "
                                      + "points outside the table's blocks", path: file.path,
                                      offset: footer.propertiesHandle.offset)
        }
        var tombstones: [RangeTombstone] = []
        do throws(LSMError) {
            let iterator = try Block.read(from: file, handle: handle).makeIterator(order: .internalKey)
            var previous: [UInt8]?
            try iterator.seekToFirst()
            while iterator.isValid {
                guard let parsed = ParsedInternalKey(iterator.key), parsed.kind == .rangeDeletion else {
                    throw LSMError.corruption("range deletion block entry is not a range deletion")
                }
                guard compareBytes(parsed.userKey, iterator.value) < 0 else {
                    throw LSMError.corruption("range deletion does not end above its start")
                }
                guard previous.map({ $0.withUnsafeBytes { compareInternalKeys($0, iterator.key) < 0 } }) ?? true else {
                    throw LSMError.corruption("range deletions out of order")
                }
                let tombstone = RangeTombstone(start: parsed.userKey.array, end: iterator.value.array,
                                               sequence: parsed.sequence)
                guard compareInternalKeys(tombstone.smallestBound, properties.smallestKey) >= 0,
                      compareInternalKeys(tombstone.largestBound, properties.largestKey) <= 0 else {
                    throw LSMError.corruption("range deletion lies outside the table's bounds")
                }
                tombstones.append(tombstone)
                previous = iterator.key.array
                try iterator.next()
            }
            guard tombstones.count == properties.rangeDeletionCount else {
                throw LSMError.corruption("range deletion block holds \(tombstones.count) range deletions; the "
                                          + "properties say \(properties.rangeDeletionCount)")
            }
        } catch {
            throw error.locatedInBlock(path: file.path, blockOffset: handle.offset)
        }
        return RangeTombstoneSet(tombstones)
    }

    /// False when the filter rules `userKey` out; true otherwise (always, without a filter).
    func mayContain(_ userKey: UnsafeRawBufferPointer) -> Bool {
        filter?.mayContain(userKey) ?? true
    }

    /// The newest entry for `userKey` with a sequence at or below `sequence`.
    ///
    /// Checks the filter, then seeks to `(userKey, sequence, .forSeek)`: the first entry at or after that key is the
    /// answer if it has the same user key (it may be the first entry of the next block). Cursors on the stack walk
    /// the index and the data block in place, so a lookup allocates nothing but the value it returns.
    func get(_ userKey: UnsafeRawBufferPointer, sequence: SequenceNumber) throws(LSMError) -> LookupResult {
        try get(userKey, hash: BloomFilter.hash(userKey), sequence: sequence)
    }

    /// ``get(_:sequence:)`` given the key's ``BloomFilter/hash(_:)``, which a lookup computes once for every table.
    func get(
        _ userKey: UnsafeRawBufferPointer, hash: UInt64, sequence: SequenceNumber
    ) throws(LSMError) -> LookupResult {
        // A range deletion of this table covering the key hides its older entries here, as a tombstone would.
        let covering = hasRangeTombstones ? rangeTombstones.coveringSequence(userKey, atOrBelow: sequence) : nil
        guard filter?.mayContain(hash: hash) ?? true else { return covering == nil ? .notFound : .deleted }
        return try withInternalKey(userKey, min(sequence, maxSequenceNumber), .forSeek) {
            (target: UnsafeRawBufferPointer) throws(LSMError) -> LookupResult in
            var index = try indexCursor(seekingTo: target)
            while index.isValid {
                let handle = try dataBlockHandle(at: index)
                let found = try withDataBlockContents(handle) {
                    (contents: UnsafeRawBufferPointer) throws(LSMError) -> LookupResult? in
                    var data = try BlockCursor(contents: contents, order: dataKeyOrder)
                    try data.seek(target)
                    // Every key of the block is below the target: the answer is the next block's first entry.
                    guard data.isValid else { return nil }
                    guard let parsed = ParsedInternalKey(data.key) else {
                        throw LSMError.corruption("table entry has an unknown value kind")
                    }
                    guard compareBytes(parsed.userKey, userKey) == 0 else {
                        return covering == nil ? .notFound : .deleted
                    }
                    if let covering, parsed.sequence < covering { return .deleted }
                    switch parsed.kind {
                    case .value: return .found(data.value.array)
                    case .deletion: return .deleted
                    case .valueWithExpiry:
                        guard let (expiry, value) = ExpiringValue.split(data.value) else {
                            throw LSMError.corruption("expiring value of \(data.value.count) bytes is shorter than "
                                                      + "its \(ExpiringValue.prefixSize)-byte expiry")
                        }
                        return .foundExpiring(value.array, expiresAt: expiry)
                    case .rangeDeletion:
                        throw LSMError.corruption("data block entry has the kind of a range deletion")
                    }
                }
                if let found { return found }
                do throws(LSMError) {
                    try index.next()
                } catch {
                    throw indexBlock.locate(error, path: path, blockOffset: indexOffset)
                }
            }
            return covering == nil ? .notFound : .deleted
        }
    }

    private var indexOffset: UInt64 { footer.indexHandle.offset }

    /// About where in the file the entries of `userKey` and the keys after it begin: the offset of the data block
    /// where a lookup of it would start, or the file's size when every key of the table is below it. Reads the
    /// index only.
    func approximateOffset(of userKey: UnsafeRawBufferPointer) throws(LSMError) -> UInt64 {
        try withInternalKey(userKey, maxSequenceNumber, .forSeek) {
            (target: UnsafeRawBufferPointer) throws(LSMError) -> UInt64 in
            let index = try indexCursor(seekingTo: target)
            guard index.isValid else { return properties.fileSize }
            return try dataBlockHandle(at: index).offset
        }
    }

    /// A cursor on the index entry of the first data block that may hold `target` (an internal key).
    @inline(__always)
    private func indexCursor(seekingTo target: UnsafeRawBufferPointer) throws(LSMError) -> BlockCursor {
        var index = indexBlock.makeCursor(order: .internalKey)
        do throws(LSMError) {
            try index.seek(target)
        } catch {
            throw indexBlock.locate(error, path: path, blockOffset: indexOffset)
        }
        return index
    }

    /// The data block handle of the index entry `index` is on.
    @inline(__always)
    private func dataBlockHandle(at index: borrowing BlockCursor) throws(LSMError) -> BlockHandle {
        guard let handle = BlockHandle(decoding: index.value) else {
            throw LSMError.corruption("malformed block handle in the index", path: path, offset: indexOffset)
        }
        return handle
    }

    /// A two-level iterator over every entry, in internal-key order.
    func makeIterator(fillsCache: Bool = true) -> TableIterator {
        TableIterator(table: self, fillsCache: fillsCache)
    }

    /// The data block at `handle`. A mapped table's raw block is read in place, its checksum verified on its first
    /// read only; a compressed one is decompressed into a block of its own, which goes through the block cache. Another
    /// table's blocks come from the block cache, or else are read (and verified) from disk and cached. With
    /// `fillingCache` false, a block that is not cached yet is not cached either.
    func dataBlock(_ handle: BlockHandle, fillingCache: Bool = true) throws(LSMError) -> Block {
        let found = try dataBlockContents(handle, fillingCache: fillingCache)
        if let owner = found.owner { return owner }
        do {
            return try Block.borrowing(found.contents, in: file)
        } catch {
            throw error.locatedInBlock(path: path, blockOffset: handle.offset)
        }
    }

    /// The contents of the data block at `handle`, and the block that holds them, which the caller keeps alive while
    /// it reads them; nil for a mapped table's raw block, read in place (as in ``dataBlock(_:fillingCache:)``) and
    /// valid as long as the table, so that reading it makes no ``Block``. The contents of a block are checked
    /// (the restart array, by ``Block``); those read in place are not.
    func dataBlockContents(_ handle: BlockHandle, fillingCache: Bool = true) throws(LSMError)
        -> (contents: UnsafeRawBufferPointer, owner: Block?) {
        guard let verifiedBlocks, let mapped = file.mappedContents else {
            let block = try cachedDataBlock(handle, filling: fillingCache) { () throws(LSMError) in
                try readDataBlock(handle)
            }
            return (block.bytes, block)
        }
        let stored = try storedDataBlock(handle, in: mapped, verifiedBlocks)
        guard stored.type == Block.uncompressedType else {
            do {
                let block = try decompressedDataBlock(handle, stored, fillingCache: fillingCache)
                return (block.bytes, block)
            } catch {
                throw error.locatedInBlock(path: path, blockOffset: handle.offset)
            }
        }
        return (stored.contents, nil)
    }

    /// Calls `body` with the contents of the data block at `handle` (``dataBlockContents(_:fillingCache:)``), valid
    /// during the call, and places its errors in the file.
    private func withDataBlockContents<R>(
        _ handle: BlockHandle, _ body: (UnsafeRawBufferPointer) throws(LSMError) -> R
    ) throws(LSMError) -> R {
        let found = try dataBlockContents(handle)
        do {
            return try withExtendedLifetime(found.owner) { () throws(LSMError) -> R in try body(found.contents) }
        } catch {
            throw locate(error, inDataBlock: handle, owner: found.owner)
        }
    }

    /// `error`, thrown while reading the contents of the data block at `handle` held by `owner` (nil when read in
    /// place), placed in the file.
    func locate(_ error: LSMError, inDataBlock handle: BlockHandle, owner: Block?) -> LSMError {
        guard let owner else { return error.locatedInBlock(path: path, blockOffset: handle.offset) }
        return owner.locate(error, path: path, blockOffset: handle.offset)
    }

    /// A mapped table's data block at `handle` as it lies in the mapping, and its type: the handle checked, and the
    /// trailer verified on the block's first read only.
    @inline(__always)
    private func storedDataBlock(_ handle: BlockHandle, in mapped: UnsafeRawBufferPointer,
                                 _ verifiedBlocks: VerifiedBlocks)
        throws(LSMError) -> (contents: UnsafeRawBufferPointer, type: UInt8) {
        try checkDataBlockHandle(handle)
        do {
            return try verifyingOnce(handle, in: verifiedBlocks) { (verifying: Bool) throws(LSMError) in
                try Block.storedInMapping(mapped, handle: handle, verifyingChecksum: verifying)
            }
        } catch {
            throw error.locatedInBlock(path: path, blockOffset: handle.offset)
        }
    }

    /// A mapped table's compressed data block at `handle`, stored as `stored`: from the block cache, or else
    /// decompressed (and cached when `fillingCache`). Offsets in errors are the block's.
    private func decompressedDataBlock(
        _ handle: BlockHandle, _ stored: (contents: UnsafeRawBufferPointer, type: UInt8), fillingCache: Bool = true
    ) throws(LSMError) -> Block {
        try cachedDataBlock(handle, filling: fillingCache) { () throws(LSMError) in
            try Block.decompressed(stored.contents, type: stored.type)
        }
    }

    /// The data block at `handle` from the block cache, or else made by `make` (and cached when `filling`).
    private func cachedDataBlock(_ handle: BlockHandle, filling: Bool = true, _ make: () throws(LSMError) -> Block)
        throws(LSMError) -> Block {
        let key = CacheKey(fileNumber: fileNumber, offset: handle.offset)
        if let cached = blockCache?.value(for: key) { return cached }
        let block = try make()
        if filling { blockCache?.insert(block, for: key, cost: block.byteCount) }
        return block
    }

    /// Reads a mapped table's block at `handle` with `read`, asking it to verify the checksum only if the block has
    /// not passed a check before, and records it once it has. A failed check is never recorded.
    private func verifyingOnce<T>(
        _ handle: BlockHandle, in verified: VerifiedBlocks, _ read: (Bool) throws(LSMError) -> T
    ) throws(LSMError) -> T {
        let verifying = !verified.contains(handle)
        let result = try read(verifying)
        if verifying { verified.insert(handle) }
        return result
    }

    /// Throws `.corruption` unless the data block at `handle` lies before the footer.
    private func checkDataBlockHandle(_ handle: BlockHandle) throws(LSMError) {
        guard handle.fits(within: properties.fileSize - UInt64(Footer.encodedLength)) else {
            throw LSMError.corruption("data block handle (offset \(handle.offset), size \(handle.size)) points "
                                      + "outside the table's blocks", path: path, offset: footer.indexHandle.offset)
        }
    }

    /// The data block at `handle` read (and verified) from the file, bypassing the cache; it must lie before the
    /// footer.
    private func readDataBlock(_ handle: BlockHandle) throws(LSMError) -> Block {
        try checkDataBlockHandle(handle)
        return try Block.read(from: file, handle: handle)
    }

    /// The index entries in order: each data block's separator key and handle (for `lsm dump --meta`).
    func indexEntries() throws(LSMError) -> [(separator: [UInt8], handle: BlockHandle)] {
        var entries: [(separator: [UInt8], handle: BlockHandle)] = []
        let iterator = indexBlock.makeIterator(order: .internalKey)
        do throws(LSMError) {
            try iterator.seekToFirst()
            while iterator.isValid {
                guard let handle = BlockHandle(decoding: iterator.value) else {
                    throw LSMError.corruption("malformed block handle in the index")
                }
                entries.append((iterator.key.array, handle))
                try iterator.next()
            }
        } catch {
            throw indexBlock.locate(error, path: path, blockOffset: footer.indexHandle.offset)
        }
        return entries
    }

    /// The type byte stored after the block at `handle`, read without verifying the block (for inspection).
    func storedType(of handle: BlockHandle) throws(LSMError) -> UInt8 {
        guard handle.fits(within: properties.fileSize) else {
            throw LSMError.corruption("block (offset \(handle.offset), size \(handle.size)) extends past the end of "
                                      + "the file", path: path, offset: handle.offset)
        }
        return try file.readExactly(at: handle.offset + handle.size, count: 1)[0]
    }

    /// Reads every data block from disk, verifying each checksum, that keys are well-formed internal keys in
    /// strictly increasing order, that each block sits within its index separators, that blocks are contiguous, that
    /// the filter holds every user key, and that the properties match the contents. Throws the first problem.
    func verify() throws(LSMError) {
        let entries = try indexEntries()
        var counted = TableProperties(fileSize: properties.fileSize, identity: properties.identity)
        var smallestSequence = SequenceNumber.max
        var largestSequence: SequenceNumber = 0
        var hasRewrittenSequences = false
        var previousKey: [UInt8]?
        var previousSeparator: [UInt8]?
        var expectedOffset: UInt64?
        for (separator, handle) in entries {
            if let previousSeparator, compareInternalKeys(previousSeparator, separator) >= 0 {
                throw LSMError.corruption("index separators out of order", path: path, offset: footer.indexHandle.offset)
            }
            if let expectedOffset, handle.offset != expectedOffset {
                throw LSMError.corruption("data block at \(handle.offset) does not follow the previous block",
                                          path: path, offset: handle.offset)
            }
            let block = try readDataBlock(handle)
            let iterator = block.makeIterator(order: dataKeyOrder)
            do throws(LSMError) {
                try iterator.seekToFirst()
                while iterator.isValid {
                    let key = iterator.key
                    try verifyEntry(key, after: previousKey, separator: separator, previousSeparator: previousSeparator)
                    if previousKey == nil { counted.smallestKey = key.array }
                    if let parsed = ParsedInternalKey(key) {
                        if parsed.kind == .deletion { counted.deletionCount += 1 }
                        if parsed.kind == .valueWithExpiry, iterator.value.count < ExpiringValue.prefixSize {
                            throw LSMError.corruption("expiring value of \(iterator.value.count) bytes is shorter "
                                                      + "than its \(ExpiringValue.prefixSize)-byte expiry")
                        }
                        if parsed.sequence == 0 {
                            hasRewrittenSequences = true
                        } else {
                            smallestSequence = min(smallestSequence, parsed.sequence)
                            largestSequence = max(largestSequence, parsed.sequence)
                        }
                    }
                    counted.entryCount += 1
                    counted.rawKeyBytes += UInt64(key.count)
                    counted.rawValueBytes += UInt64(iterator.value.count)
                    previousKey = key.array
                    try iterator.next()
                }
            } catch {
                throw block.locate(error, path: path, blockOffset: handle.offset)
            }
            counted.dataBlockCount += 1
            previousSeparator = separator
            expectedOffset = handle.offset + handle.size + UInt64(Block.trailerSize)
        }
        counted.largestKey = previousKey ?? []
        for tombstone in rangeTombstones.tombstones {
            counted.widenBounds(toHold: tombstone)
            smallestSequence = min(smallestSequence, tombstone.sequence)
            largestSequence = max(largestSequence, tombstone.sequence)
        }
        // The block itself was checked when the table opened.
        counted.rangeDeletionCount = properties.rangeDeletionCount
        counted.rangeDeletionHandle = properties.rangeDeletionHandle
        // Tables of format version 1 record no sequence range. An entry of sequence 0 had one of the range when it
        // was written (docs/FORMAT.md, "Internal keys"), so the range need only hold the others then.
        if let recorded = properties.sequenceRange, counted.entryCount > 0 || !rangeTombstones.isEmpty {
            let others = smallestSequence <= largestSequence ? smallestSequence...largestSequence : nil
            let othersFit = others.map { recorded.contains($0.lowerBound) && recorded.contains($0.upperBound) } ?? true
            counted.sequenceRange = hasRewrittenSequences && othersFit ? recorded : others
        }
        guard counted == properties else {
            throw LSMError.corruption("table properties do not match the table's contents", path: path,
                                      offset: footer.propertiesHandle.offset)
        }
    }

    /// Checks one key during ``verify()``: it parses, follows the previous key, lies within its block's separators,
    /// and is in the filter. Throws without a path (offsets relative to the block).
    private func verifyEntry(_ key: UnsafeRawBufferPointer, after previousKey: [UInt8]?, separator: [UInt8],
                             previousSeparator: [UInt8]?) throws(LSMError) {
        guard let parsed = ParsedInternalKey(key) else {
            throw LSMError.corruption("table entry has an unknown value kind")
        }
        let inOrder = previousKey.map { previous in previous.withUnsafeBytes { compareInternalKeys($0, key) < 0 } }
        guard inOrder ?? true else { throw LSMError.corruption("table keys out of order") }
        let belowSeparator = separator.withUnsafeBytes { compareInternalKeys(key, $0) <= 0 }
        let aboveLast = previousSeparator.map { last in last.withUnsafeBytes { compareInternalKeys(key, $0) > 0 } }
        guard belowSeparator, aboveLast ?? true else {
            throw LSMError.corruption("table key outside its block's index separators")
        }
        guard mayContain(parsed.userKey) else {
            throw LSMError.corruption("filter block is missing a key the table holds")
        }
    }
}
