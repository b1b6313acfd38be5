import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
public final class Database: @unchecked Sendable {
    // Safety of @unchecked Sendable: every mutable stored property below is read and written only with `lock`
    // held, except the memtable contents, which have one writer at a time (the leader of the write queue) and
    // lock-free readers by design.

    /// The database directory.
    public let path: String
    /// The options the database was opened with.
    public let options: Options

    private let fileSystem: any FileSystem
    private let versions: VersionSet
    private let tableCache: TableCache
    private let snapshots = SnapshotRegistry()
    private let lock = ConditionLock()
    private let backgroundQueue = DispatchQueue(label: "swift-lsm.background")
    private let fileLock: any FileLock
    private let picker: CompactionPicker
    private let infoLog: InfoLog
    /// Written into every new log and table.
    private let databaseID: DatabaseID

    private var memtable = MemTable()
    private var immutables: [ImmutableMemTable] = []
    /// The log being appended to; nil when the database is read-only.
    private var log: LogWriter?
    private var logNumber: UInt64
    private var logHasUnsyncedWrites = false
    /// Set when an append, sync or switch of the log failed: its state on disk is then unknown, so closing does not
    /// record its size.
    private var logFailed = false
    private var version: Version
    private var lastSequence: SequenceNumber
    private var writers: [PendingWrite] = []
    private var backgroundError: LSMError?
    private var backgroundScheduled = false
    /// Manual compactions running on the background queue; close waits for them.
    private var manualCompactions = 0
    private var isClosed = false
    /// Per level, the largest key of its last compaction, so the next one starts after it.
    private var compactPointers: [[UInt8]?] = Array(repeating: nil, count: Version.levelCount)
    private var counters = Counters()

    /// Activity counters behind ``Statistics``.
    private struct Counters {
        var userBytes: UInt64 = 0
        var logBytes: UInt64 = 0
        var flushes = 0
        var flushBytes: UInt64 = 0
        var compactions = 0
        var trivialMoves = 0
        var compactionBytesRead: UInt64 = 0
        var compactionBytesWritten: UInt64 = 0
        var compactionMicros: UInt64 = 0
        var slowdowns = 0
        var slowdownMicros: UInt64 = 0
        var stops = 0
        var stopMicros: UInt64 = 0
    }

    private struct ImmutableMemTable {
        var table: MemTable
        var logNumber: UInt64
    }

    /// A writer waiting in the commit queue; a nil batch asks for the memtable to be switched (manual flush).
    private final class PendingWrite {
        let batch: WriteBatch?
        let sync: Bool
        var done = false
        var error: LSMError?

        init(batch: WriteBatch?, sync: Bool) {
            self.batch = batch
            self.sync = sync
        }
    }

    // MARK: Opening

    /// Opens the database in the directory at `path`, creating it when the directory is missing or empty (and
    /// ``Options/createIfMissing`` is set). Recovers every write the logs hold.
    ///
    /// Throws ``LSMError/Code/notADatabase`` for a directory that holds other files, ``LSMError/Code/databaseLocked``
    /// when another process has it open, ``LSMError/Code/unsupportedFormat`` for a newer format, and
    /// ``LSMError/Code/corruption`` naming the file and offset when stored data is damaged or the files disagree
    /// with the manifest. An open that fails on what it found deletes and rewrites nothing. With
    /// ``Options/readOnly`` it writes nothing at all.
    public static func open(_ path: String, options: Options = Options()) throws(LSMError) -> Database {
        try open(path, options: options, fileSystem: PosixFileSystem())
    }

    /// Test hooks into ``open(_:options:fileSystem:hooks:)``.
    struct OpenHooks {
        /// Runs after the first look at the directory and before the lock is taken.
        var beforeLock: (() -> Void)?
    }

