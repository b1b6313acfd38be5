import DequeModule

/// The writers waiting to commit, in arrival order, and how the one at the head takes those behind it into one
/// group: one log record, one append, and one fdatasync when any of them asked for it (group commit).
///
/// It holds no lock of its own: the database calls it with its lock held, and a writer waits on that lock's
/// condition until it is at the head of the queue or a leader has committed its write.
final class CommitQueue {
    /// A writer waiting in the queue; a nil batch asks for the memtable to be switched (a manual flush).
    final class PendingWrite {
        let batch: WriteBatch?
        let sync: Bool
        /// Whether this is a request to switch the memtable (no batch), decided once rather than by comparing the
        /// optional batch on every check.
        let switchesMemtable: Bool
        // Unchecked, as every access to the queue: the database's lock makes them exclusive.
        /// Set, with ``error``, by the leader that committed this write (or by the writer itself as leader).
        @exclusivity(unchecked) var done = false
        @exclusivity(unchecked) var error: LSMError?

        init(batch: WriteBatch?, sync: Bool) {
            self.batch = batch
            self.sync = sync
            if case .none = batch { switchesMemtable = true } else { switchesMemtable = false }
        }
    }

    /// A group's merged batch grows to at most this many bytes past a small leader's own...
    static let smallLeaderAllowance = 128 << 10
    /// ...and to at most this many bytes in all behind a large leader, so grouping never slows a leader much.
    static let largeGroupLimit = 1 << 20

    // Unchecked: the database's lock already makes every access exclusive.
    @exclusivity(unchecked) private var writers = Deque<PendingWrite>()

    var isEmpty: Bool { writers.isEmpty }

    func append(_ write: PendingWrite) {
        writers.append(write)
    }

    /// Whether `write` leads the queue: it commits its group next.
    func isHead(_ write: PendingWrite) -> Bool {
        writers.first === write
    }

    /// How many writers, from the head, fit in one log record, their merged batch (the head's own when it is
    /// alone), and whether it must be synced. The head must carry a batch.
    func takeGroup() -> (count: Int, batch: WriteBatch, sync: Bool) {
        guard let leader = writers.first, var merged = leader.batch else {
            preconditionFailure("a group is taken only by a head writer with a batch")
        }
        var sync = leader.sync
        let limit = merged.byteCount <= Self.smallLeaderAllowance
            ? merged.byteCount + Self.smallLeaderAllowance : Self.largeGroupLimit
        var count = 1
        for write in writers.dropFirst() {
            guard let batch = write.batch, merged.byteCount + batch.byteCount <= limit else { break }
            merged.append(contentsOf: batch)
            sync = sync || write.sync
            count += 1
        }
        return (count, merged, sync)
    }

    /// Marks the first `count` writers, the head's group, done with `error` and removes them; the caller wakes the
    /// waiters.
    func finish(count: Int, error: LSMError?) {
        for write in writers.prefix(count) {
            write.done = true
            write.error = error
        }
        writers.removeFirst(count)
    }
}
