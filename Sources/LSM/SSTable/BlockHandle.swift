/// Where a block lives in a table file: the offset of its first byte and the size of its contents, not counting
/// the 5-byte trailer (type byte and checksum) that follows every block on disk.
///
/// Handles are stored as two varint64s: in index entries (to point at data blocks) and, as fixed-width fields, in
/// the footer.
///
/// The bytes: docs/FORMAT.md, "Block handle".
struct BlockHandle: Sendable, Hashable {
    var offset: UInt64
    var size: UInt64

    /// Longest varint encoding of a handle: two 10-byte varint64s.
    static let maxEncodedLength = 20

    init(offset: UInt64, size: UInt64) {
        self.offset = offset
        self.size = size
    }

    /// Appends the varint encoding (offset, then size).
    func encode(into bytes: inout [UInt8]) {
        bytes.appendVarint64(offset)
        bytes.appendVarint64(size)
    }

    /// The varint encoding as a new array.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.maxEncodedLength)
        encode(into: &bytes)
        return bytes
    }

    /// Decodes a handle that must fill `bytes` exactly; nil when the bytes are not one well-formed handle.
    init?(decoding bytes: UnsafeRawBufferPointer) {
        var reader = ByteReader(bytes)
        guard let offset = reader.readVarint64(), let size = reader.readVarint64(), reader.isAtEnd else {
            return nil
        }
        self.init(offset: offset, size: size)
    }

    /// Whether the block and its trailer lie within the first `limit` bytes of the file (overflow-safe).
    func fits(within limit: UInt64) -> Bool {
        offset <= limit && size <= limit - offset && UInt64(Block.trailerSize) <= limit - offset - size
    }
}
