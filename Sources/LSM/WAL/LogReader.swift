/// One record read back from a log.
struct LogRecord: Equatable {
    /// Where the record's header starts in the file.
    var offset: UInt64
    var payload: [UInt8]
}

/// Why reading stopped before the end of the file without it being an error: the last record was cut short or
/// damaged by a crash while it was being written, so it was never acknowledged and can be dropped.
struct TornTail: Equatable {
    /// Where the torn record starts; everything before it is intact.
    var offset: UInt64
    var reason: String
}

/// Reads a log front to back, telling a torn tail (the expected result of a crash mid-write, reported through
/// ``tornTail``) from damage in the middle of the log (thrown as corruption, because records after it were
/// acknowledged and would be lost silently).
///
/// The whole file is read into memory up front: logs are bounded by the memtable or manifest size, and parsing
/// from one buffer keeps every bounds check local.
final class LogReader {
    private let path: String
    private let contents: [UInt8]
    private var position = 0

    /// Set when reading ended at a torn or partial last record.
    private(set) var tornTail: TornTail?
    /// End offset of the last good record returned: the length to keep when truncating a torn tail.
    private(set) var validLength: UInt64 = 0

    init(file: any ReadableFile) throws(LSMError) {
        guard let count = Int(exactly: file.size) else {
            throw LSMError(.ioError, "log of \(file.size) bytes is too large to read", path: file.path)
        }
        path = file.path
        contents = try file.readExactly(at: 0, count: count)
    }

    /// The next complete record, or nil at the end of the log (clean end or torn tail, see ``tornTail``).
    ///
    /// Throws corruption naming the file and the record's offset when a record fails its checksum, has an unknown
    /// type or claims an impossible length, and is followed by anything but zeros.
    func next() throws(LSMError) -> LogRecord? {
        let start = position
        guard start < contents.count else { return nil }
        return try contents.withBytes { (all: UnsafeRawBufferPointer) throws(LSMError) -> LogRecord? in
            let rest = UnsafeRawBufferPointer(rebasing: all[start...])
            guard let header = LogRecordHeader.decode(rest) else {
                return tear(at: start, "partial record header (\(rest.count) of \(LogFormat.headerSize) bytes)")
            }
            let length = Int(header.payloadLength)
            guard length <= rest.count - LogFormat.headerSize else {
                return tear(at: start, "record of \(length) bytes runs past the end of the file")
            }
            let end = start + LogFormat.headerSize + length
            let payload = UnsafeRawBufferPointer(rebasing: rest[LogFormat.headerSize..<(LogFormat.headerSize + length)])
            if let problem = Self.damage(header, payload) {
                // A write cut short by a crash leaves the damaged record last in the file, possibly followed by
                // zeros where the file system had extended the file but not yet written the data. Damage followed
                // by anything else is real corruption.
                let after = UnsafeRawBufferPointer(rebasing: all[end...])
                if after.allSatisfy({ $0 == 0 }) {
                    return tear(at: start, after.isEmpty ? problem : "\(problem), followed by a zero-filled tail")
                }
                throw LSMError.corruption("log record: \(problem)", path: path, offset: UInt64(start))
            }
            position = end
            validLength = UInt64(end)
            return LogRecord(offset: UInt64(start), payload: payload.array)
        }
    }

    /// What is wrong with a record that fits in the file, or nil when it is intact.
    private static func damage(_ header: LogRecordHeader, _ payload: UnsafeRawBufferPointer) -> String? {
        if payload.count > LogFormat.maxPayloadLength {
            return "length \(payload.count) exceeds the limit of \(LogFormat.maxPayloadLength)"
        }
        if header.type != LogFormat.fullRecordType { return "unknown record type \(header.type)" }
        if header.maskedChecksum != LogFormat.maskedChecksum(type: header.type, payload: payload) {
            return "checksum mismatch"
        }
        return nil
    }

    /// Ends reading at a torn record starting at `offset`.
    private func tear(at offset: Int, _ reason: String) -> LogRecord? {
        tornTail = TornTail(offset: UInt64(offset), reason: reason)
        position = contents.count
        return nil
    }
}
