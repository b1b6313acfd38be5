/// Facts about a table recorded when it is written: counts, sizes, its key and sequence ranges, and whose file it
/// is (docs/FORMAT.md, "Properties block").
///
/// The version model uses the key range to decide which tables a read or compaction touches; tools print the rest.
/// On disk they are a block (the ordinary block format, bytewise order) mapping names to values; a reader ignores
/// names it does not know, so later versions can add properties.
struct TableProperties: Sendable, Equatable {
    var entryCount: UInt64 = 0
    var deletionCount: UInt64 = 0
    var dataBlockCount: UInt64 = 0
    var rawKeyBytes: UInt64 = 0
    var rawValueBytes: UInt64 = 0
    /// The table's smallest bound: its smallest internal key, or the start of a range deletion below it
    /// (``RangeTombstone/smallestBound``).
    var smallestKey: [UInt8] = []
    /// The table's largest bound: its largest internal key, or the end of a range deletion above it
    /// (``RangeTombstone/largestBound``).
    var largestKey: [UInt8] = []
    /// Range deletions in the table's range deletion block.
    var rangeDeletionCount: UInt64 = 0
    /// Where the range deletion block is; nil when the table holds none.
    var rangeDeletionHandle: BlockHandle?
    /// Size of the whole file; not stored in the block but taken from the file.
    var fileSize: UInt64 = 0
    /// The database that wrote the table, and the file number it gave it (required from table format version 2).
    var identity: TableIdentity?
    /// The smallest and largest sequence numbers of the entries (required from table format version 2).
    var sequenceRange: ClosedRange<SequenceNumber>?

    /// Property names, in the (bytewise) order they are stored.
    enum Name {
        static let dataBlocks = "lsm.data.blocks"
        static let databaseID = "lsm.database.id"
        static let deletions = "lsm.deletions"
        static let entries = "lsm.entries"
        static let fileNumber = "lsm.file.number"
        static let largestKey = "lsm.largest.key"
        static let largestSequence = "lsm.largest.seq"
        static let rangeDeletions = "lsm.range.deletions"
        static let rangeDeletionBlock = "lsm.range.deletions.block"
        static let rawKeySize = "lsm.raw.key.size"
        static let rawValueSize = "lsm.raw.value.size"
        static let smallestKey = "lsm.smallest.key"
        static let smallestSequence = "lsm.smallest.seq"

        /// Present in every table.
        static let required = [dataBlocks, deletions, entries, largestKey, rawKeySize, rawValueSize, smallestKey]
        /// Present in every table of format version 2 or later.
        static let requiredFromVersion2 = [databaseID, fileNumber, largestSequence, smallestSequence]
    }

    /// Widens ``smallestKey`` and ``largestKey`` (empty: none yet) to hold `tombstone` whole, as its table's bounds
    /// must (docs/FORMAT.md, "Range deletions").
    mutating func widenBounds(toHold tombstone: RangeTombstone) {
        let start = tombstone.smallestBound
        if smallestKey.isEmpty || compareInternalKeys(start, smallestKey) < 0 { smallestKey = start }
        let end = tombstone.largestBound
        if largestKey.isEmpty || compareInternalKeys(end, largestKey) > 0 { largestKey = end }
    }

    /// The properties block's contents (without trailer). Counts are varint64s, keys their raw bytes.
    func encodedBlock() -> [UInt8] {
        func varint(_ value: UInt64) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.appendVarint64(value)
            return bytes
        }
        var entries: [(String, [UInt8])] = [
            (Name.dataBlocks, varint(dataBlockCount)),
            (Name.deletions, varint(deletionCount)),
            (Name.entries, varint(entryCount)),
            (Name.largestKey, largestKey),
            (Name.rawKeySize, varint(rawKeyBytes)),
            (Name.rawValueSize, varint(rawValueBytes)),
            (Name.smallestKey, smallestKey),
        ]
        if let identity {
            entries.append((Name.databaseID, identity.databaseID.bytes))
            entries.append((Name.fileNumber, varint(identity.fileNumber)))
        }
        if let sequenceRange {
            entries.append((Name.smallestSequence, varint(sequenceRange.lowerBound)))
            entries.append((Name.largestSequence, varint(sequenceRange.upperBound)))
        }
        if let rangeDeletionHandle {
            entries.append((Name.rangeDeletions, varint(rangeDeletionCount)))
            entries.append((Name.rangeDeletionBlock,
                            varint(rangeDeletionHandle.offset) + varint(rangeDeletionHandle.size)))
        }
        // A block's keys must be in order: names sort bytewise.
        entries.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        var builder = BlockBuilder(restartInterval: 1)
        for (name, value) in entries {
            let nameBytes = Array(name.utf8)
            nameBytes.withUnsafeBytes { k in value.withUnsafeBytes { v in builder.add(key: k, value: v) } }
        }
        return builder.finish()
    }
}

