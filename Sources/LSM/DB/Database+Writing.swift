/// Writing: the public write calls and the commit of a group of writers (one log record, one sync).
extension Database {
    /// Sets `key` to `value`. With `sync`, returns only once the write is on disk.
    public func put(_ key: [UInt8], _ value: [UInt8], sync: Bool = false) throws(LSMError) {
        var batch = WriteBatch(reservingEntryBytes: WriteBatch.entrySize(key: key.count, value: value.count))
        batch.put(key, value)
        try write(batch, sync: sync)
    }

    /// Removes `key` (a no-op when it is absent). With `sync`, returns only once the deletion is on disk.
    public func delete(_ key: [UInt8], sync: Bool = false) throws(LSMError) {
        var batch = WriteBatch(reservingEntryBytes: WriteBatch.entrySize(key: key.count, value: nil))
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
        try commit(CommitQueue.PendingWrite(batch: batch, sync: sync || options.syncPolicy == .always))
    }

    /// Queues `write`; the writer at the head of the queue commits its own batch and those queued behind it with
    /// one log append (and one fdatasync when any of them asked for it).
    func commit(_ write: CommitQueue.PendingWrite) throws(LSMError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpen()
        commitQueue.append(write)
        while !write.done && !commitQueue.isHead(write) { lock.wait() }
        if write.done {
            if let error = write.error { throw error }
            return
        }
        do {
            try makeRoomForWrite(force: write.switchesMemtable)
        } catch {
            finishGroup(count: 1, error: error)
            throw error
        }
        guard !write.switchesMemtable else {
            finishGroup(count: 1, error: nil)
            return
        }
        let (group, merged, sync) = commitQueue.takeGroup(leader: write)
        if let merged {
            try commitGroup(merged, count: group, sync: sync)
        } else if let batch = write.batch {
            try commitGroup(batch, count: group, sync: sync)
        } else {
            preconditionFailure("only a memtable switch carries no batch, and it returned above")
        }
    }

    /// Logs `batch`, the merged batch of the first `count` writers of the queue (or the head's own), inserts it
    /// into the memtable, and marks the group done. Lock held by the head writer; released during the I/O.
    private func commitGroup(_ batch: borrowing WriteBatch, count group: Int, sync: Bool) throws(LSMError) {
        // Checked before anything is written, so the log never holds a sequence a later open would refuse.
        guard UInt64(batch.count) <= maxSequenceNumber - state.lastSequence else {
            let error = LSMError(.sequenceExhausted,
                                 "the database has used sequence numbers up to \(state.lastSequence); a write of "
                                     + "\(batch.count) entries would pass the largest, \(maxSequenceNumber)",
                                 path: path)
            finishGroup(count: group, error: error)
            throw error
        }
        let first = state.lastSequence + 1
        // Unretained: only the head writer, which this is until it finishes its group, switches the memtable, and
        // the database keeps it alive meanwhile.
        let memtable = Unmanaged.passUnretained(state.memtable)
        // Writable databases always have a log (checkWritable ran first).
        guard let log = state.log else { preconditionFailure("a writable database has a log") }

        lock.unlock()
        var failure: LSMError?
        do {
            try batch.withLogRecordParts(firstSequence: first) {
                (header: UnsafeRawBufferPointer, entries: UnsafeRawBufferPointer) throws(LSMError) in
                try log.addRecord(header, entries)
                if sync { try log.sync() }
                _ = try WriteBatchReader.forEachEntry(entries, first: first, count: UInt32(batch.count)) {
                    sequence, kind, key, value in
                    memtable._withUnsafeGuaranteedRef { $0.add(sequence: sequence, kind: kind, key: key, value: value) }
                }
            }
        } catch {
            failure = error
        }
        lock.lock()

        if let failure {
            // The log's state on disk is unknown (a failed fdatasync may have lost earlier pages): stop writing
            // rather than acknowledge anything that may not be there.
            state.backgroundError = state.backgroundError
                ?? failure.wrapped(.backgroundError, "writes stopped after a log failure")
            state.logFailed = true
        } else {
            state.lastSequence = first + UInt64(batch.count) - 1
            state.logHasUnsyncedWrites = !sync
            state.counters.userBytes += UInt64(batch.byteCount - WriteBatch.headerSize)
            state.counters.logBytes += UInt64(batch.byteCount + RecordFileFormat.version2.recordHeaderSize)
        }
        finishGroup(count: group, error: failure)
        if let failure { throw failure }
    }

    /// Marks the group of the first `count` writers of the commit queue done and wakes the writers waiting behind
    /// it. Lock held.
    func finishGroup(count: Int, error: LSMError?) {
        commitQueue.finish(count: count, error: error)
        lock.broadcast()
    }
}
