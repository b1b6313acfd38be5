import Synchronization

/// Background work: flushing waiting memtables, leveled and manual compaction, retiring tables, and recording a
/// background failure.
extension Database {
    /// Starts background work (flushes, then compactions) unless it is running or there is none. Lock held.
    func scheduleBackgroundWork() {
        guard !state.backgroundScheduled, state.backgroundError == nil, !state.isClosed, !options.readOnly else {
            return
        }
        guard !state.immutables.isEmpty || pickCompaction() != nil else { return }
        state.backgroundScheduled = true
        backgroundQueue.async { self.runBackgroundWork() }
    }

    /// The compaction the tree needs most: a level over its target, else the table lookups keep probing in vain
    /// (``requestSeekCompaction(of:level:)``), while it is still where it was. Lock held.
    func pickCompaction() -> Compaction? {
        if let candidate = state.seekCompaction,
           !state.version.levels[candidate.level].contains(where: { $0.number == candidate.number }) {
            state.seekCompaction = nil
            seekCompactionPending.store(false, ordering: .relaxed)
        }
        return picker.pick(state.version, compactPointers: state.compactPointers, seekCandidate: state.seekCompaction)
    }

    /// Asks for `file` of `level` to be compacted, as lookups have probed it in vain too often, unless another
    /// table is waiting for that already. Takes the lock only then, so reads rarely do.
    func requestSeekCompaction(of file: FileMetaData, level: Int) {
        guard !seekCompactionPending.load(ordering: .relaxed) else { return }
        lock.withLock {
            guard state.seekCompaction == nil, !state.isClosed else { return }
            state.seekCompaction = (level, file.number)
            seekCompactionPending.store(true, ordering: .relaxed)
            scheduleBackgroundWork()
        }
    }

    /// Flushes waiting memtables first (writers may be waiting on them), then compacts while any level is over its
    /// target or a table is waiting for a seek compaction.
    func runBackgroundWork() {
        lock.lock()
        defer { lock.unlock() }
        while state.backgroundError == nil && !state.isClosed {
            if !state.immutables.isEmpty {
                flushOldestImmutable()
            } else if let compaction = pickCompaction() {
                runCompaction(compaction)
            } else {
                break
            }
        }
        state.backgroundScheduled = false
        lock.broadcast()
    }

    /// Flushes the oldest immutable memtable to a table, in the level
    /// ``CompactionPicker/levelForFlushedTable(_:in:avoiding:)`` picks. Lock held; released during the I/O.
    func flushOldestImmutable() {
        guard let oldest = state.immutables.first else { return }
        // The log of the next memtable is the oldest one still needed once this flush is recorded.
        let nextLog = state.immutables.count > 1 ? state.immutables[1].logNumber : state.logNumber
        versions.lastSequence = state.lastSequence
        // Versions change only on the background queue, which is running this flush (inside a compaction when
        // there is one in flight), so the version the level is picked from is the one the edit applies to.
        let busyRange = state.compactionInFlight
        lock.unlock()
        var outcome: Swift.Result<(file: FileMetaData, level: Int), LSMError>
        do throws(LSMError) {
            let file = try writeTable(
                from: oldest.table, number: versions.newFileNumber(), databaseID: databaseID,
                directory: path, fileSystem: fileSystem, options: options.tableOptions)
            let level = picker.levelForFlushedTable(file, in: versions.current, avoiding: busyRange)
            var edit = VersionEdit()
            edit.newFiles.append(.init(level: level, file: file))
            edit.logNumber = nextLog
            try versions.logAndApply(edit)
            outcome = .success((file, level))
        } catch {
            outcome = .failure(error)
        }
        lock.lock()
        switch outcome {
        case .success(let (file, level)):
            // Removed with the lock held, with the memtable: whoever finds the memtable waiting (a checkpoint)
            // finds its log.
            try? fileSystem.removeFile(FileNames.path(path, FileNames.wal(oldest.logNumber)))
            state.immutables.removeFirst()
            state.version = versions.current
            state.counters.flushes += 1
            state.counters.flushBytes += file.size
            infoLog.log("flushed log \(oldest.logNumber) to table \(file.number) in level \(level): "
                        + "\(file.entryCount) entries, \(file.size) bytes")
        case .failure(let error):
            fail("flush of log \(oldest.logNumber) failed", error)
        }
        lock.broadcast()
    }