extension TableProperties {
    /// Parses the properties block of a table of format version `formatVersion`. Every name that version writes
    /// must be present with a well-formed value, the keys must be internal keys and the sequence range in order;
    /// otherwise `.corruption` (offsets relative to the block).
    init(block: Block, fileSize: UInt64, formatVersion: UInt32) throws(LSMError) {
        self.fileSize = fileSize
        var seen = Set<String>()
        var databaseID: DatabaseID?
        var fileNumber: UInt64?
        var smallestSequence: UInt64?
        var largestSequence: UInt64?
        let iterator = block.makeIterator(order: .bytewise)
        try iterator.seekToFirst()
        while iterator.isValid {
            let name = String(decoding: iterator.key, as: UTF8.self)
            let value = iterator.value
            func count() throws(LSMError) -> UInt64 {
                var reader = ByteReader(value)
                guard let n = reader.readVarint64(), reader.isAtEnd else {
                    throw LSMError.corruption("table property \(name) is not a varint")
                }
                return n
            }
            func internalKey() throws(LSMError) -> [UInt8] {
                guard ParsedInternalKey(value) != nil else {
                    throw LSMError.corruption("table property \(name) is not an internal key")
                }
                return value.array
            }
            switch name {
            case Name.dataBlocks: dataBlockCount = try count()
            case Name.deletions: deletionCount = try count()
            case Name.entries: entryCount = try count()
            case Name.largestKey: largestKey = try internalKey()
            case Name.rawKeySize: rawKeyBytes = try count()
            case Name.rawValueSize: rawValueBytes = try count()
            case Name.smallestKey: smallestKey = try internalKey()
            case Name.databaseID:
                guard let id = DatabaseID(bytes: value) else {
                    throw LSMError.corruption("table property \(name) is not \(DatabaseID.byteCount) bytes")
                }
                databaseID = id
            case Name.fileNumber: fileNumber = try count()
            case Name.rangeDeletions: rangeDeletionCount = try count()
            case Name.rangeDeletionBlock:
                guard let handle = BlockHandle(decoding: value) else {
                    throw LSMError.corruption("table property \(name) is not a block handle")
                }
                rangeDeletionHandle = handle
            case Name.smallestSequence: smallestSequence = try count()
            case Name.largestSequence: largestSequence = try count()
            default: break
            }
            seen.insert(name)
            try iterator.next()
        }
        let required = formatVersion >= 2 ? Name.required + Name.requiredFromVersion2 : Name.required
        for name in required where !seen.contains(name) {
            throw LSMError.corruption("table properties lack \(name)")
        }
        guard seen.contains(Name.rangeDeletions) == seen.contains(Name.rangeDeletionBlock),
              (rangeDeletionHandle == nil) == (rangeDeletionCount == 0) else {
            throw LSMError.corruption("table properties \(Name.rangeDeletions) and \(Name.rangeDeletionBlock) "
                                      + "disagree")
        }
        if let databaseID, let fileNumber { identity = TableIdentity(databaseID: databaseID, fileNumber: fileNumber) }
        if let smallestSequence, let largestSequence {
            guard smallestSequence <= largestSequence, largestSequence <= maxSequenceNumber else {
                throw LSMError.corruption("table sequence range \(smallestSequence)...\(largestSequence) is not valid")
            }
            sequenceRange = smallestSequence...largestSequence
        }
    }
}
