extension Database {
    /// Sets `key` to `value`, each taken from any ``ContiguousRawBytes`` (a `String`, a `Substring`, a `RawSpan`,
    /// an `UnsafeRawBufferPointer`, ...) without a copy at the call. With `sync`, returns only once the write is on
    /// disk.
    public func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value, sync: Bool = false
    ) throws(LSMError) {
        try key.withRawBytes { (key) throws(LSMError) in
            try value.withRawBytes { (value) throws(LSMError) in try writeEntry(.value, key, value, sync: sync) }
        }
    }

    /// Sets `key` to `value` until `expiresAt` (by ``Options/clock``), each taken from any
    /// ``ContiguousRawBytes``; as the `[UInt8]` form, reads find no value from that moment on.
    public func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value, expiresAt: Timestamp, sync: Bool = false
    ) throws(LSMError) {
        try key.withRawBytes { (key) throws(LSMError) in
            try value.withRawBytes { (value) throws(LSMError) in
                try writeEntry(.valueWithExpiry, key, value, expiresAt: expiresAt, sync: sync)
            }
        }
    }

    /// Sets `key` to `value` until `duration` from now (by ``Options/clock``), to the millisecond.
    public func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value, expiresAfter duration: Duration, sync: Bool = false
    ) throws(LSMError) {
        try put(key, value, expiresAt: options.clock.now().advanced(by: duration), sync: sync)
    }

    /// Removes `key` (a no-op when it is absent). With `sync`, returns only once the deletion is on disk.
    public func delete<Key: ContiguousRawBytes & ~Escapable>(_ key: Key, sync: Bool = false) throws(LSMError) {
        try key.withRawBytes { (key) throws(LSMError) in try writeEntry(.deletion, key, nil, sync: sync) }
    }

    /// Removes every key from `start` (inclusive) to `end` (exclusive), each bound taken from any
    /// ``ContiguousRawBytes``; as the `[UInt8]` form, in constant time however many keys the range holds.
    public func deleteRange<Start: ContiguousRawBytes & ~Escapable, End: ContiguousRawBytes & ~Escapable>(
        from start: Start, to end: End, sync: Bool = false
    ) throws(LSMError) {
        try write(WriteBatch(deletingRangeFrom: start, to: end), sync: sync)
    }

    /// The value of `key`, or nil when it is absent; as of `snapshot` when one is given.
    public func get<Key: ContiguousRawBytes & ~Escapable>(
        _ key: Key, snapshot: Snapshot? = nil
    ) throws(LSMError) -> [UInt8]? {
        try key.withRawBytes { (key) throws(LSMError) in try value(forKey: key, snapshot: snapshot) }
    }

    /// The value of `key` and when it expires (nil: never), or nil when it is absent or has expired; as of
    /// `snapshot` when one is given.
    public func getWithExpiry<Key: ContiguousRawBytes & ~Escapable>(
        _ key: Key, snapshot: Snapshot? = nil
    ) throws(LSMError) -> (value: [UInt8], expiresAt: Timestamp?)? {
        try key.withRawBytes { (key) throws(LSMError) in try valueAndExpiry(forKey: key, snapshot: snapshot) }
    }

    /// The value of `key` as a `String` (decoded as UTF-8), `[UInt8]`, or, with `LSMFoundation`, `Data`; nil
    /// when the key is absent.
    ///
    /// ```swift
    /// let name = try db.get("user:1", as: String.self)
    /// ```
    public func get<Key: ContiguousRawBytes & ~Escapable, Value: RawBytesInitializable>(
        _ key: Key, as type: Value.Type, snapshot: Snapshot? = nil
    ) throws(LSMError) -> Value? {
        try get(key, snapshot: snapshot).map { $0.withUnsafeBytes(Value.init(copyingRawBytes:)) }
    }

}

extension WriteBatch {
    /// A batch of one put, as a single `put` call writes it.
    init<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        putting key: Key, _ value: Value
    ) {
        self.init()
        put(key, value)
    }

    /// A batch of one put that expires at `expiry`.
    init<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        putting key: Key, _ value: Value, expiresAt expiry: Timestamp
    ) {
        self.init()
        put(key, value, expiresAt: expiry)
    }

    /// A batch of one deletion.
    init<Key: ContiguousRawBytes & ~Escapable>(deleting key: Key) {
        self.init()
        delete(key)
    }

    /// A batch of one range deletion (none for an empty range; refused when written if `start` is above `end`).
    init<Start: ContiguousRawBytes & ~Escapable, End: ContiguousRawBytes & ~Escapable>(
        deletingRangeFrom start: Start, to end: End
    ) {
        self.init()
        deleteRange(from: start, to: end)
    }
}
