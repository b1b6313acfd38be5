extension Database {
    /// The entries with keys in `[lower, upper)` (either bound may be nil), forward or in reverse, as an
    /// `AsyncSequence` for `for try await`, as of `snapshot` or of the first step of each iteration.
    ///
    /// ```swift
    /// for try await (key, value) in db.entries(from: "a", to: "m") { ... }
    /// ```
    ///
    /// The reads run on the I/O thread pool a batch of entries at a time, so an iteration suspends its task for
    /// I/O rather than blocking a cooperative thread. Each iteration reads through a cursor of its own, made when
    /// it first steps: it sees the database as it was then (or as of `snapshot`). Cancelling the task makes the
    /// next step that must read throw ``LSMError/Code/cancelled``.
    public func entries(
        from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, reverse: Bool = false, snapshot: Snapshot? = nil
    ) -> Entries {
        Entries(database: self, lower: lower, upper: upper, reverse: reverse, snapshot: snapshot)
    }

    /// The entries with keys in `[lower, upper)`, with bounds taken from any ``ContiguousRawBytes``:
    /// `db.entries(from: "a", to: "m")`. The sequence keeps a copy of its bounds.
    public func entries<Key: ContiguousRawBytes & ~Escapable>(
        from lower: Key? = nil, to upper: Key? = nil, reverse: Bool = false, snapshot: Snapshot? = nil
    ) -> Entries {
        entries(from: Self.copy(lower), to: Self.copy(upper), reverse: reverse, snapshot: snapshot)
    }

    /// The entries whose keys start with `prefix`, forward or in reverse, as an `AsyncSequence`.
    public func entries<Prefix: ContiguousRawBytes & ~Escapable>(
        prefix: Prefix, reverse: Bool = false, snapshot: Snapshot? = nil
    ) -> Entries {
        let range = Self.range(prefix: prefix)
        return entries(from: range.lower, to: range.upper, reverse: reverse, snapshot: snapshot)
    }

    /// A range of a database's entries as an `AsyncSequence` of owned keys and values; see
    /// ``Database/entries(from:to:reverse:snapshot:)-([UInt8]?,_,_,_)``. Each iteration reads through a cursor of
    /// its own.
    public struct Entries: AsyncSequence, Sendable {
        public typealias Element = (key: [UInt8], value: [UInt8])
        public typealias Failure = LSMError

        fileprivate let database: Database
        fileprivate let lower: [UInt8]?
        fileprivate let upper: [UInt8]?
        fileprivate let reverse: Bool
        fileprivate let snapshot: Snapshot?

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(reader: BatchReader(self))
        }

        /// Steps through the entries, reading them on the I/O thread pool a batch at a time.
        public struct AsyncIterator: AsyncIteratorProtocol {
            private let reader: BatchReader
            private var batch: [Element] = []
            private var index = 0
            private var finished = false

            fileprivate init(reader: BatchReader) {
                self.reader = reader
            }

            public mutating func next() async throws(LSMError) -> Element? {
                try await next(isolation: nil)
            }

            public mutating func next(isolation actor: isolated (any Actor)?) async throws(LSMError) -> Element? {
                if index == batch.count {
                    if finished { return nil }
                    let reader = self.reader
                    (batch, finished) = try await IOThreadPool.shared.run(cancellation: .beforeStart) {
                        () throws(LSMError) in try reader.read()
                    }
                    index = 0
                    if batch.isEmpty { return nil }
                }
                defer { index += 1 }
                return batch[index]
            }
        }
    }
}

/// The cursor behind one iteration of ``Database/Entries``, read a batch at a time on the pool.
private final class BatchReader: @unchecked Sendable {
    // Safety of @unchecked Sendable: `cursor` and `batchLimit` are used only inside `read()`, and one iterator
    // (which is not Sendable) awaits each `read()` before it starts the next, so no two run at once; the pool's
    // hand-offs order them.

    /// Entries read per batch: few at first, so a short iteration reads little, then more, up to ``maxBatch``.
    private static let firstBatch = 16
    private static let maxBatch = 512
    /// Bytes of keys and values after which a batch ends early.
    private static let maxBatchBytes = 1 << 20

    private let entries: Database.Entries
    private var cursor: Cursor?
    private var batchLimit = BatchReader.firstBatch

    init(_ entries: Database.Entries) {
        self.entries = entries
    }

    /// The next entries, and whether the range is exhausted after them.
    func read() throws(LSMError) -> (entries: [Database.Entries.Element], exhausted: Bool) {
        let cursor: Cursor
        if let existing = self.cursor {
            cursor = existing
        } else {
            cursor = try entries.database.cursor(
                from: entries.lower, to: entries.upper, reverse: entries.reverse, snapshot: entries.snapshot)
            self.cursor = cursor
        }
        var batch: [Database.Entries.Element] = []
        batch.reserveCapacity(batchLimit)
        var bytes = 0
        while batch.count < batchLimit && bytes < Self.maxBatchBytes {
            guard let entry = try cursor.next() else { return (batch, true) }
            bytes += entry.key.count + entry.value.count
            batch.append(entry)
        }
        batchLimit = min(batchLimit * 2, Self.maxBatch)
        return (batch, false)
    }
}
