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
