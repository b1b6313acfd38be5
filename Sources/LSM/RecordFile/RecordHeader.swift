/// A record header as read, before the payload is checked.
///
/// The bytes: docs/FORMAT.md, "Record".
struct RecordHeader: Equatable {
    var payloadLength: UInt32
    var type: UInt8
    /// The stored masked checksum the payload must match (version 2: of the payload; version 1: of type and payload).
    var payloadChecksum: UInt32
    /// Whether the header's own bytes are intact: its checksum matched (version 2). Version 1 has no header
    /// checksum, so its headers are taken as intact.
    var isIntact: Bool

    /// The header at the start of `bytes`, which holds at least `format.recordHeaderSize` bytes.
    static func decode(_ bytes: UnsafeRawBufferPointer, format: RecordFileFormat) -> RecordHeader {
        switch format {
        case .version1:
            return RecordHeader(payloadLength: bytes.fixed32(at: 4), type: bytes[8],
                                   payloadChecksum: bytes.fixed32(at: 0), isIntact: true)
        case .version2:
            let covered = UnsafeRawBufferPointer(rebasing: bytes[4..<13])
            return RecordHeader(payloadLength: bytes.fixed32(at: 4), type: bytes[8],
                                   payloadChecksum: bytes.fixed32(at: 9),
                                   isIntact: bytes.fixed32(at: 0) == CRC32C.mask(CRC32C.checksum(covered)))
        }
    }

    /// Whether `payload` matches the stored checksum.
    func matches(_ payload: UnsafeRawBufferPointer, format: RecordFileFormat) -> Bool {
        switch format {
        case .version1: payloadChecksum == RecordFileFormat.version1Checksum(type: type, payload: payload)
        case .version2: payloadChecksum == CRC32C.mask(CRC32C.checksum(payload))
        }
    }
}
