/// Bytes that lie contiguously in memory and can be lent as a raw buffer: what the database takes as a key or a
/// value.
///
/// The database reads a key or value in place, so passing one copies nothing at the call: a ``WriteBatch`` appends
/// the bytes straight into its encoding, and a lookup reads the key where it lies. `[UInt8]`, `ArraySlice<UInt8>`,
/// `ContiguousArray<UInt8>`, `String` and `Substring` (as their UTF-8), `UnsafeRawBufferPointer`,
/// `UnsafeMutableRawBufferPointer`, `UnsafeBufferPointer<UInt8>`, `RawSpan` and `Span<UInt8>` conform; the
/// `LSMFoundation` library adds Foundation's `Data`.
///
/// ```swift
/// try db.put("user:1", "ada")                               // String
/// try db.put(keyBytes, valueBytes)                          // [UInt8]
/// try db.put(header[...].span.bytes, payload)               // RawSpan, [UInt8]
/// try buffer.withUnsafeBytes { try db.put("blob", $0) }     // UnsafeRawBufferPointer
/// ```
///
/// The protocol does not require `Escapable`, so non-escapable views such as `RawSpan` conform too. Conform a type
/// of your own by lending its bytes; they must stay valid and unchanged for the duration of the call.
public protocol ContiguousRawBytes: ~Escapable {
    /// Calls `body` with the bytes, which are valid only during the call, and returns what it returns.
    func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
}

/// A type that ``Database/get(_:as:snapshot:)-3hdxj`` can return a value as: made from a copy of the value's bytes.
///
/// `[UInt8]` and `String` conform; the `LSMFoundation` library adds Foundation's `Data`.
public protocol RawBytesInitializable {
    /// Makes a value holding a copy of `bytes`.
    init(copyingRawBytes bytes: UnsafeRawBufferPointer)
}

extension Array: ContiguousRawBytes where Element == UInt8 {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withBytes(body)
    }
}

extension Array: RawBytesInitializable where Element == UInt8 {
    public init(copyingRawBytes bytes: UnsafeRawBufferPointer) {
        self.init(bytes)
    }
}

extension ArraySlice: ContiguousRawBytes where Element == UInt8 {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try span.bytes.withUnsafeBytes(body)
    }
}

extension ContiguousArray: ContiguousRawBytes where Element == UInt8 {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try span.bytes.withUnsafeBytes(body)
    }
}

/// A string is its UTF-8 bytes. A native Swift string lends its storage; a bridged one is made contiguous first.
extension String: ContiguousRawBytes {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        // `withUTF8` only rethrows `any Error`: the typed error is carried out in a `Result`.
        var string = self
        let result: Result<R, E> = string.withUTF8 { utf8 in
            Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(utf8)) }
        }
        return try result.get()
    }
}

/// A value read as a string decodes its bytes as UTF-8, replacing invalid sequences with U+FFFD.
extension String: RawBytesInitializable {
    public init(copyingRawBytes bytes: UnsafeRawBufferPointer) {
        self.init(decoding: bytes, as: UTF8.self)
    }
}

/// A substring is its UTF-8 bytes, lent from the base string's storage.
extension Substring: ContiguousRawBytes {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let start = base.utf8.distance(from: base.startIndex, to: startIndex)
        let end = start + utf8.count
        return try base.withRawBytes { (utf8) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: utf8[start..<end]))
        }
    }
}

extension UnsafeRawBufferPointer: ContiguousRawBytes {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(self)
    }
}

extension UnsafeMutableRawBufferPointer: ContiguousRawBytes {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(self))
    }
}

extension UnsafeBufferPointer: ContiguousRawBytes where Element == UInt8 {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(self))
    }
}

extension RawSpan: ContiguousRawBytes {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeBytes(body)
    }
}

extension Span: ContiguousRawBytes where Element == UInt8 {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try bytes.withUnsafeBytes(body)
    }
}

extension ContiguousRawBytes where Self: ~Escapable {
    /// A copy of the bytes, for what must own them (cursor bounds, a key carried to another thread).
    var copiedBytes: [UInt8] { withRawBytes { [UInt8]($0) } }
}
