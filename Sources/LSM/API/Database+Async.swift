/// The `async` forms of the calls that can block on I/O.
///
/// Each runs its synchronous form on a small pool of I/O threads, so awaiting it suspends the task instead of
/// blocking one of Swift concurrency's cooperative threads, which must not wait for a disk. In an `async` context
/// these forms are chosen over the synchronous ones. Every write goes through the pool, synced or not: any write
/// may wait for a memtable flush when writes outrun the disk.
///
/// ```swift
/// let db = try await Database.open("/var/lib/example")
/// try await db.put("user:1", "ada", sync: true)
/// let name = try await db.get("user:1", as: String.self)
/// try await db.close()
/// ```
///
/// ## Cancellation
/// A call whose task is cancelled before its work has started on the pool throws ``LSMError/Code/cancelled`` and
/// does nothing. Once started, a write, read or open runs to its end and returns its result, so a write is never
/// left in doubt. ``flush()-6oq9v`` and ``compact(from:to:)-40i3i`` stop waiting when cancelled (they throw
/// ``LSMError/Code/cancelled`` at once) while the work already started finishes in the background; ``close()-5zb0c``
/// always closes.
extension Database {
    /// Opens the database in the directory at `path`, creating it when the directory is missing or empty (and
    /// ``Options/createIfMissing`` is set), as ``open(_:options:)-97ca9`` does. A task cancelled before the open
    /// starts gets ``LSMError/Code/cancelled`` and nothing is opened or created.
    public static func open(_ path: String, options: Options = Options()) async throws(LSMError) -> Database {
        try await IOThreadPool.shared.run(cancellation: .beforeStart) { () throws(LSMError) in
            try open(path, options: options)
        }
    }

    /// Applies every entry of `batch` atomically: readers and recovery see all of it or none. With `sync`, returns
    /// only once the batch is on disk. A task cancelled before the write starts gets ``LSMError/Code/cancelled``
    /// and nothing is written; once started, the write completes and reports its outcome.
    public func write(_ batch: WriteBatch, sync: Bool = false) async throws(LSMError) {
        try await IOThreadPool.shared.run(cancellation: .beforeStart) { () throws(LSMError) in
            try self.write(batch, sync: sync)
        }
    }

    /// Sets `key` to `value`. With `sync`, returns only once the write is on disk. The bytes are copied into the
    /// write's batch before the task suspends; cancellation is as for ``write(_:sync:)-6ld9p``.
    public func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value, sync: Bool = false
    ) async throws(LSMError) {
        try await write(WriteBatch(putting: key, value), sync: sync)
    }

    /// Sets the UTF-8 key to the UTF-8 value: the `async` twin of the synchronous `put(_: String, _: String)`, so
    /// that string literals in an `async` context choose this form rather than the blocking one.
    public func put(_ key: String, _ value: String, sync: Bool = false) async throws(LSMError) {
        try await write(WriteBatch(putting: key, value), sync: sync)
    }

    /// Sets `key` to `value` until `expiresAt`, as the synchronous form does; the bytes are copied before the task
    /// suspends.
    public func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value, expiresAt: Timestamp, sync: Bool = false
    ) async throws(LSMError) {
        try await write(WriteBatch(putting: key, value, expiresAt: expiresAt), sync: sync)
    }

    /// Sets `key` to `value` until `duration` from now (by ``Options/clock``, read before the task suspends).
    public func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value, expiresAfter duration: Duration, sync: Bool = false
    ) async throws(LSMError) {
        try await put(key, value, expiresAt: options.clock.now().advanced(by: duration), sync: sync)
    }

    /// Removes every key from `start` (inclusive) to `end` (exclusive), as the synchronous form does.
    public func deleteRange<Start: ContiguousRawBytes & ~Escapable, End: ContiguousRawBytes & ~Escapable>(
        from start: Start, to end: End, sync: Bool = false
    ) async throws(LSMError) {
        try await write(WriteBatch(deletingRangeFrom: start, to: end), sync: sync)
    }

    /// Removes `key` (a no-op when it is absent). With `sync`, returns only once the deletion is on disk.
    public func delete<Key: ContiguousRawBytes & ~Escapable>(_ key: Key, sync: Bool = false) async throws(LSMError) {
        try await write(WriteBatch(deleting: key), sync: sync)
    }

    /// Removes the UTF-8 key: the `async` twin of the synchronous `delete(_: String)`.
    public func delete(_ key: String, sync: Bool = false) async throws(LSMError) {
        try await write(WriteBatch(deleting: key), sync: sync)
    }

    /// The value of `key`, or nil when it is absent; as of `snapshot` when one is given. The key is copied before
    /// the task suspends.
    public func get<Key: ContiguousRawBytes & ~Escapable>(
        _ key: Key, snapshot: Snapshot? = nil
    ) async throws(LSMError) -> [UInt8]? {
        let key = key.copiedBytes
        return try await IOThreadPool.shared.run(cancellation: .beforeStart) { () throws(LSMError) in
            try self.get(key, snapshot: snapshot)
        }
    }

    /// The value of `key` as a `String` (decoded as UTF-8), `[UInt8]`, or, with `LSMFoundation`, `Data`; nil when
    /// the key is absent.
    public func get<Key: ContiguousRawBytes & ~Escapable, Value: RawBytesInitializable>(
        _ key: Key, as type: Value.Type, snapshot: Snapshot? = nil
    ) async throws(LSMError) -> Value? {
        try await get(key, snapshot: snapshot).map { $0.withUnsafeBytes(Value.init(copyingRawBytes:)) }
    }

    /// The value of the UTF-8 key decoded as UTF-8, or nil when it is absent: the `async` twin of the synchronous
    /// `get(_: String)`, so a string key reads back a string in both.
    public func get(_ key: String, snapshot: Snapshot? = nil) async throws(LSMError) -> String? {
        try await get(key, as: String.self, snapshot: snapshot)
    }

    /// Makes every write that returned before this call durable, as the synchronous ``syncLog()-2l1ye`` does.
    public func syncLog() async throws(LSMError) {
        try await IOThreadPool.shared.run(cancellation: .beforeStart) { () throws(LSMError) in try self.syncLog() }
    }

    /// Writes the memtable to a table now and waits until every waiting memtable is flushed. Cancelling the task
    /// stops the wait; a flush already started completes.
    public func flush() async throws(LSMError) {
        try await IOThreadPool.shared.run(cancellation: .stopWaiting) { () throws(LSMError) in try self.flush() }
    }

    /// Compacts every table holding keys in `[lower, upper]` (nil: unbounded), as ``compact(from:to:)-8nyz1`` does.
    /// Cancelling the task stops the wait: a compaction not yet started does not start, one already running
    /// completes in the background (``close()-1jaoz`` waits for it).
    public func compact(from lower: [UInt8]? = nil, to upper: [UInt8]? = nil) async throws(LSMError) {
        try await IOThreadPool.shared.run(cancellation: .stopWaiting) { () throws(LSMError) in
            try self.compact(from: lower, to: upper)
        }
    }

    /// Waits for queued writes and the flush in progress, makes the log durable and releases the directory, as
    /// ``close()-1jaoz`` does. It always closes, whether or not the task is cancelled.
    public func close() async throws(LSMError) {
        try await IOThreadPool.shared.run(cancellation: .never) { () throws(LSMError) in try self.close() }
    }
}
