/// Figures describing a database's shape and activity, from ``Database/statistics()``.
public struct Statistics: Sendable, Hashable {
    /// Table files per level, level 0 first.
    public var levelFileCounts: [Int]
    /// Bytes of table files per level, level 0 first.
    public var levelBytes: [UInt64]
    /// Bytes held by the active memtable.
    public var memtableBytes: Int
    /// Memtables waiting to be flushed.
    public var immutableMemtables: Int
    /// The sequence number of the newest write.
    public var lastSequence: UInt64
    /// Memtables flushed to level 0 since open.
    public var flushCount: Int
    /// Times a writer had to wait because immutable memtables were waiting for their flush.
    public var writeStallCount: Int
    /// Snapshots not yet released.
    public var liveSnapshots: Int
}
