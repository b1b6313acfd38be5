/// Little-endian fixed-width and LEB128 varint encodings shared by every on-disk format (docs/FORMAT.md, its opening
/// paragraph).

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendFixed32(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendFixed64(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendVarint32(_ value: UInt32) {
        appendVarint64(UInt64(value))
    }

    @inline(__always)
    mutating func appendVarint64(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    /// Appends a varint length followed by the bytes.
    mutating func appendLengthPrefixed(_ bytes: some Collection<UInt8>) {
        appendVarint64(UInt64(bytes.count))
        append(contentsOf: bytes)
    }

    /// Appends a varint length followed by the bytes, copied in one move.
    @inline(__always)
    mutating func appendLengthPrefixed(_ bytes: UnsafeRawBufferPointer) {
        appendVarint64(UInt64(bytes.count))
        append(raw: bytes)
    }

    /// Appends `bytes` in one move: a raw buffer is not contiguous storage of `UInt8` to `append(contentsOf:)`,
    /// which takes a slower path for it.
    @inline(__always)
    mutating func append(raw bytes: UnsafeRawBufferPointer) {
        bytes.withMemoryRebound(to: UInt8.self) { append(contentsOf: $0) }
    }

    /// Makes the array equal to `bytes`, whose first `prefix` bytes it holds already: a copy in place when the
    /// length stays, as it does for a builder's last key when keys have one length.
    @inline(__always)
    mutating func replaceBytes(with bytes: UnsafeRawBufferPointer, keepingPrefix prefix: Int) {
        if count == bytes.count {
            guard prefix < count else { return }
            withUnsafeMutableBytes { target in
                UnsafeMutableRawBufferPointer(rebasing: target[prefix...])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[prefix...]))
            }
        } else {
            replaceSubrange(prefix..., with: UnsafeRawBufferPointer(rebasing: bytes[prefix...]))
        }
    }
}

/// How many leading bytes `a` and `b` have in common, compared eight at a time.
@inline(__always)
func commonPrefixLength(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let limit = min(a.count, b.count)
    var n = 0
    while n + 8 <= limit {
        let difference = a.fixed64(at: n) ^ b.fixed64(at: n)
        // Little-endian words: the first differing byte holds the lowest set bit.
        if difference != 0 { return n + difference.trailingZeroBitCount / 8 }
        n += 8
    }
    while n < limit && a[n] == b[n] { n += 1 }
    return n
}

extension UnsafeMutableRawBufferPointer {
    /// Stores a varint length followed by `bytes` at `offset`; returns the offset after them. The caller has made
    /// room (``varintLength(_:)`` plus the bytes).
    @inline(__always)
    func storeLengthPrefixed(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        let offset = storeVarint64(UInt64(bytes.count), at: offset)
        UnsafeMutableRawBufferPointer(rebasing: self[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
        return offset + bytes.count
    }

    /// Stores `value` as a varint at `offset`; returns the offset after it. The caller has made room
    /// (``varintLength(_:)``).
    @inline(__always)
    func storeVarint64(_ value: UInt64, at offset: Int) -> Int {
        var offset = offset
        var v = value
        while v >= 0x80 {
            self[offset] = UInt8(truncatingIfNeeded: v) | 0x80
            offset += 1
            v >>= 7
        }
        self[offset] = UInt8(v)
        return offset + 1
    }
}

/// How many bytes `value` takes as a varint.
@inline(__always)
func varintLength(_ value: UInt64) -> Int {
    var v = value
    var n = 1
    while v >= 0x80 {
        v >>= 7
        n += 1
    }
    return n
}

extension UnsafeRawBufferPointer {
    /// Reads a little-endian UInt32 at `offset`; the caller has checked the bounds.
    @inline(__always)
    func fixed32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Reads a little-endian UInt64 at `offset`; the caller has checked the bounds.
    @inline(__always)
    func fixed64(at offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

/// A bounds-checked reader over bytes: every read either succeeds or returns nil, so malformed input can never
/// read out of bounds. Callers turn a nil into a corruption error that names the file.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    mutating func readByte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readFixed32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { position += 4 }
        return bytes.fixed32(at: position)
    }

    mutating func readFixed64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { position += 8 }
        return bytes.fixed64(at: position)
    }

    mutating func readVarint64() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift <= 63 {
            guard let byte = readByte() else { return nil }
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }

    mutating func readVarint32() -> UInt32? {
        guard let v = readVarint64(), v <= UInt64(UInt32.max) else { return nil }
        return UInt32(v)
    }

    /// The next `count` bytes, without copying.
    mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A varint length followed by that many bytes, without copying.
    mutating func readLengthPrefixed() -> UnsafeRawBufferPointer? {
        guard let n = readVarint64(), n <= UInt64(remaining) else { return nil }
        return readBytes(Int(n))
    }
}
