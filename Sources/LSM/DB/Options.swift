/// How a database is opened. A value type: build it, then pass it to ``Database/open(_:options:)-97ca9``.
///
/// Every setting has a default that suits a general-purpose store, and a range of values that
/// ``Database/open(_:options:)-97ca9`` accepts; a value outside it makes the open throw
/// ``LSMError/Code/invalidArgument`` naming the setting.
///
/// ```swift
/// var options = Options()
/// options.memtableSize = 64 << 20
/// options.syncPolicy = .always
/// let db = try Database.open("/var/lib/example", options: options)
/// ```
public struct Options: Sendable, Hashable {
    /// Size at which the memtable becomes immutable and is flushed to a table, in bytes. Tiny values (even 512
    /// bytes) work; they make a table per few writes, which stress tests use to exercise the disk path.
    ///
    /// 1 byte to 1 GiB. The default is 4 MiB.
    public var memtableSize: Int = 4 << 20
    /// When writes are made durable.
    ///
    /// The default is ``SyncPolicy/perWrite``: only writes made with `sync: true` wait for the disk.
    public var syncPolicy: SyncPolicy = .perWrite
    /// Target size of an SSTable data block before compression, in bytes.
    ///
    /// 64 bytes to 64 MiB. The default is 4 KiB.
    public var blockSize: Int = 4096
    /// How the data blocks of tables written from now on (by flushes and compactions) are compressed. Tables
    /// already written are read whatever they hold, so this may change between opens; compaction rewrites old
    /// tables with the current setting. A compressed block is decompressed into the block cache when read.
    /// The default is ``Compression/none``.
    public var compression: Compression = .none
    /// Bloom filter bits per key in each table (0 turns filters off); 10 gives about a 1% false-positive rate.
    ///
    /// 0 to 64. The default is 10.
    public var bloomBitsPerKey: Int = 10
    /// Bytes of decoded table blocks kept in memory (0 turns the block cache off). It holds the blocks of tables
    /// the file system cannot memory-map, and the decompressed blocks of any table (see ``compression``): mapped
    /// tables' raw blocks are read in place, from the operating system's page cache.
    ///
    /// 0 to 1 TiB. The default is 8 MiB.
    public var blockCacheBytes: Int = 8 << 20
    /// Table files kept open at once.
    ///
    /// 16 to 1,048,576 (keep it below the process's limit on open files). The default is 1000.
    public var maxOpenTables: Int = 1000
    /// Immutable memtables allowed to wait for their flush before writers stop and wait.
    ///
    /// 1 to 64. The default is 2.
    public var maxImmutableMemtables: Int = 2
    /// Create the database when the directory holds none.
    ///
    /// The default is true.
    public var createIfMissing: Bool = true
    /// Open without writing anything: no new log, no manifest edit, no file deleted, the writes the logs hold kept
    /// in memory. The lock is shared, so other read-only opens may run at once while a writer is kept out, and it
    /// is skipped where the directory is not writable, so a database on a read-only or full file system, or a
    /// copy, can still be read. Writes, ``Database/flush()-81s2a`` and ``Database/compact(from:to:)-8nyz1`` throw
    /// ``LSMError/Code/readOnly``.
    ///
    /// The default is false.
    public var readOnly: Bool = false

    /// Level-0 tables that start a compaction into level 1. Level-0 tables overlap, so each costs every read.
    /// Tombstones count too: level 0 weighs one table more for every ``memtableSize`` bytes of values its
    /// tombstones are estimated to hide in the levels below, so deleted space is reclaimed promptly.
    ///
    /// 1 to 1000, and at most ``level0SlowdownTrigger``. The default is 4.
    public var level0CompactionTrigger: Int = 4
    /// Level-0 tables at which each write is delayed by about a millisecond, so compaction can catch up. Counted
    /// as for ``level0CompactionTrigger``, tombstones' weight included, so a burst of deletes is paced as a burst
    /// of writes is.
    ///
    /// 1 to 1000, from ``level0CompactionTrigger`` to ``level0StopTrigger``. The default is 8.
    public var level0SlowdownTrigger: Int = 8
    /// Level-0 tables at which writes wait until compaction brings the count down (tables only: tombstones slow
    /// writes but never stop them). Memtables already waiting for their flush still land in level 0, so it holds
    /// at most this many plus ``maxImmutableMemtables`` tables.
    ///
    /// 1 to 1000, and at least ``level0SlowdownTrigger``. The default is 12.
    public var level0StopTrigger: Int = 12
    /// Byte target of level 1; each deeper level's target is ``levelSizeMultiplier`` times the one above. While
    /// the levels below level 1 hold less than ``levelSizeMultiplier`` times this, level 1's target is what they
    /// hold divided by the multiplier (at least this divided by it), so a small database's space stays near its
    /// live data. Compaction scales with it: small values (with a small memtable) exercise many levels.
    ///
    /// 1 byte to 1 TiB. The default is 10 MiB.
    public var level1MaxBytes: Int = 10 << 20
    /// How much larger each level's byte target is than the one above it.
    ///
    /// 2 to 100. The default is 10.
    public var levelSizeMultiplier: Int = 10
    /// Size at which a compaction starts a new output table, in bytes.
    ///
    /// 1 byte to 4 GiB. The default is 2 MiB.
    public var targetFileSize: Int = 2 << 20

