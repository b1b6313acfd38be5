import Synchronization

/// A consistent point-in-time view of a database: reads through it see exactly the writes acknowledged before it
/// was taken, however many writes follow, and values that expire as they were at ``time``. Release it (or let it
/// go) so compaction can drop the old versions it keeps alive.
public final class Snapshot: Sendable {
    let sequence: SequenceNumber
    /// The moment the snapshot was taken (by ``Options/clock``): reads through it treat a value as expired only if
    /// its expiry is at or before this moment.
    public let time: Timestamp
    private let registry: SnapshotRegistry
    private let released = Atomic<Bool>(false)

    init(sequence: SequenceNumber, time: Timestamp, registry: SnapshotRegistry) {
        self.sequence = sequence
        self.time = time
        self.registry = registry
    }

    /// Releases the snapshot early; reading through it afterwards still works but no longer pins old versions.
    public func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { registry.remove(sequence) }
    }

    deinit { release() }
}

/// The sequence numbers of the live snapshots, as a multiset; compaction keeps what the oldest one needs.
final class SnapshotRegistry: Sendable {
    private let counts = Locked<[SequenceNumber: Int]>([:])

    func add(_ sequence: SequenceNumber) {
        counts.withLock { $0[sequence, default: 0] += 1 }
    }

    func remove(_ sequence: SequenceNumber) {
        counts.withLock { counts in
            if let n = counts[sequence] { counts[sequence] = n > 1 ? n - 1 : nil }
        }
    }

    /// The sequence of the oldest live snapshot, or nil when there is none.
    var oldest: SequenceNumber? { counts.withLock { $0.keys.min() } }

    /// The sequence of the newest live snapshot, or nil when there is none.
    var newest: SequenceNumber? { counts.withLock { $0.keys.max() } }

    var count: Int { counts.withLock { $0.values.reduce(0, +) } }
}
