/// A table file (`NNNNNN.sst`) opened read-only for inspection: its properties, layout, index and filter, its
/// entries in order, point lookups as a database read makes them, and a full verification.
///
/// This is the documented way for tools to look inside a table without opening a database; it reads the file
/// only and never takes a database's lock, so it works on tables of a database another process has open.
///
/// ```swift
/// let table = try TableFile.open("/tmp/db/000005.sst")
/// let cursor = table.entries()
/// while let entry = try cursor.next() { print(entry.key, entry.value.count) }
/// ```
///
/// Opening reads and checks the footer, index, filter and properties. A file that is not a table (too short, or
/// without the table magic number at its end) throws `.corruption` whose message starts with "not an SSTable"; a
/// newer table format throws `.unsupportedFormat`; damaged bytes throw `.corruption` naming the path and offset.
/// Data blocks are read when ``entries()``, ``get(_:sequence:)`` or ``verify()`` reach them, and their checksums
/// checked then.
public final class TableFile: Sendable {
    /// What the table's properties block records about it.
    public struct Properties: Sendable, Hashable {
        /// Entries, values and tombstones together.
        public var entryCount: UInt64
        /// Tombstones among the entries.
        public var deletionCount: UInt64
        public var dataBlockCount: UInt64
        /// Bytes of all internal keys (user keys plus 8-byte trailers).
        public var rawKeyBytes: UInt64
        /// Bytes of all values.
        public var rawValueBytes: UInt64
        public var fileSize: UInt64
        /// The table's format version (from its footer).
        public var formatVersion: UInt32
        /// The first entry's key.
        public var smallest: InspectedKey
        /// The last entry's key.
        public var largest: InspectedKey
        /// The database that wrote the table and the file number it gave it (format version 2; nil in version 1).
        public var databaseID: DatabaseID?
        public var fileNumber: UInt64?
        /// The smallest and largest sequence numbers of the entries (format version 2; nil in version 1).
        public var sequenceRange: ClosedRange<UInt64>?
    }

    /// The footer: where the metadata blocks are.
    public struct FooterInfo: Sendable, Hashable {
        /// Where the 64-byte footer starts (the file size minus 64).
        public var offset: UInt64
        /// The filter block, or nil when the table was written without a filter.
        public var filter: BlockLocation?
        public var properties: BlockLocation
        public var index: BlockLocation
        public var formatVersion: UInt32
    }

    /// One entry of the index block: the data block it points to and a key at or above every key in that block
    /// and below every key of the next (often shorter than the real keys).
    public struct IndexEntry: Sendable, Hashable {
        public var separator: InspectedKey
        public var block: BlockLocation
        /// How the block is stored, as its type byte says (read without the checksum, which ``verify()`` checks):
        /// nil for a type this build does not read.
        public var compression: Compression?
    }

    /// The Bloom filter over the table's user keys.
    public struct FilterInfo: Sendable, Hashable {
        /// Bits in the filter's bit array.
        public var bitCount: Int
        /// Bits set and tested per key.
        public var probeCount: Int
        /// Size of the encoded filter (bit array plus one byte for the probe count).
        public var byteCount: Int
    }

    /// A range deletion of the table: every entry of a key in `start ..< end` older than `sequence` is deleted.
    public struct RangeDeletion: Sendable, Hashable {
        public var start: [UInt8]
        public var end: [UInt8]
        public var sequence: UInt64
    }

    /// One entry of the table, copied out of its block.
    public struct Entry: Sendable, Hashable {
        public var key: InspectedKey
        /// The value; empty for a tombstone.
        public var value: [UInt8]
        /// When the value expires; nil unless the kind is ``InspectedKey/Kind/expiringValue``.
        public var expiresAt: Timestamp?
        /// The offset of the data block holding the entry.
        public var blockOffset: UInt64
    }

    /// What a point lookup (``get(_:sequence:)``) found.
    public enum Lookup: Sendable, Hashable {
        /// The newest visible entry sets the key to this value.
        case value([UInt8])
        /// The newest visible entry sets the key to this value until `expiresAt`.
        case expiringValue([UInt8], expiresAt: Timestamp)
        /// The newest visible entry is a tombstone: the key is deleted.
        case deleted
        /// The table holds no visible entry for the key.
        case absent
    }

    /// The file's path, as given to ``open(_:)``.
    public let path: String
    public let properties: Properties
    public let footer: FooterInfo
    /// The filter's shape, or nil when the table has none.
    public let filter: FilterInfo?
    let table: Table

    private init(path: String, table: Table) {
        self.path = path
        self.table = table
        let footer = table.footer
        properties = Properties(
            entryCount: table.properties.entryCount, deletionCount: table.properties.deletionCount,
            dataBlockCount: table.properties.dataBlockCount, rawKeyBytes: table.properties.rawKeyBytes,
            rawValueBytes: table.properties.rawValueBytes, fileSize: table.properties.fileSize,
            formatVersion: footer.formatVersion, smallest: InspectedKey(validated: table.properties.smallestKey),
            largest: InspectedKey(validated: table.properties.largestKey),
            databaseID: table.properties.identity?.databaseID, fileNumber: table.properties.identity?.fileNumber,
            sequenceRange: table.properties.sequenceRange)
        self.footer = FooterInfo(
            offset: table.properties.fileSize - UInt64(Footer.encodedLength),
            filter: footer.filterHandle.size > 0 ? BlockLocation(footer.filterHandle) : nil,
            properties: BlockLocation(footer.propertiesHandle), index: BlockLocation(footer.indexHandle),
            formatVersion: footer.formatVersion)
        filter = table.filter.map {
            FilterInfo(bitCount: $0.bitCount, probeCount: $0.probeCount, byteCount: $0.byteCount)
        }
    }