    /// Runs `compaction` and installs its result. Lock held; released during the I/O.
    func runCompaction(_ compaction: Compaction) {
        versions.lastSequence = state.lastSequence
        if compaction.isTrivialMove {
            let file = compaction.inputs[0]
            var edit = VersionEdit()
            edit.deletedFiles.append(.init(level: compaction.level, number: file.number))
            edit.newFiles.append(.init(level: compaction.outputLevel, file: file))
            lock.unlock()
            var failure: LSMError?
            do throws(LSMError) { try versions.logAndApply(edit) } catch { failure = error }
            lock.lock()
            if let failure {
                return fail("moving table \(file.number) to level \(compaction.outputLevel) failed", failure)
            }
            state.version = versions.current
            state.compactPointers[compaction.level] = file.largest
            state.counters.trivialMoves += 1
            return
        }
        let job = CompactionJob(
            compaction: compaction, tableCache: tableCache, fileSystem: fileSystem, directory: path, options: options,
            databaseID: databaseID,
            smallestSnapshot: snapshots.oldest ?? state.lastSequence, newestSnapshot: snapshots.newest,
            now: options.clock.now(), newFileNumber: { self.versions.newFileNumber() },
            onProgress: { self.flushDuringCompaction() })
        let start = MonotonicClock.microseconds()
        // Its outputs may land anywhere in this range of the output level: a flush meanwhile stays out of it.
        state.compactionInFlight = UserKeyRange(covering: compaction.allInputs)
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
        state.compactionInFlight = nil
        let description = "compaction of \(compaction.inputs.count)+\(compaction.overlapping.count) table(s) "
            + "from level \(compaction.level) to \(compaction.outputLevel)"
        switch outcome {
        case .success(let result):
            state.version = versions.current
            if let largest = compaction.inputs.map(\.largest).max(by: { compareInternalKeys($0, $1) < 0 }) {
                state.compactPointers[compaction.level] = largest
            }
            for file in compaction.allInputs { retire(file) }
            state.counters.compactions += 1
            state.counters.compactionBytesRead += compaction.inputBytes
            state.counters.compactionBytesWritten += result.bytesWritten
            let micros = MonotonicClock.microseconds() - start
            state.counters.compactionMicros += micros
            infoLog.log(
                "\(description): \(compaction.inputBytes) bytes in, \(result.outputs.count) table(s) and "
                    + "\(result.bytesWritten) bytes out, \(result.entriesDropped) entries dropped, "
                    + "\(result.entriesExpired) expired, \(result.entriesFiltered) removed by the compaction filter, "
                    + "\(micros / 1000) ms")
        case .failure(let error):
            fail("\(description) failed", error)
        }
        lock.broadcast()
    }

    /// Called by a running compaction (without the lock): flushes a waiting memtable so writers need not wait for
    /// the whole compaction.
    func flushDuringCompaction() {
        lock.lock()
        defer { lock.unlock() }
        if !state.immutables.isEmpty && state.backgroundError == nil { flushOldestImmutable() }
    }

    /// Arranges for a table that a durable manifest edit removed to be deleted once no read or cursor uses it.
    func retire(_ file: FileMetaData) {
        let number = file.number
        let tablePath = FileNames.path(path, FileNames.table(number))
        file.deleteWhenUnused { [fileSystem, tableCache] in
            tableCache.evict(number: number)
            try? fileSystem.removeFile(tablePath)
        }
    }

    /// Records a background failure: it is logged, background writes stop, and every later write returns it, while
    /// reads go on. Lock held.
    func fail(_ what: String, _ error: LSMError) {
        infoLog.log("ERROR: \(what): \(error)")
        state.backgroundError = state.backgroundError
            ?? error.wrapped(.backgroundError, what)
        lock.broadcast()
    }

    /// Waits until no flush or compaction is running or scheduled (for tests that inspect the directory).
    func waitForBackgroundWork() {
        lock.withLock {
            while state.backgroundScheduled || state.manualCompactions > 0 { lock.wait() }
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

    func runManualCompaction(lower: [UInt8]?, upper: [UInt8]?) -> Swift.Result<Void, LSMError> {
        lock.lock()
        defer { lock.unlock() }
        if state.isClosed { return .failure(LSMError(.databaseClosed, "the database is closed", path: path)) }
        state.manualCompactions += 1
        defer {
            state.manualCompactions -= 1
            lock.broadcast()
        }
        var deepest = 1
        for level in 1..<Version.levelCount
        where !state.version.overlappingFiles(level: level, smallestUserKey: lower, largestUserKey: upper).isEmpty {
            deepest = level
        }
        var rewroteDeepest = false
        for level in 0..<deepest {
            if let backgroundError = state.backgroundError { return .failure(backgroundError) }
            if state.isClosed {
                return .failure(LSMError(.databaseClosed, "the database was closed during compaction", path: path))
            }
            guard let compaction = picker.manual(state.version, level: level, lower: lower, upper: upper,
                                                 inPlace: false)
            else { continue }
            runCompaction(compaction)
            rewroteDeepest = compaction.outputLevel == deepest
        }
        // The deepest level may still hold versions a released snapshot kept, or tombstones: rewrite it too.
        if !rewroteDeepest, state.backgroundError == nil,
           let compaction = picker.manual(state.version, level: deepest, lower: lower, upper: upper, inPlace: true) {
            runCompaction(compaction)
        }
        if let backgroundError = state.backgroundError { return .failure(backgroundError) }
        scheduleBackgroundWork()
        return .success(())
    }

    /// Writes the memtable to a table now and waits until every waiting memtable is flushed.
    public func flush() throws(LSMError) {
        try checkWritable()
        var request = CommitQueue.PendingWrite.memtableSwitch
        try withUnsafeMutablePointer(to: &request) { (request) throws(LSMError) in try commit(request) }
        try lock.withLock { () throws(LSMError) in
            while !state.immutables.isEmpty && state.backgroundError == nil && !state.isClosed { lock.wait() }
            if let backgroundError = state.backgroundError { throw backgroundError }
            try checkOpen()
        }
    }
}
