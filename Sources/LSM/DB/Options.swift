/// When writes are made durable.
public enum SyncPolicy: Sendable, Hashable {
    /// Only writes that pass `sync: true` wait for the disk; the rest survive a process crash but may be lost
    /// on power loss.
    case perWrite
    /// Every write waits for the disk, whatever its `sync` argument.
    case always
}

/// How a database is opened. A value type: build it, then pass it to ``Database/open(_:options:)``.
public struct Options: Sendable, Hashable {
    /// Size at which the memtable becomes immutable and is flushed to a table. Tiny values (even 512 bytes)
    /// work; they make a table per few writes, which stress tests use to exercise the disk path.
    public var memtableSize: Int = 4 << 20
    /// When writes are made durable.
    public var syncPolicy: SyncPolicy = .perWrite
    /// Target size of an SSTable data block before compression, in bytes.
    public var blockSize: Int = 4096
    /// Bloom filter bits per key in each table (0 turns filters off); 10 gives about a 1% false-positive rate.
    public var bloomBitsPerKey: Int = 10
    /// Bytes of decoded table blocks kept in memory (0 turns the block cache off).
    public var blockCacheBytes: Int = 8 << 20
    /// Table files kept open at once.
    public var maxOpenTables: Int = 1000
    /// Immutable memtables allowed to wait for their flush before writers stop and wait.
    public var maxImmutableMemtables: Int = 2
    /// Create the database when the directory holds none.
    public var createIfMissing: Bool = true
    /// Open without writing anything: no new log, no manifest edit, no file deleted, the writes the logs hold kept
    /// in memory. The lock is shared, so other read-only opens may run at once while a writer is kept out, and it
    /// is skipped where the directory is not writable, so a database on a read-only or full file system, or a
    /// copy, can still be read. Writes, ``Database/flush()`` and ``Database/compact(from:to:)`` throw
    /// ``LSMError/Code/readOnly``.
    public var readOnly: Bool = false

    /// Level-0 tables that start a compaction into level 1. Level-0 tables overlap, so each costs every read.
    public var level0CompactionTrigger: Int = 4
    /// Level-0 tables at which each write is delayed by about a millisecond, so compaction can catch up.
    public var level0SlowdownTrigger: Int = 8
    /// Level-0 tables at which writes wait until compaction brings the count down. Memtables already waiting for
    /// their flush still land in level 0, so it holds at most this many plus ``maxImmutableMemtables`` tables.
    public var level0StopTrigger: Int = 12
    /// Byte target of level 1; each deeper level's target is ``levelSizeMultiplier`` times the one above.
    /// Compaction scales with it: small values (with a small memtable) exercise many levels.
    public var level1MaxBytes: Int = 10 << 20
    /// How much larger each level's byte target is than the one above it.
    public var levelSizeMultiplier: Int = 10
    /// Size at which a compaction starts a new output table.
    public var targetFileSize: Int = 2 << 20

    public init() {}

    var tableOptions: TableOptions {
        var table = TableOptions()
        table.blockSize = blockSize
        table.bloomBitsPerKey = bloomBitsPerKey
        return table
    }

    func validate() throws(LSMError) {
        func check(_ ok: Bool, _ what: String) throws(LSMError) {
            if !ok { throw LSMError(.invalidArgument, what) }
        }
        try check(memtableSize > 0, "memtableSize must be positive, got \(memtableSize)")
        try check(blockSize >= 64 && blockSize <= 64 << 20, "blockSize must be 64 bytes to 64 MiB, got \(blockSize)")
        try check(bloomBitsPerKey >= 0 && bloomBitsPerKey <= 64, "bloomBitsPerKey must be 0...64, got \(bloomBitsPerKey)")
        try check(blockCacheBytes >= 0, "blockCacheBytes must not be negative, got \(blockCacheBytes)")
        try check(maxOpenTables >= 16, "maxOpenTables must be at least 16, got \(maxOpenTables)")
        try check(maxImmutableMemtables >= 1, "maxImmutableMemtables must be at least 1, got \(maxImmutableMemtables)")
        try check(level0CompactionTrigger >= 1, "level0CompactionTrigger must be at least 1, got \(level0CompactionTrigger)")
        try check(
            level0SlowdownTrigger >= level0CompactionTrigger && level0StopTrigger >= level0SlowdownTrigger,
            "level-0 triggers must satisfy compaction <= slowdown <= stop, got \(level0CompactionTrigger), "
                + "\(level0SlowdownTrigger), \(level0StopTrigger)")
        try check(level1MaxBytes > 0, "level1MaxBytes must be positive, got \(level1MaxBytes)")
        try check(levelSizeMultiplier >= 2, "levelSizeMultiplier must be at least 2, got \(levelSizeMultiplier)")
        try check(targetFileSize > 0, "targetFileSize must be positive, got \(targetFileSize)")
    }
}
