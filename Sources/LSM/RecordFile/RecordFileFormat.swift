/// The record framing shared by write-ahead logs and the manifest, in its two versions. docs/FORMAT.md, "Record files".
///
/// **Version 2** (written by this build): a 44-byte file header (magic, version, file kind, database identity,
/// file number, header checksum), then records back to back, each a 13-byte header (a checksum over the rest of
/// the header, payload length, type, payload checksum) and its payload. Because the length is covered by a
/// checksum, a damaged length is detected instead of being mistaken for a record cut short by a crash.
///
/// **Version 1** (read only, for databases written before version 2): no file header; each record is a 9-byte
/// header (checksum of type and payload, length, type) and its payload.
enum RecordFileFormat: Sendable, Equatable {
    case version1
    case version2

    /// The only record type: a whole payload in one record. Any other value is damage.
    static let fullRecordType: UInt8 = 1

    /// Largest payload a record may carry: the largest write batch plus slack for manifest edits. A header
    /// claiming more is damaged.
    static let maxPayloadLength = Limits.maxBatchSize + 64 * 1024

    /// Bytes before the first record.
    var fileHeaderSize: Int {
        switch self {
        case .version1: 0
        case .version2: RecordFileHeader.encodedLength
        }
    }

    /// Bytes of a record's header.
    var recordHeaderSize: Int {
        switch self {
        case .version1: 9
        case .version2: 13
        }
    }

    /// The header of a version 2 record carrying `payload` (of type ``fullRecordType``), written into the first
    /// ``recordHeaderSize`` bytes of `destination`.
    static func encodeRecordHeader(payload: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) {
        assert(destination.count >= 13)
        destination.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 4, as: UInt32.self)
        destination.storeBytes(of: fullRecordType, toByteOffset: 8, as: UInt8.self)
        destination.storeBytes(of: CRC32C.mask(CRC32C.checksum(payload)).littleEndian, toByteOffset: 9, as: UInt32.self)
        let covered = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(destination)[4..<13])
        destination.storeBytes(of: CRC32C.mask(CRC32C.checksum(covered)).littleEndian, toByteOffset: 0, as: UInt32.self)
    }

    /// The masked checksum a version 1 record of `type` carrying `payload` stores.
    static func version1Checksum(type: UInt8, payload: UnsafeRawBufferPointer) -> UInt32 {
        let typeCRC = withUnsafeBytes(of: type) { CRC32C.checksum($0) }
        return CRC32C.mask(CRC32C.checksum(payload, extending: typeCRC))
    }
}
