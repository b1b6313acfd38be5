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
    /// Times a writer had to stop and wait: too many memtables waiting for their flush, or too many level-0
    /// tables waiting for compaction.
    public var writeStallCount: Int
    /// Snapshots not yet released.
    public var liveSnapshots: Int
    /// Bytes of keys and values the application wrote (batch encoding, without headers).
    public var userBytesWritten: UInt64
    /// Bytes appended to write-ahead logs.
    public var logBytesWritten: UInt64
    /// Bytes of tables written by memtable flushes.
    public var flushBytesWritten: UInt64
    /// Bytes of tables read by compactions.
    public var compactionBytesRead: UInt64
    /// Bytes of tables written by compactions.
    public var compactionBytesWritten: UInt64
    /// Compactions that merged and rewrote tables.
    public var compactionCount: Int
    /// Tables moved down a level without rewriting (nothing below to merge with).
    public var trivialMoveCount: Int
    /// Time spent in compactions.
    public var compactionSeconds: Double
    /// Time writers spent stopped.
    public var writeStallSeconds: Double
    /// Writes delayed by a millisecond because level 0 neared its stop trigger.
    public var writeSlowdownCount: Int
    /// Time writes spent delayed.
    public var writeSlowdownSeconds: Double
    /// Bytes held by every memtable: the active one and those waiting for their flush.
    public var memtablesBytes: Int
    /// Bytes of decoded blocks in the block cache.
    public var blockCacheBytes: Int
    /// Tables open in the table cache.
    public var openTables: Int
    /// Bytes of the open tables' index, filter and properties blocks (``Table`` metadata), counted under
    /// ``Options/memoryBudget`` only; 0 otherwise.
    public var openTableMetadataBytes: Int

    /// What the database holds of ``Options/memoryBudget`` now: memtables, block cache and open tables' metadata.
    public var memoryBytes: Int { memtablesBytes + blockCacheBytes + openTableMetadataBytes }

    /// Disk bytes written (logs, flushes, compactions) per byte the application wrote; 0 before any write.
    public var writeAmplification: Double {
        guard userBytesWritten > 0 else { return 0 }
        return Double(logBytesWritten + flushBytesWritten + compactionBytesWritten) / Double(userBytesWritten)
    }
}
