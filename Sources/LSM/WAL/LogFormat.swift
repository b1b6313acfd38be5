/// The record framing shared by write-ahead logs and the manifest.
///
/// A log is a plain sequence of records with no blocks and no padding, so a record is exactly its 9-byte header
/// followed by its payload and the file size is the sum of the records. The checksum covers the type byte and the
/// payload; the length is validated by bounds (it must fit the file and the limit) rather than by the checksum.
/// docs/FORMAT.md describes the bytes.
enum LogFormat {
    /// Masked CRC32C (4) + payload length (4) + record type (1).
    static let headerSize = 9

    /// The only record type: a whole payload in one record. Any other value is damage.
    static let fullRecordType: UInt8 = 1

    /// Largest payload a record may carry: the largest write batch plus slack for manifest edits. A header
    /// claiming more is damaged.
    static let maxPayloadLength = Limits.maxBatchSize + 64 * 1024

    /// The masked checksum stored in the header of a record of `type` carrying `payload`.
    @inline(__always)
    static func maskedChecksum(type: UInt8, payload: UnsafeRawBufferPointer) -> UInt32 {
        let typeCRC = withUnsafeBytes(of: type) { CRC32C.checksum($0) }
        return CRC32C.mask(CRC32C.checksum(payload, extending: typeCRC))
    }
}

/// The fixed-size header in front of every log record.
struct LogRecordHeader: Equatable {
    var maskedChecksum: UInt32
    var payloadLength: UInt32
    var type: UInt8

    /// Writes the header's ``LogFormat/headerSize`` bytes at the start of `destination`, which the caller has
    /// sized to hold them.
    @inline(__always)
    func encode(into destination: UnsafeMutableRawBufferPointer) {
        assert(destination.count >= LogFormat.headerSize)
        destination.storeBytes(of: maskedChecksum.littleEndian, toByteOffset: 0, as: UInt32.self)
        destination.storeBytes(of: payloadLength.littleEndian, toByteOffset: 4, as: UInt32.self)
        destination.storeBytes(of: type, toByteOffset: 8, as: UInt8.self)
    }

    /// The header at the start of `bytes`, or nil when fewer than ``LogFormat/headerSize`` bytes are there.
    @inline(__always)
    static func decode(_ bytes: UnsafeRawBufferPointer) -> LogRecordHeader? {
        var reader = ByteReader(bytes)
        guard let checksum = reader.readFixed32(), let length = reader.readFixed32(), let type = reader.readByte()
        else { return nil }
        return LogRecordHeader(maskedChecksum: checksum, payloadLength: length, type: type)
    }
}