    static func open(
        _ path: String, options: Options, fileSystem: any FileSystem, hooks: OpenHooks = OpenHooks()
    ) throws(LSMError) -> Database {
        try options.validate()
        guard !path.isEmpty else { throw LSMError(.invalidArgument, "the database path is empty") }
        // A first look without the lock, so that a path that is not a database never gets a LOCK file.
        let firstLook = try DirectoryContents.inspect(path, fileSystem: fileSystem)
        if firstLook == .missing || firstLook == .empty { try checkMayCreate(path, options) }
        if firstLook == .missing { try fileSystem.createDirectory(path) }
        hooks.beforeLock?()
        let fileLock = try fileSystem.lockFile(FileNames.path(path, FileNames.lock), shared: options.readOnly)
        do throws(LSMError) {
            // Another process may have created (or been creating) the database between the first look and the
            // lock: only what is found under the lock decides.
            let contents = try DirectoryContents.inspect(path, fileSystem: fileSystem)
            switch contents {
            case .withoutCurrent(let error): throw error
            case .missing, .empty: try checkMayCreate(path, options)
            case .database: break
            }
            return try Database(path: path, options: options, fileSystem: fileSystem, fileLock: fileLock,
                                create: contents != .database)
        } catch {
            fileLock.unlock()
            throw error
        }
    }

    /// Throws `.notADatabase` unless `options` allow creating a database at `path`, which holds none.
    private static func checkMayCreate(_ path: String, _ options: Options) throws(LSMError) {
        if options.readOnly {
            throw LSMError(.notADatabase, "no database here, and a read-only open does not create one", path: path)
        }
        if !options.createIfMissing {
            throw LSMError(.notADatabase, "no database here and createIfMissing is off", path: path)
        }
    }

    private init(
        path: String, options: Options, fileSystem: any FileSystem, fileLock: any FileLock, create: Bool
    ) throws(LSMError) {
        if create { try VersionSet(fileSystem: fileSystem, directory: path).create() }
        let recovery = try Recovery(directory: path, fileSystem: fileSystem)
        let versions = recovery.versions
        // A database of format version 1 gets an identity when it is upgraded; opened read-only it stays without
        // one, and the placeholder is never written.
        let databaseID = options.readOnly ? versions.databaseID ?? DatabaseID.random()
                                          : versions.adoptDatabaseID(DatabaseID.random())
        let blockCache = options.blockCacheBytes > 0 ? LRUCache<Block>(capacity: options.blockCacheBytes) : nil
        let tableCache = TableCache(
            fileSystem: fileSystem, directory: path, maxOpenTables: options.maxOpenTables, blockCache: blockCache,
            databaseID: versions.databaseID)

        self.path = path
        self.options = options
        self.fileSystem = fileSystem
        self.versions = versions
        self.tableCache = tableCache
        self.fileLock = fileLock
        self.databaseID = databaseID
        self.lastSequence = recovery.lastSequence
        self.picker = CompactionPicker(options: options)
        if options.readOnly {
            memtable = recovery.memtable
            log = nil
            logNumber = versions.logNumber
            version = versions.current
            infoLog = InfoLog(directory: nil)
            return
        }
        // The replayed writes become a table and every replayed log is retired, in one edit with the new log.
        var edit = VersionEdit()
        if recovery.memtable.entryCount > 0 {
            let file = try writeTable(
                from: recovery.memtable.makeIterator(), number: versions.newFileNumber(), databaseID: databaseID,
                directory: path, fileSystem: fileSystem, options: options.tableOptions)
            edit.newFiles.append(.init(level: 0, file: file))
        }
        let newLogNumber = versions.newFileNumber()
        let header = LogFileHeader(kind: .writeAheadLog, databaseID: databaseID, fileNumber: newLogNumber)
        let writer = try LogWriter.create(FileNames.path(path, FileNames.wal(newLogNumber)), header: header,
                                          fileSystem: fileSystem)
        try fileSystem.syncDirectory(path)
        edit.logNumber = newLogNumber
        edit.addedLogs = [newLogNumber]
        versions.lastSequence = recovery.lastSequence
        let previousManifest = versions.manifestFileNumber
        try versions.logAndApply(edit)

        self.log = writer
        self.logNumber = newLogNumber
        self.version = versions.current
        let infoLog = InfoLog(directory: path)
        self.infoLog = infoLog
        let retired = recovery.obsoleteFiles + recovery.replayedLogs.map(FileNames.wal)
            + [FileNames.manifest(previousManifest)]
        for name in retired { try? fileSystem.removeFile(FileNames.path(path, name)) }
        for (name, reason) in recovery.foreignFiles {
            infoLog.log("left alone: \(name), not listed by the manifest, \(reason)")
        }
        if let torn = recovery.tornTail {
            infoLog.log("dropped the torn last record of \(torn.path) at offset \(torn.tail.offset): \(torn.tail.reason)")
        }
        infoLog.log(
            "opened: \(create ? "created" : "recovered") at sequence \(recovery.lastSequence), replayed "
                + "\(recovery.replayedLogs.count) log(s), tables per level \(version.levels.map(\.count))")
        lock.withLock { scheduleBackgroundWork() }
    }

