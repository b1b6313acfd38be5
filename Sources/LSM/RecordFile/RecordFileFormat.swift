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

/// A record header as read, before the payload is checked.
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

/// The first 44 bytes of a version 2 log file: what kind of log it is, which database wrote it and its file
/// number, so a log copied in from another database, or renamed, is recognized. docs/FORMAT.md, "Record file header".
struct RecordFileHeader: Equatable, Sendable {
    /// What a log file holds.
    enum Kind: UInt32, Sendable {
        case writeAheadLog = 1
        case manifest = 2

        var description: String {
            switch self {
            case .writeAheadLog: "write-ahead log"
            case .manifest: "manifest"
            }
        }
    }

    static let encodedLength = 44
    /// `89 4C 53 4D 4C 4F 47 0A`: a byte with the high bit set (so a 7-bit transfer shows), "LSMLOG", a newline.
    static let magic: [UInt8] = [0x89, 0x4C, 0x53, 0x4D, 0x4C, 0x4F, 0x47, 0x0A]
    static let formatVersion: UInt32 = 2

    var kind: Kind
    var databaseID: DatabaseID
    var fileNumber: UInt64

    var encoded: [UInt8] {
        var bytes = Self.magic
        bytes.appendFixed32(Self.formatVersion)
        bytes.appendFixed32(kind.rawValue)
        bytes.append(contentsOf: databaseID.bytes)
        bytes.appendFixed64(fileNumber)
        bytes.appendFixed32(CRC32C.mask(CRC32C.checksum(bytes)))
        return bytes
    }

    /// Whether `bytes` (the start of a file) begin with the version 2 magic number.
    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magic.count && bytes.prefix(magic.count).elementsEqual(magic)
    }

    /// Parses the header at the start of `bytes` (``encodedLength`` of them). Throws `.corruption` (without a path)
    /// for a bad magic number, checksum or kind, `.unsupportedFormat` for another version.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(LSMError) -> RecordFileHeader {
        guard bytes.count >= encodedLength, hasMagic(bytes) else {
            throw LSMError.corruption("not a log file of format version 2 (no log magic number at offset 0)")
        }
        let covered = UnsafeRawBufferPointer(rebasing: bytes[0..<40])
        guard bytes.fixed32(at: 40) == CRC32C.mask(CRC32C.checksum(covered)) else {
            throw LSMError.corruption("log file header checksum mismatch")
        }
        let version = bytes.fixed32(at: 8)
        guard version == formatVersion else {
            throw LSMError(.unsupportedFormat, "log format version \(version); this build reads versions 1 and 2")
        }
        guard let kind = Kind(rawValue: bytes.fixed32(at: 12)) else {
            throw LSMError.corruption("log file header names an unknown file kind \(bytes.fixed32(at: 12))")
        }
        // 16 bytes by the bounds checked above.
        let id = DatabaseID(bytes: bytes[16..<32])!
        return RecordFileHeader(kind: kind, databaseID: id, fileNumber: bytes.fixed64(at: 32))
    }
}
