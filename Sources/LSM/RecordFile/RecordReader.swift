

/// Reads a log front to back, telling a torn tail (the expected result of a crash mid-write, reported through
/// ``tornTail``) from damage (thrown as corruption naming the file and the record's offset, because records after
/// it, or in later logs, were acknowledged and would be lost silently).
///
/// The file is read through a bounded window, never whole: memory stays within the window plus the largest record
/// (at most ``RecordFileFormat/maxPayloadLength``, allocated only once its header's checksum vouches for its length and
/// the file holds all of it), however large or sparse the file is.
///
/// The bytes: docs/FORMAT.md, "Record" and "Reading: torn tail or corruption".
final class RecordReader {
    let path: String
    let format: RecordFileFormat
    /// The file header (format version 2 only).
    let header: RecordFileHeader?
    /// The file's size when it was opened.
    var fileSize: UInt64 { file.size }
    private let file: any ReadableFile
    private let tailRule: TailRule
    private var position: UInt64
    private var window: FileWindow

    /// Set when reading ended at a torn last record.
    private(set) var tornTail: TornTail?
    /// End offset of the last good record (or of the file header): the length to keep when dropping a torn tail.
    private(set) var validLength: UInt64

    /// Opens a log for reading, in `format`, or when it is nil in the format its first bytes announce (version 2
    /// starts with a magic number; anything else is read as version 1). A version 2 file header that is missing
    /// or damaged is `.corruption`.
    init(file: any ReadableFile, tailRule: TailRule, format: RecordFileFormat? = nil) throws(LSMError) {
        self.file = file
        self.window = FileWindow(file)
        self.path = file.path
        self.tailRule = tailRule
        let start = try Self.readPrefix(file, count: RecordFileHeader.encodedLength)
        let format = format ?? (start.withUnsafeBytes { RecordFileHeader.hasMagic($0) } ? .version2 : .version1)
        self.format = format
        switch format {
        case .version1:
            header = nil
        case .version2:
            guard start.count == RecordFileHeader.encodedLength else {
                throw LSMError.corruption("file is \(file.size) bytes, shorter than the "
                                          + "\(RecordFileHeader.encodedLength)-byte log file header", path: file.path,
                                          offset: 0)
            }
            do {
                header = try start.withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in
                    try RecordFileHeader.decode(bytes)
                }
            } catch {
                throw error.located(path: file.path, offset: 0)
            }
        }
        position = UInt64(format.fileHeaderSize)
        validLength = position
    }

    /// The first `count` bytes of `file` (fewer when it is shorter).
    private static func readPrefix(_ file: any ReadableFile, count: Int) throws(LSMError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = try bytes.withMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws(LSMError) in
            try file.read(at: 0, into: buffer)
        }
        bytes.removeLast(count - read)
        return bytes
    }

    /// The next complete record, or nil at the end of the log (clean end or torn tail, see ``tornTail``).
    ///
    /// Throws corruption naming the file and the record's offset for damage that is not a torn tail under the
    /// reader's ``TailRule``.
    func next() throws(LSMError) -> FileRecord? {
        guard tornTail == nil, position < file.size else { return nil }
        let start = position
        let headerSize = format.recordHeaderSize
        let remaining = file.size - start
        if remaining < UInt64(headerSize), try endsInZeros(from: start) { return nil }
        guard remaining >= UInt64(headerSize) else {
            return try tear(at: start, "partial record header (\(remaining) of \(headerSize) bytes) at the end of the file")
        }
        let header = try window.withBytes(at: start, count: headerSize) { RecordHeader.decode($0, format: format) }
        let dataStart = start + UInt64(headerSize)
        guard header.isIntact else {
            if try endsInZeros(from: start) { return nil }
            // A header cut short by a crash is followed by nothing but zeros; anything else after it means records
            // were written behind the damage.
            if tailRule == .lastRecordMayBeTorn, try file.firstNonZeroByte(from: dataStart) == nil {
                return try tear(at: start, "record header damaged, followed only by zeros")
            }
            throw LSMError.corruption("log record header checksum mismatch", path: path, offset: start)
        }
        let length = UInt64(header.payloadLength)
        if format == .version2 {
            // The header's checksum vouches for these fields, so they are what the writer wrote.
            guard header.type == RecordFileFormat.fullRecordType else {
                throw LSMError(.unsupportedFormat, "log record of unknown type \(header.type)", path: path, offset: start)
            }
            guard length <= UInt64(RecordFileFormat.maxPayloadLength) else {
                throw LSMError.corruption("log record length \(length) exceeds the limit of "
                                          + "\(RecordFileFormat.maxPayloadLength)", path: path, offset: start)
            }
        }
        guard length <= file.size - dataStart else {
            return try tear(at: start, "record of \(length) bytes runs past the end of the file (\(file.size) bytes)")
        }
        let end = dataStart + length
        let payload = try window.read(at: dataStart, count: Int(length))
        if let problem = payload.withUnsafeBytes({ Self.damage(header, $0, format: format) }) {
            if tailRule == .lastRecordMayBeTorn, try file.firstNonZeroByte(from: end) == nil {
                return try tear(at: start, end == file.size ? problem : "\(problem), followed only by zeros")
            }
            throw LSMError.corruption("log record: \(problem)", path: path, offset: start)
        }
        position = end
        validLength = end
        return FileRecord(offset: start, payload: payload)
    }

    /// What is wrong with a record whose header was read, or nil when it is intact.
    private static func damage(_ header: RecordHeader, _ payload: UnsafeRawBufferPointer, format: RecordFileFormat) -> String? {
        if payload.count > RecordFileFormat.maxPayloadLength {
            return "length \(payload.count) exceeds the limit of \(RecordFileFormat.maxPayloadLength)"
        }
        if header.type != RecordFileFormat.fullRecordType { return "unknown record type \(header.type)" }
        if !header.matches(payload, format: format) { return "checksum mismatch" }
        return nil
    }

    /// Whether the newest log (one whose last record may be torn) holds only zeros from `offset`, a record
    /// boundary, on: space the writer reserved ahead of its records, or the size of a record a crash kept from the
    /// disk. Either way no record starts there, so reading ends cleanly; a log that must be whole gets no such end.
    private func endsInZeros(from offset: UInt64) throws(LSMError) -> Bool {
        guard tailRule == .lastRecordMayBeTorn, try file.firstNonZeroByte(from: offset) == nil else { return false }
        position = file.size
        return true
    }

    /// Ends reading at a torn record starting at `offset`, or throws when this log must be whole.
    private func tear(at offset: UInt64, _ reason: String) throws(LSMError) -> FileRecord? {
        guard tailRule == .lastRecordMayBeTorn else {
            throw LSMError.corruption("log ends in a damaged or incomplete record (\(reason)); this log was complete "
                                      + "before newer ones were written", path: path, offset: offset)
        }
        tornTail = TornTail(offset: offset, reason: reason)
        return nil
    }
}