    // MARK: Writing

    /// Sets `key` to `value`. With `sync`, returns only once the write is on disk.
    public func put(_ key: [UInt8], _ value: [UInt8], sync: Bool = false) throws(LSMError) {
        var batch = WriteBatch()
        batch.put(key, value)
        try write(batch, sync: sync)
    }

    /// Removes `key` (a no-op when it is absent). With `sync`, returns only once the deletion is on disk.
    public func delete(_ key: [UInt8], sync: Bool = false) throws(LSMError) {
        var batch = WriteBatch()
        batch.delete(key)
        try write(batch, sync: sync)
    }

    /// Applies every entry of `batch` atomically: readers and recovery see all of it or none.
    public func write(_ batch: WriteBatch, sync: Bool = false) throws(LSMError) {
        try batch.validate()
        try checkWritable()
        if batch.isEmpty {
            try lock.withLock { () throws(LSMError) in try checkOpen() }
            return
        }
        try commit(PendingWrite(batch: batch, sync: sync || options.syncPolicy == .always))
    }

    /// Queues `write`; the writer at the head of the queue commits its own batch and those queued behind it with
    /// one log append (and one fdatasync when any of them asked for it).
    private func commit(_ write: PendingWrite) throws(LSMError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpen()
        writers.append(write)
        while !write.done && writers.first !== write { lock.wait() }
        if write.done {
            if let error = write.error { throw error }
            return
        }
        do {
            try makeRoomForWrite(force: write.batch == nil)
        } catch {
            finish([write], error: error)
            throw error
        }
        guard write.batch != nil else {
            finish([write], error: nil)
            return
        }
        let (group, batch, sync) = takeGroup()
        // Checked before anything is written, so the log never holds a sequence a later open would refuse.
        guard UInt64(batch.count) <= maxSequenceNumber - lastSequence else {
            let error = LSMError(.sequenceExhausted,
                                 "the database has used sequence numbers up to \(lastSequence); a write of "
                                     + "\(batch.count) entries would pass the largest, \(maxSequenceNumber)",
                                 path: path)
            finish(group, error: error)
            throw error
        }
        let first = lastSequence + 1
        let memtable = self.memtable
        // Writable databases always have a log (checkWritable ran first).
        guard let log = self.log else { preconditionFailure("a writable database has a log") }

        lock.unlock()
        var failure: LSMError?
        do {
            try batch.encoded.withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in
                try log.addRecord(bytes)
                if sync { try log.sync() }
                _ = try WriteBatchReader.forEach(bytes) { sequence, kind, key, value in
                    memtable.add(sequence: sequence, kind: kind, key: key, value: value)
                }
            }
        } catch {
            failure = error
        }
        lock.lock()

