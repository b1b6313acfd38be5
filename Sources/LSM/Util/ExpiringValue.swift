/// How an entry of kind ``ValueKind/valueWithExpiry`` stores its value: the expiry time as a little-endian i64 of
/// milliseconds since the Unix epoch, then the user's value. The bytes: docs/FORMAT.md, "Internal keys".
enum ExpiringValue {
    /// Bytes before the user's value.
    static let prefixSize = 8

    /// The expiry and the user's value in `stored`, or nil when it is too short to hold an expiry (damage).
    @inline(__always)
    static func split(_ stored: UnsafeRawBufferPointer) -> (expiry: Timestamp, value: UnsafeRawBufferPointer)? {
        guard stored.count >= prefixSize else { return nil }
        let expiry = Timestamp(millisecondsSinceEpoch: Int64(bitPattern: stored.fixed64(at: 0)))
        return (expiry, UnsafeRawBufferPointer(rebasing: stored[prefixSize...]))
    }

    /// Writes `expiry` at the start of `buffer`, which holds at least ``prefixSize`` bytes.
    @inline(__always)
    static func storeExpiry(_ expiry: Timestamp, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: UInt64(bitPattern: expiry.millisecondsSinceEpoch).littleEndian, toByteOffset: 0,
                          as: UInt64.self)
    }
}
