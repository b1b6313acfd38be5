/// Iterating a cursor.
///
/// Swift's `Sequence` cannot throw from its iterator's `next()`, and a cursor reads files as it goes, so a cursor
/// is not a `Sequence`: making it one would have to hide I/O errors and damage. It is iterated instead with:
///
/// - `while let (key, value) = try cursor.next() { ... }`, an owned copy of each entry;
/// - ``forEach(_:)``, and ``map(_:)``, which lend each key and value to a closure without copying them (the
///   closure may throw; its error ends the iteration and is rethrown);
/// - `try Array(cursor)`, every remaining entry as owned arrays;
/// - ``Database/entries(from:to:reverse:snapshot:)-([UInt8]?,_,_,_)``, an `AsyncSequence` for `for try await`,
///   whose reads run off the cooperative threads.
///
/// ```swift
/// let cursor = try db.cursor(prefix: "user:")
/// try cursor.forEach { key, value in
///     print(String(decoding: key, as: UTF8.self), value.count)
/// }
/// ```
extension Cursor {
    /// Calls `body` with each remaining entry's key and value, lent without copying and valid only during the
    /// call, in the cursor's order.
    ///
    /// Throws ``LSMError`` when reading fails, or rethrows what `body` throws, which stops the iteration; the
    /// cursor is then positioned after the entry `body` threw on.
    public func forEach(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var failure: (any Error)?
        while failure == nil, try next(borrowing: { key, value in
            do { try body(key, value) } catch { failure = error }
        }) {}
        if let failure { throw failure }
    }

    /// The results of `transform` applied to each remaining entry's key and value, which are lent without copying
    /// and valid only during the call, in the cursor's order.
    ///
    /// ```swift
    /// let names = try db.cursor(prefix: "user:").map { _, value in String(decoding: value, as: UTF8.self) }
    /// ```
    public func map<T>(
        _ transform: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> T
    ) throws -> [T] {
        var results: [T] = []
        try forEach { key, value in results.append(try transform(key, value)) }
        return results
    }
}

extension Array {
    /// Every remaining entry of `cursor`, as owned copies, in the cursor's order.
    ///
    /// ```swift
    /// let entries = try Array(db.cursor(prefix: "user:"))
    /// ```
    public init(_ cursor: Cursor) throws(LSMError) where Element == (key: [UInt8], value: [UInt8]) {
        self = []
        while let entry = try cursor.next() { append(entry) }
    }
}