        if let failure {
            // The log's state on disk is unknown (a failed fdatasync may have lost earlier pages): stop writing
            // rather than acknowledge anything that may not be there.
            backgroundError = backgroundError
                ?? failure.wrapped(.backgroundError, "writes stopped after a log failure")
            logFailed = true
        } else {
            lastSequence = first + UInt64(batch.count) - 1
            logHasUnsyncedWrites = !sync
            counters.userBytes += UInt64(batch.byteCount - WriteBatch.headerSize)
            counters.logBytes += UInt64(batch.byteCount + LogFormat.version2.recordHeaderSize)
        }
        finish(group, error: failure)
        if let failure { throw failure }
    }

    /// Marks `group` (the head of the queue) done and wakes the writers waiting behind it.
    private func finish(_ group: [PendingWrite], error: LSMError?) {
        for write in group {
            write.done = true
            write.error = error
        }
        writers.removeFirst(group.count)
        lock.broadcast()
    }

    /// The head writer and the writers behind it that fit in one log record, their merged batch, and whether it
    /// must be synced. The first sequence number is stamped into the merged batch.
    private func takeGroup() -> (group: [PendingWrite], batch: WriteBatch, sync: Bool) {
        let leader = writers[0]
        var merged = leader.batch!
        var sync = leader.sync
        // A small leader does not make a group large enough to slow it down much.
        let limit = merged.byteCount <= 128 << 10 ? merged.byteCount + (128 << 10) : 1 << 20
        var group = [leader]
        for write in writers.dropFirst() {
            guard let batch = write.batch, merged.byteCount + batch.byteCount <= limit else { break }
            merged.append(contentsOf: batch)
            sync = sync || write.sync
            group.append(write)
        }
        merged.setSequence(lastSequence + 1)
        return (group, merged, sync)
    }

    /// Ensures the memtable has room, switching to a new memtable and log when it is full (or `force` asks for it),
    /// and waiting while too many memtables await their flush. Called by the head writer with the lock held.
    private func makeRoomForWrite(force: Bool) throws(LSMError) {
        var force = force
        var allowDelay = !force
        while true {
            if let backgroundError { throw backgroundError }
            if allowDelay && version.levels[0].count >= options.level0SlowdownTrigger {
                // Near the stop trigger: delay this write by a millisecond rather than stopping a later one for
                // as long as a compaction takes.
                let start = monotonicMicros()
                lock.unlock()
                usleep(1000)
                lock.lock()
                counters.slowdowns += 1
                counters.slowdownMicros += monotonicMicros() - start
                allowDelay = false
                continue
            }
            if force && memtable.entryCount == 0 { return }
            if !force && memtable.approximateMemoryUsage < options.memtableSize { return }
            if immutables.count >= options.maxImmutableMemtables
                || version.levels[0].count >= options.level0StopTrigger
            {
                let start = monotonicMicros()
                counters.stops += 1
                lock.wait()
                counters.stopMicros += monotonicMicros() - start
                continue
            }
            try switchMemTable()
            force = false
        }
    }

    /// Moves writes to a new memtable and log: the new log is created and synced, the old one synced and closed,
    /// and one manifest edit records both (the new log as live, the old one with its final size) before any write
    /// goes to the new log. Lock held.
    private func switchMemTable() throws(LSMError) {
        guard let log else { preconditionFailure("a writable database has a log") }
        let newNumber = versions.newFileNumber()
        let newPath = FileNames.path(path, FileNames.wal(newNumber))
        let newLog: LogWriter
        do {
            newLog = try LogWriter.create(
                newPath, header: LogFileHeader(kind: .writeAheadLog, databaseID: databaseID, fileNumber: newNumber),
                fileSystem: fileSystem)
            try fileSystem.syncDirectory(path)
        } catch {
            // Nothing changed but a new log no edit names; writes may go on in the old one.
            try? fileSystem.removeFile(newPath)
            throw error
        }
        do {
            // A synced write to the new log must not outlive unsynced writes made before it to this one.
            if logHasUnsyncedWrites { try log.sync() }
            let closed = VersionEdit.ClosedLog(number: logNumber, size: log.size, lastRecordOffset: log.lastRecordOffset)
            try log.close()
            var edit = VersionEdit()
            edit.addedLogs = [newNumber]
            edit.closedLogs = [closed]
            versions.lastSequence = lastSequence
            try versions.logAndApply(edit)
        } catch {
            // The edit may have reached the disk, so the new log stays: it holds only its header either way.
            backgroundError = error.wrapped(.backgroundError, "writes stopped after a log failure")
            logFailed = true
            throw error
        }
        immutables.append(ImmutableMemTable(table: memtable, logNumber: logNumber))
        memtable = MemTable()
        self.log = newLog
        logNumber = newNumber
        logHasUnsyncedWrites = false
        scheduleBackgroundWork()
    }

    // MARK: Background work

    /// Starts background work (flushes, then compactions) unless it is running or there is none. Lock held.
    private func scheduleBackgroundWork() {
        guard !backgroundScheduled, backgroundError == nil, !isClosed, !options.readOnly else { return }
        guard !immutables.isEmpty || picker.pick(version, compactPointers: compactPointers) != nil else { return }
        backgroundScheduled = true
        backgroundQueue.async { self.runBackgroundWork() }
    }

    /// Flushes waiting memtables first (writers may be waiting on them), then compacts while any level is over its
    /// target.
    private func runBackgroundWork() {
        lock.lock()
        defer { lock.unlock() }
        while backgroundError == nil && !isClosed {
            if !immutables.isEmpty {
                flushOldestImmutable()
            } else if let compaction = picker.pick(version, compactPointers: compactPointers) {
                runCompaction(compaction)
            } else {
                break
            }
        }
        backgroundScheduled = false
        lock.broadcast()
    }

    /// Flushes the oldest immutable memtable to a level-0 table. Lock held; released during the I/O.
    private func flushOldestImmutable() {
        guard let oldest = immutables.first else { return }
        // The log of the next memtable is the oldest one still needed once this flush is recorded.
        let nextLog = immutables.count > 1 ? immutables[1].logNumber : logNumber
        versions.lastSequence = lastSequence
        lock.unlock()
        var outcome: Swift.Result<FileMetaData, LSMError>
        do throws(LSMError) {
            let file = try writeTable(
                from: oldest.table.makeIterator(), number: versions.newFileNumber(), databaseID: databaseID,
                directory: path, fileSystem: fileSystem, options: options.tableOptions)
            var edit = VersionEdit()
            edit.newFiles.append(.init(level: 0, file: file))
            edit.logNumber = nextLog
            try versions.logAndApply(edit)
            try? fileSystem.removeFile(FileNames.path(path, FileNames.wal(oldest.logNumber)))
            outcome = .success(file)
        } catch {
            outcome = .failure(error)
        }
        lock.lock()
        switch outcome {
        case .success(let file):
            immutables.removeFirst()
            version = versions.current
            counters.flushes += 1
            counters.flushBytes += file.size
            infoLog.log("flushed log \(oldest.logNumber) to table \(file.number): \(file.entryCount) entries, \(file.size) bytes")
        case .failure(let error):
            fail("flush of log \(oldest.logNumber) failed", error)
        }
        lock.broadcast()
    }

    /// Runs `compaction` and installs its result. Lock held; released during the I/O.
    private func runCompaction(_ compaction: Compaction) {
        versions.lastSequence = lastSequence
        if compaction.isTrivialMove {
            let file = compaction.inputs[0]
            var edit = VersionEdit()
            edit.deletedFiles.append(.init(level: compaction.level, number: file.number))
            edit.newFiles.append(.init(level: compaction.outputLevel, file: file))
            lock.unlock()
            var failure: LSMError?
            do throws(LSMError) { try versions.logAndApply(edit) } catch { failure = error }
            lock.lock()
            if let failure { return fail("moving table \(file.number) to level \(compaction.outputLevel) failed", failure) }
            version = versions.current
            compactPointers[compaction.level] = file.largest
            counters.trivialMoves += 1
            return
        }
        let job = CompactionJob(
            compaction: compaction, tableCache: tableCache, fileSystem: fileSystem, directory: path, options: options,
            databaseID: databaseID,
            smallestSnapshot: snapshots.oldest ?? lastSequence, newFileNumber: { self.versions.newFileNumber() },
            onProgress: { self.flushDuringCompaction() })
        let start = monotonicMicros()
        lock.unlock()
        var outcome: Swift.Result<CompactionJob.Result, LSMError>
        do throws(LSMError) {
            let result = try job.run()
            try versions.logAndApply(compaction.edit(outputs: result.outputs))
            outcome = .success(result)
        } catch {
            outcome = .failure(error)
        }
        lock.lock()
        let description = "compaction of \(compaction.inputs.count)+\(compaction.overlapping.count) table(s) "
            + "from level \(compaction.level) to \(compaction.outputLevel)"
        switch outcome {
        case .success(let result):
            version = versions.current
            if let largest = compaction.inputs.map(\.largest).max(by: { compareInternalKeys($0, $1) < 0 }) {
                compactPointers[compaction.level] = largest
            }
            for file in compaction.allInputs { retire(file) }
            counters.compactions += 1
            counters.compactionBytesRead += compaction.inputBytes
            counters.compactionBytesWritten += result.bytesWritten
            let micros = monotonicMicros() - start
            counters.compactionMicros += micros
            infoLog.log(
                "\(description): \(compaction.inputBytes) bytes in, \(result.outputs.count) table(s) and "
                    + "\(result.bytesWritten) bytes out, \(result.entriesDropped) entries dropped, \(micros / 1000) ms")
        case .failure(let error):
            fail("\(description) failed", error)
        }
        lock.broadcast()
    }

    /// Called by a running compaction (without the lock): flushes a waiting memtable so writers need not wait for
    /// the whole compaction.
    private func flushDuringCompaction() {
        lock.lock()
        defer { lock.unlock() }
        if !immutables.isEmpty && backgroundError == nil { flushOldestImmutable() }
    }

    /// Arranges for a table that a durable manifest edit removed to be deleted once no read or cursor uses it.
    private func retire(_ file: FileMetaData) {
        let number = file.number
        let tablePath = FileNames.path(path, FileNames.table(number))
        file.deleteWhenUnused { [fileSystem, tableCache] in
            tableCache.evict(number: number)
            try? fileSystem.removeFile(tablePath)
        }
    }

    /// Records a background failure: it is logged, background writes stop, and every later write returns it, while
    /// reads go on. Lock held.
    private func fail(_ what: String, _ error: LSMError) {
        infoLog.log("ERROR: \(what): \(error)")
        backgroundError = backgroundError
            ?? error.wrapped(.backgroundError, what)
        lock.broadcast()
    }

    /// Waits until no flush or compaction is running or scheduled (for tests that inspect the directory).
    func waitForBackgroundWork() {
        lock.withLock {
            while backgroundScheduled || manualCompactions > 0 { lock.wait() }
        }
    }

    /// Compacts every table holding keys in `[lower, upper]` (nil: unbounded) down to the deepest level that
    /// holds any of them, dropping overwritten values and deleted keys that no snapshot needs; then returns.
    /// Flushes the memtable first, so recent writes are included.
    public func compact(from lower: [UInt8]? = nil, to upper: [UInt8]? = nil) throws(LSMError) {
        try checkWritable()
        try flush()
        let result = backgroundQueue.sync { runManualCompaction(lower: lower, upper: upper) }
        try result.get()
    }

    private func runManualCompaction(lower: [UInt8]?, upper: [UInt8]?) -> Swift.Result<Void, LSMError> {
        lock.lock()
        defer { lock.unlock() }
        if isClosed { return .failure(LSMError(.databaseClosed, "the database is closed", path: path)) }
        manualCompactions += 1
        defer {
            manualCompactions -= 1
            lock.broadcast()
        }
        var deepest = 1
        for level in 1..<Version.levelCount
        where !version.overlappingFiles(level: level, smallestUserKey: lower, largestUserKey: upper).isEmpty {
            deepest = level
        }
        var rewroteDeepest = false
        for level in 0..<deepest {
            if let backgroundError { return .failure(backgroundError) }
            if isClosed { return .failure(LSMError(.databaseClosed, "the database was closed during compaction", path: path)) }
            guard let compaction = picker.manual(version, level: level, lower: lower, upper: upper, inPlace: false)
            else { continue }
            runCompaction(compaction)
            rewroteDeepest = compaction.outputLevel == deepest
        }
        // The deepest level may still hold versions a released snapshot kept, or tombstones: rewrite it too.
        if !rewroteDeepest, backgroundError == nil,
           let compaction = picker.manual(version, level: deepest, lower: lower, upper: upper, inPlace: true) {
            runCompaction(compaction)
        }
        if let backgroundError { return .failure(backgroundError) }
        scheduleBackgroundWork()
        return .success(())
    }

    /// Writes the memtable to a table now and waits until every waiting memtable is flushed.
    public func flush() throws(LSMError) {
        try checkWritable()
        try commit(PendingWrite(batch: nil, sync: false))
        try lock.withLock { () throws(LSMError) in
            while !immutables.isEmpty && backgroundError == nil && !isClosed { lock.wait() }
            if let backgroundError { throw backgroundError }
            try checkOpen()
        }
    }

    // MARK: Reading

    /// What one read consults, taken under the lock so it is consistent.
    private struct ReadView {
        var memtables: [MemTable]
        var version: Version
        var sequence: SequenceNumber
    }

    private func readView(_ snapshot: Snapshot?) throws(LSMError) -> ReadView {
        try lock.withLock { () throws(LSMError) -> ReadView in
            try checkOpen()
            return ReadView(
                memtables: [memtable] + immutables.reversed().map(\.table), version: version,
                sequence: snapshot?.sequence ?? lastSequence)
        }
    }

    /// The value of `key`, or nil when it is absent; as of `snapshot` when one is given.
    public func get(_ key: [UInt8], snapshot: Snapshot? = nil) throws(LSMError) -> [UInt8]? {
        guard key.count <= Limits.maxKeySize else {
            throw LSMError(.keyTooLarge, "key of \(key.count) bytes exceeds the limit of \(Limits.maxKeySize)")
        }
        let view = try readView(snapshot)
        return try key.withBytes { (userKey: UnsafeRawBufferPointer) throws(LSMError) -> [UInt8]? in
            for memtable in view.memtables {
                switch memtable.get(userKey, sequence: view.sequence) {
                case .found(let value): return value
                case .deleted: return nil
                case .notFound: continue
                }
            }
            var result = LookupResult.notFound
            try view.version.forEachFileForLookup(userKey) { (_, file) throws(LSMError) -> Bool in
                result = try tableCache.table(number: file.number).get(userKey, sequence: view.sequence)
                if case .notFound = result { return true }
                return false
            }
            if case .found(let value) = result { return value }
            return nil
        }
    }

    /// A cursor over the keys in `[lower, upper)` (either bound may be nil), forward or in reverse, as of
    /// `snapshot` or of now.
    public func cursor(
        from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, reverse: Bool = false, snapshot: Snapshot? = nil
    ) throws(LSMError) -> Cursor {
        let view = try readView(snapshot)
        var children: [any InternalIterator] = view.memtables.map { $0.makeIterator() }
        for file in view.version.levels[0] {
            children.append(try tableCache.table(number: file.number).makeIterator())
        }
        for level in view.version.levels.dropFirst() where !level.isEmpty {
            children.append(LevelIterator(files: level, tableCache: tableCache))
        }
        var pinned: [AnyObject] = [view.version]
        if let snapshot { pinned.append(snapshot) }
        return Cursor(
            iterator: MergingIterator(children: children), sequence: view.sequence, lower: lower, upper: upper,
            reverse: reverse, pinned: pinned)
    }

    /// A snapshot of the database as it is now: reads through it ignore every later write.
    public func snapshot() throws(LSMError) -> Snapshot {
        try lock.withLock { () throws(LSMError) -> Snapshot in
            try checkOpen()
            snapshots.add(lastSequence)
            return Snapshot(sequence: lastSequence, registry: snapshots)
        }
    }

    /// The database's shape and activity counters.
    public func statistics() throws(LSMError) -> Statistics {
        try lock.withLock { () throws(LSMError) -> Statistics in
            try checkOpen()
            return Statistics(
                levelFileCounts: version.levels.map(\.count),
                levelBytes: (0..<Version.levelCount).map { version.bytes(level: $0) },
                memtableBytes: memtable.approximateMemoryUsage, immutableMemtables: immutables.count,
                lastSequence: lastSequence, flushCount: counters.flushes, writeStallCount: counters.stops,
                liveSnapshots: snapshots.count, userBytesWritten: counters.userBytes,
                logBytesWritten: counters.logBytes, flushBytesWritten: counters.flushBytes,
                compactionBytesRead: counters.compactionBytesRead,
                compactionBytesWritten: counters.compactionBytesWritten, compactionCount: counters.compactions,
                trivialMoveCount: counters.trivialMoves,
                compactionSeconds: Double(counters.compactionMicros) / 1e6,
                writeStallSeconds: Double(counters.stopMicros) / 1e6, writeSlowdownCount: counters.slowdowns,
                writeSlowdownSeconds: Double(counters.slowdownMicros) / 1e6)
        }
    }

    // MARK: Closing

    /// Waits for queued writes and the flush in progress, makes the log durable and releases the directory.
    /// Memtables not yet flushed stay in their logs and are recovered at the next open: nothing is lost, nothing
    /// is flushed needlessly. Using the database afterwards throws ``LSMError/Code/databaseClosed``.
    public func close() throws(LSMError) {
        lock.lock()
        defer { lock.unlock() }
        if isClosed { return }
        while !writers.isEmpty { lock.wait() }
        isClosed = true
        while backgroundScheduled || manualCompactions > 0 { lock.wait() }
        try releaseResources()
    }

    /// Syncs and closes the log, records it as closed with its final size, closes the manifest and unlocks the
    /// directory. Lock held (or no other reference).
    ///
    /// Recording the size and where the last record starts lets the next open hold the log to the narrow torn-tail
    /// rule exactly: only that last record may be found torn; a log cut short or zeroed before it is corruption.
    /// After a failure of the log itself its state on disk is unknown, so nothing is recorded; after a flush or
    /// compaction failure the log is sound, and recording it is tried but not required.
    private func releaseResources() throws(LSMError) {
        defer {
            versions.close()
            infoLog.close()
            fileLock.unlock()
        }
        guard let log else { return }
        guard !logFailed else { return try log.close() }
        if logHasUnsyncedWrites { try log.sync() }
        let closed = VersionEdit.ClosedLog(number: logNumber, size: log.size, lastRecordOffset: log.lastRecordOffset)
        try log.close()
        var edit = VersionEdit()
        edit.closedLogs = [closed]
        versions.lastSequence = lastSequence
        if backgroundError == nil {
            try versions.logAndApply(edit)
        } else {
            try? versions.logAndApply(edit)
        }
    }

    deinit {
        // No other reference exists, so no write or flush is running; without close() the log is still synced.
        if !isClosed { try? releaseResources() }
    }

    private func checkOpen() throws(LSMError) {
        if isClosed { throw LSMError(.databaseClosed, "the database is closed", path: path) }
    }

    private func checkWritable() throws(LSMError) {
        if options.readOnly {
            throw LSMError(.readOnly, "the database was opened read-only (Options.readOnly)", path: path)
        }
    }
}

extension Database {
    /// Sets the UTF-8 key to the UTF-8 value.
    public func put(_ key: String, _ value: String, sync: Bool = false) throws(LSMError) {
        try put(Array(key.utf8), Array(value.utf8), sync: sync)
    }

    /// Removes the UTF-8 key.
    public func delete(_ key: String, sync: Bool = false) throws(LSMError) {
        try delete(Array(key.utf8), sync: sync)
    }

    /// The value of the UTF-8 key decoded as UTF-8, or nil when absent.
    public func get(_ key: String, snapshot: Snapshot? = nil) throws(LSMError) -> String? {
        try get(Array(key.utf8), snapshot: snapshot).map { String(decoding: $0, as: UTF8.self) }
    }
}
