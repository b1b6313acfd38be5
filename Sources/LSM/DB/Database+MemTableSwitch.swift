#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Write stalls and memtable switching: making room for the head writer, and moving writes to a new memtable and log.
extension Database {
    /// Ensures the memtable has room, switching to a new memtable and log when it is full (or `force` asks for it),
    /// and waiting while too many memtables await their flush. Called by the head writer with the lock held.
    func makeRoomForWrite(force: Bool) throws(LSMError) {
        var force = force
        var allowDelay = !force
        while true {
            if let backgroundError = state.backgroundError { throw backgroundError }
            if allowDelay && slowdownDue {
                // Near the stop trigger: delay this write by a millisecond rather than stopping a later one for
                // as long as a compaction takes.
                let start = MonotonicClock.microseconds()
                lock.unlock()
                usleep(1000)
                lock.lock()
                state.counters.slowdowns += 1
                state.counters.slowdownMicros += MonotonicClock.microseconds() - start
                allowDelay = false
                continue
            }
            if force && state.memtable.isEmpty { return }
            if !force && memtableHasRoom { return }
            if state.logSyncInFlight {
                // The switch closes the log that sync is using.
                lock.wait()
                continue
            }
            if state.immutables.count >= options.maxImmutableMemtables
                || state.version.levels[0].count >= options.level0StopTrigger
            {
                let start = MonotonicClock.microseconds()
                state.counters.stops += 1
                lock.wait()
                state.counters.stopMicros += MonotonicClock.microseconds() - start
                continue
            }
            try switchMemTable()
            force = false
        }
    }

    /// Whether the head writer could write now without ``makeRoomForWrite(force:)`` waiting or switching the
    /// memtable: no slowdown is due and the memtable has room. Throws the background error that stops writes.
    /// Lock held.
    func hasRoomWithoutWaiting() throws(LSMError) -> Bool {
        if let backgroundError = state.backgroundError { throw backgroundError }
        return !slowdownDue && memtableHasRoom
    }

    /// Whether level 0 is near enough the stop trigger that a write is delayed by a millisecond. Lock held.
    private var slowdownDue: Bool {
        picker.level0Pressure(state.version) >= Double(options.level0SlowdownTrigger)
    }

    /// Whether the memtable takes more writes before it is switched. Lock held.
    private var memtableHasRoom: Bool {
        state.memtable.approximateMemoryUsage < options.memtableSize
    }

    /// Moves writes to a new memtable and log: the new log is created and synced, the old one synced and closed,
    /// and one manifest edit records both (the new log as live, the old one with its final size) before any write
    /// goes to the new log. Lock held.
    func switchMemTable() throws(LSMError) {
        guard let log = state.log else { preconditionFailure("a writable database has a log") }
        let newNumber = versions.newFileNumber()
        let newPath = FileNames.path(path, FileNames.wal(newNumber))
        let newLog: RecordWriter
        do {
            newLog = try RecordWriter.create(
                newPath, header: RecordFileHeader(kind: .writeAheadLog, databaseID: databaseID, fileNumber: newNumber),
                fileSystem: fileSystem, reservationStep: Database.logReservationStep)
            try fileSystem.syncDirectory(path)
        } catch {
            // Nothing changed but a new log no edit names; writes may go on in the old one.
            try? fileSystem.removeFile(newPath)
            throw error
        }
        do {
            // The old log is synced first: a synced write to the new log must not outlive unsynced writes made
            // before it to the old one.
            var edit = VersionEdit()
            edit.addedLogs = [newNumber]
            edit.closedLogs = [try closeLog(log)]
            versions.lastSequence = state.lastSequence
            try versions.logAndApply(edit)
        } catch {
            // The edit may have reached the disk, so the new log stays: it holds only its header either way.
            state.backgroundError = error.wrapped(.backgroundError, "writes stopped after a log failure")
            state.logFailed = true
            throw error
        }
        state.immutables.append(DatabaseState.ImmutableMemTable(table: state.memtable, logNumber: state.logNumber))
        state.memtable = MemTable(expectedBytes: options.memtableSize)
        state.log = newLog
        state.logNumber = newNumber
        state.syncedSequence = state.lastSequence
        scheduleBackgroundWork()
    }
}
