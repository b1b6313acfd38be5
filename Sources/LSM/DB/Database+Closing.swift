/// Closing: waiting for writers and background work, then syncing the log and recording it as closed.
extension Database {
    /// Waits for queued writes and the flush in progress, makes the log durable and releases the directory.
    /// Memtables not yet flushed stay in their logs and are recovered at the next open: nothing is lost, nothing
    /// is flushed needlessly. Using the database afterwards throws ``LSMError/Code/databaseClosed``.
    public func close() throws(LSMError) {
        lock.lock()
        defer { lock.unlock() }
        if state.isClosed { return }
        while !commitQueue.isEmpty || state.logSyncInFlight { lock.wait() }
        state.isClosed = true
        while state.backgroundScheduled || state.manualCompactions > 0 { lock.wait() }
        try releaseResources()
    }

    /// Syncs and closes the log, records it as closed with its final size, closes the manifest and unlocks the
    /// directory. Lock held (or no other reference).
    ///
    /// Recording the size and where the last record starts lets the next open hold the log to the narrow torn-tail
    /// rule exactly: only that last record may be found torn; a log cut short or zeroed before it is corruption.
    /// After a failure of the log itself its state on disk is unknown, so nothing is recorded; after a flush or
    /// compaction failure the log is sound, and recording it is tried but not required.
    func releaseResources() throws(LSMError) {
        defer {
            versions.close()
            infoLog.close()
            fileLock.unlock()
        }
        guard let log = state.log else { return }
        guard !state.logFailed else { return try log.close() }
        var edit = VersionEdit()
        edit.closedLogs = [try closeLog(log)]
        versions.lastSequence = state.lastSequence
        if state.backgroundError == nil {
            try versions.logAndApply(edit)
        } else {
            try? versions.logAndApply(edit)
        }
    }

    /// Trims the space reserved past the log's records, syncs that and what the log holds unsynced, and closes it,
    /// returning what a manifest edit records of it: its number, final size and where its last record starts (the
    /// size the file must then have, zeros and all, so they go first). Lock held.
    func closeLog(_ log: RecordWriter) throws(LSMError) -> VersionEdit.ClosedLog {
        let trimmed = try log.trimReservedSpace()
        if state.syncedSequence < state.lastSequence || trimmed { try log.sync() }
        let closed = VersionEdit.ClosedLog(number: state.logNumber, size: log.size,
                                           lastRecordOffset: log.lastRecordOffset)
        try log.close()
        return closed
    }
}
