/// A write-ahead log (`NNNNNN.wal`) opened read-only for inspection: its records in order, each decoded into the
/// write batch it holds.
///
/// It reads the file only and never takes a database's lock. The whole log is read into memory when opened (logs
/// are bounded by the memtable size). The framing rules are the database's own: a damaged or cut-short last
/// record (a crash during the append) ends the log and is reported by ``tornTail``; damage followed by further
/// data throws `.corruption` naming the path and the record's offset, because the writes after it were
/// acknowledged.
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
    private let reader: LogReader
    private var finished = false

    private init(path: String, size: UInt64, reader: LogReader) {
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
        if fileSystem.isDirectory(path) {
            throw LSMError(.invalidArgument, "is a directory, not a log file", path: path)
        }
        let file = try fileSystem.openReadable(path)
        return LogFile(path: path, size: file.size, reader: try LogReader(file: file))
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
            return try Self.decode(record, path: path)
        } catch {
            finished = true
            throw error
        }
    }

    /// The batch in `record`, copied out.
    private static func decode(_ record: LogRecord, path: String) throws(LSMError) -> Record {
        var operations: [Operation] = []
        let first = try record.payload.withBytes { (payload: UnsafeRawBufferPointer) throws(LSMError) in
            do throws(LSMError) {
                return try WriteBatchReader.forEach(payload) { sequence, kind, key, value in
                    operations.append(Operation(sequence: sequence, kind: InspectedKey.Kind(kind), key: key.array,
                                                value: value.array))
                }.first
            } catch {
                throw error.located(path: path, offset: record.offset)
            }
        }
        return Record(offset: record.offset, byteCount: LogFormat.headerSize + record.payload.count,
                      firstSequence: first, operations: operations)
    }
}
