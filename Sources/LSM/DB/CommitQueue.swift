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
        /// The writer's place in arrival order, which tells whether it leads the queue without reading the queue.
        @exclusivity(unchecked) fileprivate(set) var ticket = 0

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

    // Unchecked: the database's lock already makes every access exclusive. Unretained: each writer keeps its own
    // write alive while it waits in the queue, and its group's leader removes it before letting it return.
    @exclusivity(unchecked) private var writers = Deque<Unmanaged<PendingWrite>>()
    /// Writers appended and removed so far: the head's ticket is the number removed.
    @exclusivity(unchecked) private var appended = 0
    @exclusivity(unchecked) private var removed = 0

    var isEmpty: Bool { writers.isEmpty }

    /// Queues `write`, which its writer must keep alive until a leader finishes it: the queue does not retain it.
    func append(_ write: PendingWrite) {
        write.ticket = appended
        appended += 1
        writers.append(.passUnretained(write))
    }

    /// Whether `write`, which is in the queue, leads it: it commits its group next.
    func isHead(_ write: PendingWrite) -> Bool {
        write.ticket == removed
    }

    /// How many writers, from `leader` (the head, which carries a batch), fit in one log record; their merged
    /// batch, or nil when the leader goes alone and its own batch is the record; and whether it must be synced.
    func takeGroup(leader: PendingWrite) -> (count: Int, merged: WriteBatch?, sync: Bool) {
        guard writers.count > 1 else { return (1, nil, leader.sync) }
        guard var merged = leader.batch else {
            preconditionFailure("a group is taken only by a head writer with a batch")
        }
        var sync = leader.sync
        let limit = merged.byteCount <= Self.smallLeaderAllowance
            ? merged.byteCount + Self.smallLeaderAllowance : Self.largeGroupLimit
        var count = 1
        for queued in writers.dropFirst() {
            let write = queued.takeUnretainedValue()
            guard let batch = write.batch, merged.byteCount + batch.byteCount <= limit else { break }
            merged.append(contentsOf: batch)
            sync = sync || write.sync
            count += 1
        }
        return (count, count > 1 ? merged : nil, sync)
    }

    /// Marks the first `count` writers, the head's group, done with `error` and removes them; the caller wakes the
    /// waiters.
    func finish(count: Int, error: LSMError?) {
        for write in writers.prefix(count) {
            write._withUnsafeGuaranteedRef {
                $0.done = true
                $0.error = error
            }
        }
        writers.removeFirst(count)
        removed += count
    }
}
