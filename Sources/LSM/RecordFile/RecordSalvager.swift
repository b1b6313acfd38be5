/// Finds every intact record of a damaged log, for repair: where ``RecordReader`` stops at the first damage, this
/// scans on past it for the next place an intact record starts.
///
/// In format version 2 a record starts where a record header's checksum matches (and then its payload's), which
/// bytes that are not a record header match only by a 1-in-2^32 accident; version 1 records are recognized by
/// their payload checksum alone. Runs of zeros are skipped without testing each offset, so a huge sparse file
/// costs no more than its data. Memory is bounded as for ``RecordReader``.
struct RecordSalvager {
    let format: RecordFileFormat
    /// The file header (format version 2), when it is intact.
    let header: RecordFileHeader?
    /// Bytes that belong to no intact record (zeros included), after a scan.
    private(set) var skippedBytes: UInt64 = 0
    private var window: FileWindow
    private let file: any ReadableFile

    /// A salvager of `file`, in the format its first bytes announce (version 2 starts with a magic number).
    init(file: any ReadableFile) throws(LSMError) {
        self.file = file
        window = FileWindow(file)
        let prefixLength = Int(min(file.size, UInt64(RecordFileHeader.encodedLength)))
        let prefix = try window.read(at: 0, count: prefixLength)
        let isVersion2 = prefix.withUnsafeBytes { RecordFileHeader.hasMagic($0) }
        format = isVersion2 ? .version2 : .version1
        header = isVersion2 ? try? prefix.withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in
            try RecordFileHeader.decode(bytes)
        } : nil
    }

    /// Calls `body` with each intact record, in file order.
    mutating func forEachRecord(_ body: (FileRecord) throws(LSMError) -> Void) throws(LSMError) {
        let headerSize = format.recordHeaderSize
        let size = file.size
        var position = min(UInt64(format.fileHeaderSize), size)
        skippedBytes = 0
        while position + UInt64(headerSize) <= size {
            if let record = try record(at: position) {
                try body(record)
                position = record.offset + UInt64(headerSize + record.payload.count)
                continue
            }
            // No record starts here. A record header is never all zeros, so within a run of zeros a record can
            // start only in the last bytes before the next non-zero one.
            var next = position + 1
            let allZero = try window.withBytes(at: position, count: headerSize) { $0.allSatisfy { $0 == 0 } }
            if allZero {
                let nonZero = try file.firstNonZeroByte(from: position) ?? size
                next = max(next, nonZero >= UInt64(headerSize - 1) ? nonZero - UInt64(headerSize - 1) : 0)
            }
            skippedBytes += next - position
            position = next
        }
        skippedBytes += size - min(position, size)
    }

    /// The intact record starting at `offset`, if one does.
    private mutating func record(at offset: UInt64) throws(LSMError) -> FileRecord? {
        let format = self.format
        let header = try window.withBytes(at: offset, count: format.recordHeaderSize) {
            RecordHeader.decode($0, format: format)
        }
        let dataStart = offset + UInt64(format.recordHeaderSize)
        let length = UInt64(header.payloadLength)
        guard header.isIntact, header.type == RecordFileFormat.fullRecordType, length <= UInt64(RecordFileFormat.maxPayloadLength),
              length <= file.size - dataStart
        else { return nil }
        let payload = try window.read(at: dataStart, count: Int(length))
        guard payload.withUnsafeBytes({ header.matches($0, format: format) }) else { return nil }
        return FileRecord(offset: offset, payload: payload)
    }
}