    /// One bound, in bytes, on the memory the database holds for its memtables, its block cache and its open
    /// tables together; it then sizes all three, in place of ``memtableSize``, ``blockCacheBytes`` and
    /// ``maxOpenTables``:
    /// - a quarter for the memtables: ``memtableSize`` becomes that quarter divided among the memtable taking
    ///   writes and the ``maxImmutableMemtables`` that may wait for their flush;
    /// - half for the block cache;
    /// - a quarter for the open tables' index, filter and properties blocks, counted in bytes (tables past it are
    ///   closed, least recently used first). Tables are then read with system calls rather than memory-mapped, so
    ///   their data is held only in the block cache.
    ///
    /// ``Database/options`` shows the sizes chosen, and ``Statistics`` what each part holds. A memtable may pass its
    /// size by one write and keeps a key filter of 1/32 of its size besides; blocks and tables a read is using stay
    /// until it ends. 1 MiB to 1 TiB.
    /// The default is nil: each part is sized by its own option.
    public var memoryBudget: Int? = nil

    /// Decides, during compaction, which values leave the disk though no one deleted them
    /// (``CompactionFilter``). The default is nil: every value stays until it is overwritten or deleted.
    public var compactionFilter: CompactionFilter? = nil

    /// The wall clock that says when values written with an expiry (``Database/put(_:_:expiresAt:sync:)``)
    /// have expired; tests inject their own. The default is ``WallClock/system``.
    public var clock: WallClock = .system

    /// The default options, as each setting's documentation gives them.
    public init() {}

    var tableOptions: TableOptions {
        var table = TableOptions()
        table.blockSize = blockSize
        table.bloomBitsPerKey = bloomBitsPerKey
        table.compression = compression
        return table
    }

    /// Throws ``LSMError/Code/invalidArgument`` naming the first setting outside its documented range.
    func validate() throws(LSMError) {
        func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws(LSMError) {
            if !range.contains(value) { throw LSMError(.invalidArgument, "\(name) must be in \(range), got \(value)") }
        }
        try check("memtableSize", memtableSize, 1...(1 << 30))
        try check("blockSize", blockSize, 64...(64 << 20))
        try check("bloomBitsPerKey", bloomBitsPerKey, 0...64)
        try check("blockCacheBytes", blockCacheBytes, 0...(1 << 40))
        try check("maxOpenTables", maxOpenTables, 16...(1 << 20))
        try check("maxImmutableMemtables", maxImmutableMemtables, 1...64)
        try check("level0CompactionTrigger", level0CompactionTrigger, 1...1000)
        try check("level0SlowdownTrigger", level0SlowdownTrigger, 1...1000)
        try check("level0StopTrigger", level0StopTrigger, 1...1000)
        guard level0CompactionTrigger <= level0SlowdownTrigger && level0SlowdownTrigger <= level0StopTrigger else {
            throw LSMError(.invalidArgument,
                           "level-0 triggers must satisfy compaction <= slowdown <= stop, got "
                               + "\(level0CompactionTrigger), \(level0SlowdownTrigger), \(level0StopTrigger)")
        }
        try check("level1MaxBytes", level1MaxBytes, 1...(1 << 40))
        try check("levelSizeMultiplier", levelSizeMultiplier, 2...100)
        try check("targetFileSize", targetFileSize, 1...(1 << 32))
        if let memoryBudget { try check("memoryBudget", memoryBudget, (1 << 20)...(1 << 40)) }
    }

    /// These options with ``memoryBudget``, if set, divided among the memtables, the block cache and the open
    /// tables (whose share ``openTableBytes`` gives).
    var resolvingMemoryBudget: Options {
        guard let memoryBudget else { return self }
        var resolved = self
        resolved.memtableSize = max(1, memoryBudget / 4 / (maxImmutableMemtables + 1))
        resolved.blockCacheBytes = memoryBudget / 2
        return resolved
    }

    /// The bytes the open tables' blocks may take under ``memoryBudget``; nil without one.
    var openTableBytes: Int? { memoryBudget.map { $0 / 4 } }
}
