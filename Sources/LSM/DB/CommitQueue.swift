import DequeModule

/// The writers waiting to commit, in arrival order, and how the one at the head takes those behind it into one
/// group: one log record, one append, and one fdatasync when any of them asked for it (group commit).
///
/// It holds no lock of its own: the database calls it with its lock held, and a writer waits on that lock's
/// condition until it is at the head of the queue or a leader has committed its write.
final class CommitQueue {
    /// A writer waiting in the queue, kept on its writer's stack (as LevelDB's `DBImpl::Writer`): the queue holds a
    /// pointer to it, so queueing a write allocates nothing. A memtable switch request (a manual flush) carries no
    /// entries.
    struct PendingWrite {
        /// The entries to commit, encoded as a batch's entries (docs/FORMAT.md, "Write batch"), borrowed from the
        /// writer for as long as it waits.
        let entries: UnsafeRawBufferPointer
        let entryCount: Int
        let sync: Bool
        let switchesMemtable: Bool
        /// Set, with ``error``, by the leader that committed this write (or by the writer itself as leader).
        var done = false
        var error: LSMError?
        /// The writer's place in arrival order, which tells whether it leads the queue without reading the queue.
        fileprivate(set) var ticket = 0

        /// A write of `entryCount` entries.
        init(entries: UnsafeRawBufferPointer, entryCount: Int, sync: Bool) {
            self.entries = entries
            self.entryCount = entryCount
            self.sync = sync
            switchesMemtable = false
        }

        /// A request to switch the memtable.
        static var memtableSwitch: PendingWrite { PendingWrite() }

        private init() {
            entries = UnsafeRawBufferPointer(start: nil, count: 0)
            entryCount = 0
            sync = false
            switchesMemtable = true
        }
    }

    /// A group's merged batch grows to at most this many bytes past a small leader's own...
    static let smallLeaderAllowance = 128 << 10
    /// ...and to at most this many bytes in all behind a large leader, so grouping never slows a leader much.
    static let largeGroupLimit = 1 << 20

    // Unchecked: the database's lock already makes every access exclusive. Each write lives on its writer's stack
    // while it waits in the queue, and its group's leader removes it before letting it return.
    @exclusivity(unchecked) private var writers = Deque<UnsafeMutablePointer<PendingWrite>>()
    /// Writers appended and removed so far: the head's ticket is the number removed.
    @exclusivity(unchecked) private var appended = 0
    @exclusivity(unchecked) private var removed = 0

    var isEmpty: Bool { writers.isEmpty }

    /// Queues `write`, which its writer must keep in place until a leader finishes it.
    func append(_ write: UnsafeMutablePointer<PendingWrite>) {
        write.pointee.ticket = appended
        appended += 1
        writers.append(write)
    }

    /// Whether `write`, which is in the queue, leads it: it commits its group next.
    func isHead(_ write: UnsafeMutablePointer<PendingWrite>) -> Bool {
        write.pointee.ticket == removed
    }

    /// How many writers, from `leader` (the head, which carries entries), fit in one log record; their entries
    /// merged, or nil when the leader goes alone and its own entries are the record; how many entries that is; and
    /// whether the record must be synced.
    func takeGroup(leader: UnsafeMutablePointer<PendingWrite>)
        -> (count: Int, merged: [UInt8]?, entryCount: Int, sync: Bool) {
        precondition(!leader.pointee.switchesMemtable,
                     "a group is taken only by a head writer with entries")
        var sync = leader.pointee.sync
        var entryCount = leader.pointee.entryCount
        var bytes = leader.pointee.entries.count
        let limit = bytes <= Self.smallLeaderAllowance ? bytes + Self.smallLeaderAllowance : Self.largeGroupLimit
        var count = 1
        for write in writers.dropFirst() {
            guard !write.pointee.switchesMemtable, bytes + write.pointee.entries.count <= limit else { break }
            bytes += write.pointee.entries.count
            entryCount += write.pointee.entryCount
            sync = sync || write.pointee.sync
            count += 1
        }
        guard count > 1 else { return (1, nil, entryCount, sync) }
        var merged: [UInt8] = []
        merged.reserveCapacity(bytes)
        for write in writers.prefix(count) {
            merged.append(raw: write.pointee.entries)
        }
        return (count, merged, entryCount, sync)
    }

    /// Marks the first `count` writers, the head's group, done with `error` and removes them; the caller wakes the
    /// waiters.
    func finish(count: Int, error: LSMError?) {
        for write in writers.prefix(count) {
            write.pointee.done = true
            write.pointee.error = error
        }
        writers.removeFirst(count)
        removed += count
    }
}
