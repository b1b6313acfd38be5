
/// Writes one table file from internal keys given in increasing order.
///
/// Data blocks are written as they fill; the index, filter, range deletions and properties are kept in memory and
/// written by ``finish()``, followed by the footer. A table must hold at least one entry or range deletion:
/// `finish()` refuses an empty one with `.invalidArgument`, since an empty table has no key range (callers skip the
/// file instead). After any error the builder is unusable and keeps throwing that error.
///
/// A value type, so the per-entry updates of its state need no runtime exclusivity checks (which cost more than
/// the updates themselves in a class); its owner keeps it in one place and mutates it there.
///
/// The bytes: docs/FORMAT.md, "File layout", "Block on disk" and "Index block".
struct TableBuilder {
    private let file: any WritableFile
    private let options: TableOptions
    private var dataBlock: BlockBuilder
    /// Restart interval 4: consecutive separators share most of their bytes, so the index is about a third smaller
    /// than with every entry a restart (18.4 KB instead of 28.9 for a 2 MiB table of benchmark keys), for a few more
    /// key comparisons per index seek.
    private var indexBlock = BlockBuilder(restartInterval: 4)
    private var filter: BloomFilterBuilder?
    private var compressor: BlockCompressor
    private var properties = TableProperties()
    /// Where the next block will start.
    private var offset: UInt64
    /// Finished blocks not yet handed to the file: they are written in pieces of about ``writeBufferSize``, not
    /// one system call per block.
    private var unwritten: [UInt8] = []
    /// The last key added (internal), kept to check order and to compute index separators.
    private var lastKey: [UInt8] = []
    /// The handle of the data block just written, whose index entry waits for the next block's first key.
    private var pendingHandle: BlockHandle?
    private var failure: LSMError?
    private var finished = false
    private var smallestSequence = SequenceNumber.max
    private var largestSequence: SequenceNumber = 0
    /// The range deletions, written in their own block by ``finish()``.
    private var rangeDeletions: [RangeTombstone] = []

    /// How many bytes of finished blocks are gathered before they are written to the file.
    static let writeBufferSize = 64 << 10

    /// A builder writing to `file` (empty) the table `identity` names.
    init(file: any WritableFile, options: TableOptions, identity: TableIdentity) {
        self.file = file
        self.options = options
        self.properties.identity = identity
        self.dataBlock = BlockBuilder(restartInterval: options.restartInterval, packsTrailers: true)
        self.filter = options.bloomBitsPerKey > 0 ? BloomFilterBuilder(bitsPerKey: options.bloomBitsPerKey) : nil
        self.compressor = BlockCompressor(options.compression)
        self.offset = file.size
    }

    /// Entries added so far.
    var entryCount: Int { Int(properties.entryCount) }

    /// Adds a range deletion, in any order relative to the entries and other range deletions.
    mutating func addRangeDeletion(_ tombstone: RangeTombstone) {
        rangeDeletions.append(tombstone)
    }

    /// Bytes written so far plus the block being filled: what the file would roughly be if finished now.
    var estimatedFileSize: UInt64 { offset + UInt64(dataBlock.estimatedSize) }