    /// Opens the table at `path` read-only, reading and checking its footer, index, filter and properties.
    ///
    /// A directory throws `.invalidArgument`; a missing or unreadable file `.ioError`; see the type's
    /// documentation for files that are not tables or are damaged.
    public static func open(_ path: String) throws(LSMError) -> TableFile {
        try open(path, fileSystem: PosixFileSystem())
    }

    static func open(_ path: String, fileSystem: any FileSystem) throws(LSMError) -> TableFile {
        let file = try fileSystem.openInspectedFile(path, as: "an SSTable")
        let number: UInt64
        if case .table(let n) = FileNames.parse(FileNames.lastComponent(of: path)) { number = n } else { number = 0 }
        return TableFile(path: path, table: try Table(file: file, fileNumber: number, blockCache: nil))
    }

    /// The index entries in order, one per data block, each with the block's type byte.
    public func indexEntries() throws(LSMError) -> [IndexEntry] {
        var result: [IndexEntry] = []
        for (separator, handle) in try table.indexEntries() {
            guard let key = InspectedKey(internalKey: separator) else {
                throw LSMError.corruption("index separator of \(separator.count) bytes is not an internal key",
                                          path: path, offset: table.footer.indexHandle.offset)
            }
            let compression: Compression? =
                switch try table.storedType(of: handle) {
                case Block.uncompressedType: Compression.none
                case Block.lz4Type: .lz4
                default: nil
                }
            result.append(IndexEntry(separator: key, block: BlockLocation(handle), compression: compression))
        }
        return result
    }

    /// Looks `userKey` up exactly as a database read does: the Bloom filter is probed first (a key it rules out is
    /// ``Lookup/absent`` without reading a data block), then the index and one data block are searched for the newest
    /// entry of `userKey` with a sequence number at or below `sequence`.
    ///
    /// Damage in the blocks read throws `.corruption` naming the path and block offset. On an intact table the
    /// answer is the one ``entries()`` implies: the first entry with that user key and a sequence at or below
    /// `sequence`.
    public func get(_ userKey: [UInt8], sequence: UInt64 = InspectedKey.maxSequence) throws(LSMError) -> Lookup {
        let result = try userKey.withBytes { (key: UnsafeRawBufferPointer) throws(LSMError) in
            try table.get(key, sequence: sequence)
        }
        switch result {
        case .found(let value): return .value(value)
        case .foundExpiring(let value, let expiry): return .expiringValue(value, expiresAt: expiry)
        case .deleted: return .deleted
        case .notFound: return .absent
        }
    }

    /// The table's range deletions (checked when the table was opened), by start, newest first.
    public var rangeDeletions: [RangeDeletion] {
        table.rangeTombstones.tombstones.map { RangeDeletion(start: $0.start, end: $0.end, sequence: $0.sequence) }
    }

    /// A cursor over every entry in internal-key order (by user key, then newest first), reading each data block
    /// from disk once and checking its checksum.
    public func entries() -> EntryCursor {
        EntryCursor(table: table)
    }

    /// Reads the whole table and checks every block checksum, that the keys are well-formed and strictly
    /// increasing, that each block lies within its index separators and blocks follow one another, that the filter
    /// holds every key, and that the properties match the contents. Throws the first problem, naming the path and
    /// the offset of the block involved.
    public func verify() throws(LSMError) {
        try table.verify()
    }

    /// A single-pass cursor over a table's entries, from ``TableFile/entries()``.
    ///
    /// After ``next()`` throws, the cursor is finished: later calls return nil.
    public final class EntryCursor {
        private let table: Table
        private let iterator: TableIterator
        private var started = false
        private var finished = false

        init(table: Table) {
            self.table = table
            self.iterator = table.makeIterator()
        }

        /// The next entry, or nil after the last one. Damage throws `.corruption` naming the file and the offset of
        /// the block where it was found.
        public func next() throws(LSMError) -> Entry? {
            guard !finished else { return nil }
            do throws(LSMError) {
                if started {
                    try iterator.next()
                } else {
                    started = true
                    try iterator.seekToFirst()
                }
                guard iterator.isValid else {
                    finished = true
                    return nil
                }
                guard let key = InspectedKey(internalKey: iterator.key) else {
                    throw LSMError.corruption("table entry of \(iterator.key.count) bytes is not an internal key",
                                              path: table.path, offset: iterator.currentBlockOffset)
                }
                guard key.kind == .expiringValue else {
                    return Entry(key: key, value: iterator.value.array, blockOffset: iterator.currentBlockOffset)
                }
                guard let (expiry, value) = ExpiringValue.split(iterator.value) else {
                    throw LSMError.corruption("expiring value of \(iterator.value.count) bytes is shorter than its "
                                              + "expiry", path: table.path, offset: iterator.currentBlockOffset)
                }
                return Entry(key: key, value: value.array, expiresAt: expiry, blockOffset: iterator.currentBlockOffset)
            } catch {
                finished = true
                throw error
            }
        }
    }
}
