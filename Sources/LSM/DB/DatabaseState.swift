/// Everything about an open ``Database`` that changes while it runs, guarded by the database's lock: the memtables,
/// the log, the current version, the counters and the state of the background work.
struct DatabaseState {
    /// A memtable waiting for its flush, and the log that holds its writes.
    struct ImmutableMemTable {
        var table: MemTable
        var logNumber: UInt64
    }

    /// The memtable taking writes.
    var memtable: MemTable { didSet { readState = makeReadState() } }
    /// Memtables waiting for their flush, oldest first.
    var immutables: [ImmutableMemTable] = [] { didSet { readState = makeReadState() } }
    /// The log being appended to; nil when the database is read-only.
    var log: RecordWriter?
    var logNumber: UInt64
    /// Every write up to this sequence is durable: synced in the log, or in a log synced when it was closed.
    var syncedSequence: SequenceNumber
    /// Set while ``Database/syncLog()`` syncs ``log`` without the lock or the commit queue, so that appends go on
    /// meanwhile; whoever would close the log (a memtable switch, close) waits for it.
    var logSyncInFlight = false
    /// Set while a commit group's leader appends to the log without the lock, so whoever needs the log still (a
    /// checkpoint copying it) waits for the group to finish.
    var logAppendInFlight = false
    /// Set when an append, sync or switch of the log failed: its state on disk is then unknown, so closing does not
    /// record its size.
    var logFailed = false
    var version: Version { didSet { readState = makeReadState() } }
    /// The memtables and version reads consult, kept in step with ``memtable``, ``immutables`` and ``version``.
    private(set) var readState: ReadState
    var lastSequence: SequenceNumber
    /// The first failure of background work or of the log; every later write returns it.
    var backgroundError: LSMError?
    var backgroundScheduled = false
    /// Manual compactions running on the background queue; close waits for them.
    var manualCompactions = 0
    var isClosed = false
    /// Per level, the largest key of its last compaction, so the next one starts after it.
    var compactPointers: [[UInt8]?] = Array(repeating: nil, count: Version.levelCount)
    /// The table lookups have probed in vain too often (its level and number), waiting for a compaction.
    var seekCompaction: (level: Int, number: UInt64)?
    /// The user keys of the compaction running, if one is: a flush meanwhile must not place its table among them.
    var compactionInFlight: UserKeyRange?
    var counters = ActivityCounters()

    init(memtable: MemTable, log: RecordWriter?, logNumber: UInt64, version: Version, lastSequence: SequenceNumber) {
        self.memtable = memtable
        self.log = log
        self.logNumber = logNumber
        self.version = version
        self.lastSequence = lastSequence
        syncedSequence = lastSequence
        readState = ReadState(memtables: [memtable], version: version)
    }

    private func makeReadState() -> ReadState {
        ReadState(memtables: [memtable] + immutables.reversed().map(\.table), version: version)
    }
}