    /// Adds an entry. `key` is an internal key, strictly greater (in internal order) than the previous one. A key of
    /// sequence 0 in place of the one its write had (docs/FORMAT.md, "Internal keys") passes that one, or a later
    /// one when it is not known, as `writtenSequence`: the table's sequence range bounds the writes it holds.
    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                      writtenSequence: SequenceNumber? = nil) throws(LSMError) {
        try checkUsable()
        guard let parsed = ParsedInternalKey(key), parsed.kind != .rangeDeletion else {
            throw LSMError(.invalidArgument, "table key of \(key.count) bytes is not the internal key of an entry",
                           path: file.path)
        }
        let isFirst = properties.entryCount == 0
        assert(isFirst || lastKey.withUnsafeBytes { compareInternalKeys($0, key) < 0 },
               "table keys must be added in strictly increasing internal-key order")
        if let handle = pendingHandle {
            let separator = lastKey.withUnsafeBytes { Self.separator(after: $0, before: key) }
            addIndexEntry(separator: separator, handle: handle)
            pendingHandle = nil
        }
        if filter != nil {
            let isNewUserKey = isFirst || lastKey.withUnsafeBytes { compareBytes(userKey(of: $0), parsed.userKey) != 0 }
            if isNewUserKey { filter?.add(parsed.userKey) }
        }
        if isFirst { properties.smallestKey = key.array }
        let sequence = writtenSequence ?? parsed.sequence
        smallestSequence = min(smallestSequence, sequence)
        largestSequence = max(largestSequence, sequence)
        lastKey.replaceBytes(with: key, keepingPrefix: 0)
        properties.entryCount += 1
        if parsed.kind == .deletion { properties.deletionCount += 1 }
        properties.rawKeyBytes += UInt64(key.count)
        properties.rawValueBytes += UInt64(value.count)
        dataBlock.add(key: key, value: value)
        if dataBlock.estimatedSize >= options.blockSize { try flushDataBlock() }
    }

    /// Writes the last data block, the filter, properties and index blocks and the footer, and returns the table's
    /// properties. Does not sync or close the file.
    mutating func finish() throws(LSMError) -> TableProperties {
        try checkUsable()
        guard properties.entryCount > 0 || !rangeDeletions.isEmpty else {
            throw LSMError(.invalidArgument, "a table must hold at least one entry or range deletion", path: file.path)
        }
        finished = true
        do {
            try flushDataBlock()
            if let handle = pendingHandle {
                let separator = lastKey.withUnsafeBytes { Self.separator(after: $0, before: nil) }
                addIndexEntry(separator: separator, handle: handle)
                pendingHandle = nil
            }
            var filterHandle = BlockHandle(offset: offset, size: 0)
            if let filter {
                filterHandle = try writeBlock(filter.finish(), type: Block.uncompressedType)
            }
            properties.largestKey = lastKey
            if !rangeDeletions.isEmpty {
                properties.rangeDeletionHandle = try writeBlock(finishRangeDeletions(), type: Block.uncompressedType)
            }
            properties.sequenceRange = smallestSequence...largestSequence
            let propertiesHandle = try writeBlock(properties.encodedBlock(), type: Block.uncompressedType)
            let indexHandle = try writeBlock(indexBlock.finish(), type: Block.uncompressedType)
            let footer = Footer(filterHandle: filterHandle, propertiesHandle: propertiesHandle, indexHandle: indexHandle)
            unwritten.append(contentsOf: footer.encoded)
            try writeUnwritten()
            offset += UInt64(Footer.encodedLength)
            properties.fileSize = offset
            return properties
        } catch {
            failure = error
            throw error
        }
    }

    /// The range deletion block's contents (docs/FORMAT.md, "Range deletions"); widens the table's bounds and
    /// sequence range to the range deletions'.
    private mutating func finishRangeDeletions() -> [UInt8] {
        rangeDeletions.sort(by: RangeTombstone.storageOrder)
        var block = BlockBuilder(restartInterval: 1)
        for tombstone in rangeDeletions {
            tombstone.smallestBound.withUnsafeBytes { k in
                tombstone.end.withUnsafeBytes { v in block.add(key: k, value: v) }
            }
            properties.widenBounds(toHold: tombstone)
            smallestSequence = min(smallestSequence, tombstone.sequence)
            largestSequence = max(largestSequence, tombstone.sequence)
        }
        properties.rangeDeletionCount = UInt64(rangeDeletions.count)
        return block.finish()
    }

    private func checkUsable() throws(LSMError) {
        if let failure { throw failure }
        if finished { throw LSMError(.invalidArgument, "the table builder has already finished", path: file.path) }
    }

    private mutating func addIndexEntry(separator: [UInt8], handle: BlockHandle) {
        let value = handle.encoded
        separator.withUnsafeBytes { k in value.withUnsafeBytes { v in indexBlock.add(key: k, value: v) } }
    }

    /// Writes the data block being filled, if it has entries, compressed when that pays (``BlockCompressor``), and
    /// leaves its handle pending for the index.
    private mutating func flushDataBlock() throws(LSMError) {
        guard !dataBlock.isEmpty else { return }
        assert(pendingHandle == nil)
        let contents = dataBlock.finish()
        do {
            if let compressed = contents.withUnsafeBytes({ compressor.compress($0) }) {
                pendingHandle = try writeBlock(compressed, type: Block.lz4Type)
            } else {
                pendingHandle = try writeBlock(contents, type: Block.uncompressedType)
            }
        } catch {
            failure = error
            throw error
        }
        properties.dataBlockCount += 1
    }

    /// Queues `contents` (as stored: compressed when `type` says so) and their trailer (the type byte and masked
    /// checksum) for the file, writing the queue once it holds ``writeBufferSize`` bytes, and returns the block's
    /// handle.
    private mutating func writeBlock(_ contents: some Collection<UInt8>, type: UInt8) throws(LSMError) -> BlockHandle {
        let handle = BlockHandle(offset: offset, size: UInt64(contents.count))
        if unwritten.isEmpty { unwritten.reserveCapacity(Self.writeBufferSize + contents.count + Block.trailerSize) }
        let start = unwritten.count
        unwritten.append(contentsOf: contents)
        unwritten.append(type)
        let checksum = unwritten.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        unwritten.appendFixed32(CRC32C.mask(checksum))
        offset += UInt64(unwritten.count - start)
        if unwritten.count >= Self.writeBufferSize { try writeUnwritten() }
        return handle
    }

    /// Hands the queued blocks to the file.
    private mutating func writeUnwritten() throws(LSMError) {
        try file.append(unwritten)
        unwritten.removeAll(keepingCapacity: true)
    }

    /// A short internal key `s` with `last <= s < next` (or `last <= s` for the final block, `next == nil`), to keep
    /// the index small: when some user key lies strictly between the two user keys (or above the last one), the
    /// shortest such prefix-successor with the highest trailer; otherwise `last` itself.
    static func separator(after last: UnsafeRawBufferPointer, before next: UnsafeRawBufferPointer?) -> [UInt8] {
        let lastUser = userKey(of: last)
        var shortened: [UInt8]?
        if let next {
            let nextUser = userKey(of: next)
            let common = min(lastUser.count, nextUser.count)
            var i = 0
            while i < common && lastUser[i] == nextUser[i] { i += 1 }
            // Bumping the first differing byte of the last key gives a key above it; it is below the next key
            // only when that byte can grow without reaching the next key's byte.
            if i < common && lastUser[i] < 0xFF && lastUser[i] + 1 < nextUser[i] {
                var candidate = Array(lastUser[0...i])
                candidate[i] += 1
                shortened = candidate
            }
        } else if let i = lastUser.firstIndex(where: { $0 != 0xFF }) {
            var candidate = Array(lastUser[0...i])
            candidate[i] += 1
            shortened = candidate
        }
        guard let shortened else { return last.array }
        return makeInternalKey(shortened, maxSequenceNumber, .value)
    }
}
