/// A write-ahead log (`NNNNNN.wal`) opened read-only for inspection: its records in order, each decoded into the
/// write batch it holds.
///
/// It reads the file only, a record at a time with bounded memory, and never takes a database's lock. Both log
/// format versions are read (a version 2 log starts with a file header: see ``formatVersion`` and
/// ``databaseID``). The framing rules are those of a database's newest log: a damaged or cut-short last record
/// with nothing but zeros after it (a crash during the append) ends the log and is reported by ``tornTail``;
/// any other damage throws `.corruption` naming the path and the record's offset, because the writes after it
/// were acknowledged. (An older log of a database must be whole: ``Database/check(at:)`` applies that rule.)
///
/// ```swift
/// let log = try LogFile.open("/tmp/db/000003.wal")
/// while let record = try log.next() { print(record.offset, record.operations.count) }
/// if let tear = log.tornTail { print("torn at \(tear.offset): \(tear.reason)") }
/// ```
public final class LogFile {
    /// One put or delete of a record's batch.
    public struct Operation: Sendable, Hashable {
        public var sequence: UInt64
        public var kind: InspectedKey.Kind
        public var key: [UInt8]
        /// The value; empty for a delete.
        public var value: [UInt8]
        /// When the value expires; nil unless the kind is ``InspectedKey/Kind/expiringValue``.
        public var expiresAt: Timestamp?
    }

    /// One record: one committed write batch (which may hold the batches of several writers, committed together).
    public struct Record: Sendable, Hashable {
        /// Where the record's header starts in the file.
        public var offset: UInt64
        /// Bytes the record takes in the file, header included.
        public var byteCount: Int
        /// The sequence number of the first operation; operation `i` has `firstSequence + i`.
        public var firstSequence: UInt64
        public var operations: [Operation]
    }

    /// Where and why the log ended early without it being an error: its last record was cut short or damaged by a
    /// crash during the write, so it was never acknowledged.
    public struct TornTail: Sendable, Hashable {
        /// Where the torn record starts; everything before it is intact.
        public var offset: UInt64
        public var reason: String
    }

    /// The file's path, as given to ``open(_:)``.
    public let path: String
    /// The file's size when it was opened.
    public let size: UInt64
    /// The log format version: 2 for logs with a file header, 1 for logs of databases written before it.
    public var formatVersion: Int { reader.format == .version2 ? 2 : 1 }
    /// The database that wrote the log, from its file header (format version 2).
    public var databaseID: DatabaseID? { reader.header?.databaseID }
    /// The file number the log was written as, from its file header (format version 2).
    public var fileNumber: UInt64? { reader.header?.fileNumber }
    /// Whether the file is a manifest rather than a write-ahead log, from its file header (format version 2).
    public var isManifest: Bool { reader.header?.kind == .manifest }
    private let reader: RecordReader
    private var finished = false

    private init(path: String, size: UInt64, reader: RecordReader) {
        self.path = path
        self.size = size
        self.reader = reader
    }

    /// Opens the log at `path` read-only. A directory throws `.invalidArgument`; a missing or unreadable file
    /// `.ioError`. Any file opens; what is in it is checked by ``next()``.
    public static func open(_ path: String) throws(LSMError) -> LogFile {
        try open(path, fileSystem: PosixFileSystem())
    }

    static func open(_ path: String, fileSystem: any FileSystem) throws(LSMError) -> LogFile {
        let file = try fileSystem.openInspectedFile(path, as: "a log file")
        return LogFile(path: path, size: file.size, reader: try RecordReader(file: file, tailRule: .lastRecordMayBeTorn))
    }

    /// Set once ``next()`` has returned nil if the log ended at a torn record.
    public var tornTail: TornTail? {
        reader.tornTail.map { TornTail(offset: $0.offset, reason: $0.reason) }
    }

    /// The next record, or nil at the end of the log (see ``tornTail``). A record that fails its checksum before
    /// the end, or whose batch does not parse, throws `.corruption` with the path and the record's offset; after
    /// that the log is finished and ``next()`` returns nil.
    public func next() throws(LSMError) -> Record? {
        guard !finished else { return nil }
        do {
            guard let record = try reader.next() else {
                finished = true
                return nil
            }
            return try decode(record)
        } catch {
            finished = true
            throw error
        }
    }

    /// The batch in `record`, copied out.
    private func decode(_ record: FileRecord) throws(LSMError) -> Record {
        var operations: [Operation] = []
        let first = try record.payload.withBytes { (payload: UnsafeRawBufferPointer) throws(LSMError) in
            do throws(LSMError) {
                return try WriteBatchReader.forEach(payload) { sequence, kind, key, value in
                    // The reader has checked that an expiring value holds its expiry.
                    let expiring = kind == .valueWithExpiry ? ExpiringValue.split(value) : nil
                    operations.append(Operation(sequence: sequence, kind: InspectedKey.Kind(kind), key: key.array,
                                                value: (expiring?.value ?? value).array, expiresAt: expiring?.expiry))
                }.first
            } catch {
                throw error.located(path: path, offset: record.offset)
            }
        }
        return Record(offset: record.offset, byteCount: reader.format.recordHeaderSize + record.payload.count,
                      firstSequence: first, operations: operations)
    }
}
