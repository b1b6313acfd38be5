import Dispatch
import Synchronization

/// An embedded, persistent, ordered key-value store: a log-structured merge tree in one directory.
///
/// Writes go to a write-ahead log and a memtable; full memtables are flushed to sorted tables in the background.
/// Reads consult the memtable, then the memtables waiting to be flushed, then the tables newest to oldest.
///
/// ```swift
/// let db = try Database.open("/tmp/example")
/// try db.put(Array("greeting".utf8), Array("hello".utf8), sync: true)
/// let value = try db.get(Array("greeting".utf8))
/// try db.close()
/// ```
///
/// ## Durability
/// A write that returned survives a crash of the process (kill -9): its log record was handed to the operating
/// system first. A write made with `sync: true` (or under ``SyncPolicy/always``) also survives power loss: it
/// returns only after the log is on disk (fdatasync). Concurrent writers share one log append and one fdatasync
/// (group commit). A batch is recovered whole or not at all.
///
/// ## Threads
/// One `Database` may be used from any number of threads at once. Writers are queued and committed in groups;
/// readers take a brief lock to find what to read and never wait for a write's I/O.
///
/// The implementation is split by job: opening (Database+Opening.swift, with Recovery.swift), writing and group
/// commit (Database+Writing.swift, CommitQueue.swift), write stalls and memtable switching
/// (Database+MemTableSwitch.swift), background flush and compaction (Database+Background.swift), reads
/// (Database+Reading.swift), statistics and closing.
public final class Database: @unchecked Sendable {
    // Safety of @unchecked Sendable: `state` and `commitQueue` are read and written only with `lock` held, except
    // the memtable contents, which have one writer at a time (the leader of the write queue) and lock-free readers
    // by design. Every other stored property is immutable.

    /// Disk space a log keeps allocated ahead of its records, a step at a time, so a synced write rarely changes
    /// the file's size (see ``RecordWriter/create(_:header:fileSystem:reservationStep:)``).
    static let logReservationStep: UInt64 = 1 << 20

    /// The database directory.
    public let path: String
    /// The options the database was opened with.
    public let options: Options

    let fileSystem: any FileSystem
    let versions: VersionSet
    let tableCache: TableCache
    /// Decoded blocks of tables read without memory-mapping; nil when ``Options/blockCacheBytes`` is 0.
    let blockCache: LRUCache<Block>?
    let snapshots = SnapshotRegistry()
    let lock = ConditionLock()
    let backgroundQueue = DispatchQueue(label: "swift-lsm.background")
    let fileLock: any FileLock
    let picker: CompactionPicker
    let infoLog: EventLog
    /// Written into every new log and table.
    let databaseID: DatabaseID
    /// The writers waiting to commit. Lock held.
    let commitQueue = CommitQueue()
    /// Whether a table waits for a seek compaction (``DatabaseState/seekCompaction``), readable without the lock
    /// so a lookup that probed in vain takes the lock only when the request would be taken.
    let seekCompactionPending = Atomic(false)
    /// Everything that changes while the database is open. Lock held.
    // Unchecked: the lock already makes every access exclusive, and a runtime check per access (several on each
    // write and read) would cost more than most of the accesses themselves.
    @exclusivity(unchecked) var state: DatabaseState

