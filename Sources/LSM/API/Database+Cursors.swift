extension Database {
    /// A cursor over the keys in `[lower, upper)` (either bound may be nil), forward or in reverse, as of
    /// `snapshot` or of now, with bounds taken from any ``ContiguousRawBytes``: `db.cursor(from: "a", to: "m")`.
    /// The cursor keeps a copy of its bounds.
    public func cursor<Key: ContiguousRawBytes & ~Escapable>(
        from lower: Key? = nil, to upper: Key? = nil, reverse: Bool = false, snapshot: Snapshot? = nil
    ) throws(LSMError) -> Cursor {
        try cursor(from: Self.copy(lower), to: Self.copy(upper), reverse: reverse, snapshot: snapshot)
    }

    /// A cursor over the keys that start with `prefix`, forward or in reverse, as of `snapshot` or of now.
    ///
    /// ```swift
    /// let users = try Array(db.cursor(prefix: "user:"))
    /// ```
    public func cursor<Prefix: ContiguousRawBytes & ~Escapable>(
        prefix: Prefix, reverse: Bool = false, snapshot: Snapshot? = nil
    ) throws(LSMError) -> Cursor {
        let range = Self.range(prefix: prefix)
        return try cursor(from: range.lower, to: range.upper, reverse: reverse, snapshot: snapshot)
    }

    /// A copy of `key`'s bytes, or nil.
    static func copy<Key: ContiguousRawBytes & ~Escapable>(_ key: Key?) -> [UInt8]? {
        guard let key else { return nil }
        return key.copiedBytes
    }

    /// The range `[lower, upper)` holding exactly the keys that start with `prefix`: `upper` is the prefix with its
    /// last byte below 0xFF incremented and what follows it dropped, or nil (unbounded) when every byte is 0xFF.
    static func range<Prefix: ContiguousRawBytes & ~Escapable>(
        prefix: Prefix
    ) -> (lower: [UInt8], upper: [UInt8]?) {
        let lower = prefix.copiedBytes
        guard let last = lower.lastIndex(where: { $0 != 0xFF }) else { return (lower, nil) }
        var upper = Array(lower[...last])
        upper[last] += 1
        return (lower, upper)
    }
}
