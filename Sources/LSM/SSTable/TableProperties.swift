/// Facts about a table recorded when it is written: counts, sizes and its key range.
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
    /// The smallest internal key in the table.
    var smallestKey: [UInt8] = []
    /// The largest internal key in the table.
    var largestKey: [UInt8] = []
    /// Size of the whole file; not stored in the block but taken from the file.
    var fileSize: UInt64 = 0

    /// Property names, in the (bytewise) order they are stored.
    enum Name {
        static let dataBlocks = "lsm.data.blocks"
        static let deletions = "lsm.deletions"
        static let entries = "lsm.entries"
        static let largestKey = "lsm.largest.key"
        static let rawKeySize = "lsm.raw.key.size"
        static let rawValueSize = "lsm.raw.value.size"
        static let smallestKey = "lsm.smallest.key"
    }

    /// The properties block's contents (without trailer). Counts are varint64s, keys their raw bytes.
    func encodedBlock() -> [UInt8] {
        func varint(_ value: UInt64) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.appendVarint64(value)
            return bytes
        }
        let entries: [(String, [UInt8])] = [
            (Name.dataBlocks, varint(dataBlockCount)),
            (Name.deletions, varint(deletionCount)),
            (Name.entries, varint(entryCount)),
            (Name.largestKey, largestKey),
            (Name.rawKeySize, varint(rawKeyBytes)),
            (Name.rawValueSize, varint(rawValueBytes)),
            (Name.smallestKey, smallestKey),
        ]
        var builder = BlockBuilder(restartInterval: 1)
        for (name, value) in entries {
            let nameBytes = Array(name.utf8)
            nameBytes.withUnsafeBytes { k in value.withUnsafeBytes { v in builder.add(key: k, value: v) } }
        }
        return builder.finish()
    }
}

extension TableProperties {
    /// Parses a properties block. Every name this version writes must be present with a well-formed value, and the
    /// keys must be internal keys; otherwise `.corruption` (offsets relative to the block).
    init(block: Block, fileSize: UInt64) throws(LSMError) {
        self.fileSize = fileSize
        var seen = Set<String>()
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
            default: break
            }
            seen.insert(name)
            try iterator.next()
        }
        let required = [Name.dataBlocks, Name.deletions, Name.entries, Name.largestKey, Name.rawKeySize,
                        Name.rawValueSize, Name.smallestKey]
        for name in required where !seen.contains(name) {
            throw LSMError.corruption("table properties lack \(name)")
        }
    }
}