    init(
        path: String, options: Options, fileSystem: any FileSystem, fileLock: any FileLock, create: Bool
    ) throws(LSMError) {
        if create { try VersionSet(fileSystem: fileSystem, directory: path).create() }
        let recovery = try Recovery(directory: path, fileSystem: fileSystem)
        let versions = recovery.versions
        // A database of format version 1 gets an identity when it is upgraded; opened read-only it stays without
        // one, and the placeholder is never written.
        let databaseID = options.readOnly ? versions.databaseID ?? DatabaseID.random()
                                          : versions.adoptDatabaseID(DatabaseID.random())
        let options = options.resolvingMemoryBudget
        let blockCache = options.blockCacheBytes > 0 ? LRUCache<Block>(capacity: options.blockCacheBytes) : nil
        let tableCache = TableCache(
            fileSystem: fileSystem, directory: path, limit: options.openTableBytes.map { .bytes($0) }
                ?? .tables(options.maxOpenTables),
            blockCache: blockCache, databaseID: versions.databaseID)
        self.blockCache = blockCache

        self.path = path
        self.options = options
        self.fileSystem = fileSystem
        self.versions = versions
        self.tableCache = tableCache
        self.fileLock = fileLock
        self.databaseID = databaseID
        self.picker = CompactionPicker(options: options)
        if options.readOnly {
            state = DatabaseState(memtable: recovery.memtable, log: nil, logNumber: versions.logNumber,
                                  version: versions.current, lastSequence: recovery.lastSequence)
            infoLog = EventLog(directory: nil)
            return
        }
        // The replayed writes become a table and every replayed log is retired, in one edit with the new log.
        var edit = VersionEdit()
        if !recovery.memtable.isEmpty {
            let file = try writeTable(
                from: recovery.memtable, number: versions.newFileNumber(), databaseID: databaseID,
                directory: path, fileSystem: fileSystem, options: options.tableOptions)
            edit.newFiles.append(.init(level: 0, file: file))
        }
        let newLogNumber = versions.newFileNumber()
        let header = RecordFileHeader(kind: .writeAheadLog, databaseID: databaseID, fileNumber: newLogNumber)
        let writer = try RecordWriter.create(FileNames.path(path, FileNames.wal(newLogNumber)), header: header,
                                             fileSystem: fileSystem, reservationStep: Database.logReservationStep)
        try fileSystem.syncDirectory(path)
        edit.logNumber = newLogNumber
        edit.addedLogs = [newLogNumber]
        versions.lastSequence = recovery.lastSequence
        let previousManifest = versions.manifestFileNumber
        try versions.logAndApply(edit)

        state = DatabaseState(memtable: MemTable(expectedBytes: self.options.memtableSize), log: writer,
                              logNumber: newLogNumber, version: versions.current, lastSequence: recovery.lastSequence)
        let infoLog = EventLog(directory: path)
        self.infoLog = infoLog
        let retired = recovery.obsoleteFiles + recovery.replayedLogs.map(FileNames.wal)
            + [FileNames.manifest(previousManifest)]
        for name in retired { try? fileSystem.removeFile(FileNames.path(path, name)) }
        for (name, reason) in recovery.foreignFiles {
            infoLog.log("left alone: \(name), not listed by the manifest, \(reason)")
        }
        if let torn = recovery.tornTail {
            infoLog.log("dropped the torn last record of \(torn.path) at offset \(torn.tail.offset): "
                        + torn.tail.reason)
        }
        infoLog.log(
            "opened: \(create ? "created" : "recovered") at sequence \(recovery.lastSequence), replayed "
                + "\(recovery.replayedLogs.count) log(s), tables per level \(state.version.levels.map(\.count))")
        lock.withLock { scheduleBackgroundWork() }
    }


    deinit {
        // No other reference exists, so no write or flush is running; without close() the log is still synced.
        if !state.isClosed { try? releaseResources() }
    }

    func checkOpen() throws(LSMError) {
        if state.isClosed { throw LSMError(.databaseClosed, "the database is closed", path: path) }
    }

    func checkWritable() throws(LSMError) {
        if options.readOnly {
            throw LSMError(.readOnly, "the database was opened read-only (Options.readOnly)", path: path)
        }
    }
}

extension Database {
    /// The value of the UTF-8 key decoded as UTF-8, or nil when absent.
    public func get(_ key: String, snapshot: Snapshot? = nil) throws(LSMError) -> String? {
        try get(key, as: String.self, snapshot: snapshot)
    }
}
