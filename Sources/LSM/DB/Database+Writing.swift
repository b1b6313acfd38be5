/// Writing: the public write calls and the commit of a group of writers (one log record, one sync).
extension Database {
    /// Sets `key` to `value`. With `sync`, returns only once the write is on disk.
    public func put(_ key: [UInt8], _ value: [UInt8], sync: Bool = false) throws(LSMError) {
        try key.withBytes { (key) throws(LSMError) in
            try value.withBytes { (value) throws(LSMError) in try writeEntry(.value, key, value, sync: sync) }
        }
    }

    /// Sets `key` to `value` until `expiresAt`: from that moment (by ``Options/clock``) reads find no value, as if
    /// the key had been deleted then, and compaction later removes the value from disk. A snapshot or cursor taken
    /// before that moment keeps seeing the value. A moment already past writes a key that reads as absent. With
    /// `sync`, returns only once the write is on disk.
    public func put(_ key: [UInt8], _ value: [UInt8], expiresAt: Timestamp, sync: Bool = false) throws(LSMError) {
        try key.withBytes { (key) throws(LSMError) in
            try value.withBytes { (value) throws(LSMError) in
                try writeEntry(.valueWithExpiry, key, value, expiresAt: expiresAt, sync: sync)
            }
        }
    }

    /// Sets `key` to `value` until `duration` from now (by ``Options/clock``), to the millisecond; see
    /// ``put(_:_:expiresAt:sync:)``.
    public func put(_ key: [UInt8], _ value: [UInt8], expiresAfter duration: Duration, sync: Bool = false)
        throws(LSMError)
    {
        try put(key, value, expiresAt: options.clock.now().advanced(by: duration), sync: sync)
    }

    /// Removes `key` (a no-op when it is absent). With `sync`, returns only once the deletion is on disk.
    public func delete(_ key: [UInt8], sync: Bool = false) throws(LSMError) {
        try key.withBytes { (key) throws(LSMError) in try writeEntry(.deletion, key, nil, sync: sync) }
    }

    /// Removes every key from `start` (inclusive) to `end` (exclusive), atomically, in constant time: one range
    /// deletion is written, however many keys it covers; reads, cursors in both directions and snapshots taken
    /// afterwards see none of them, and compaction later removes them from disk. An empty range (`start == end`)
    /// does nothing; a start above the end is ``LSMError/Code/invalidArgument``. With `sync`, returns only once the
    /// deletion is on disk.
    public func deleteRange(from start: [UInt8], to end: [UInt8], sync: Bool = false) throws(LSMError) {
        try write(WriteBatch(deletingRangeFrom: start, to: end), sync: sync)
    }

    /// Applies every entry of `batch` atomically: readers and recovery see all of it or none.
    public func write(_ batch: WriteBatch, sync: Bool = false) throws(LSMError) {
        try batch.validate()
        try checkWritable()
        if batch.isEmpty {
            try lock.withLock { () throws(LSMError) in try checkOpen() }
            return
        }
        try batch.withEntries { (entries) throws(LSMError) in
            try commit(entries: entries, count: batch.count, sync: sync)
        }
    }

    /// Applies `batch` as ``write(_:sync:)`` does, unless that would wait: for another writer's commit, for a write
    /// slowdown or stall, or for a memtable switch (which creates and syncs files). Then it writes nothing and
    /// returns false, so that a caller that must never block, such as an event loop, can hand the batch to a
    /// thread that may wait (RocksDB's `no_slowdown`). It never syncs: with ``SyncPolicy/always`` it returns false.
    /// Otherwise it throws what `write` throws.
    public func writeWithoutWaiting(_ batch: WriteBatch) throws(LSMError) -> Bool {
        try batch.validate()
        try checkWritable()
        guard options.syncPolicy != .always else { return false }
        guard !batch.isEmpty else {
            try lock.withLock { () throws(LSMError) in try checkOpen() }
            return true
        }
        return try batch.withEntries { (entries) throws(LSMError) -> Bool in
            var write = CommitQueue.PendingWrite(entries: entries, entryCount: batch.count, sync: false)
            return try withUnsafeMutablePointer(to: &write) { (write) throws(LSMError) -> Bool in
                lock.lock()
                defer { lock.unlock() }
                try checkOpen()
                guard commitQueue.isEmpty, try hasRoomWithoutWaiting() else { return false }
                // Alone in the queue, so at its head, and its group is itself.
                commitQueue.append(write)
                try commitGroup(entries, entryCount: batch.count, writers: 1, sync: false)
                return true
            }
        }
    }

    /// Commits one put (`value` given, expiring at `expiry` when that is given) or deletion, encoded on the stack
    /// rather than in a ``WriteBatch``: what `put` and `delete` do, without allocating.
    func writeEntry(
        _ kind: ValueKind, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?,
        expiresAt expiry: Timestamp? = nil, sync: Bool
    ) throws(LSMError) {
        let size = WriteBatch.entrySize(key: key.count, value: value?.count, expiring: expiry != nil)
        try WriteBatch.validate(largestKey: key.count, largestValue: value?.count ?? 0,
                                byteCount: WriteBatch.headerSize + size)
        try checkWritable()
        try withUnsafeTemporaryAllocation(byteCount: size, alignment: 1) {
            (entry: UnsafeMutableRawBufferPointer) throws(LSMError) in
            _ = WriteBatch.encodeEntry(kind, key, value, expiresAt: expiry, into: entry)
            try commit(entries: UnsafeRawBufferPointer(entry), count: 1, sync: sync)
        }
    }

    /// Makes every write that returned before this call durable, as if each had passed `sync: true`: syncs the log
    /// when it holds unsynced writes, and does nothing otherwise. Concurrent calls share one sync (group commit), so
    /// a server can acknowledge many unsynced writes with one call. Writes go on while the log syncs: they wait
    /// neither for the sync nor for this call, which is how a server overlaps one round's sync with the next
    /// round's writes. A failed sync stops writes, as a failed synced write does.
    public func syncLog() throws(LSMError) {
        try checkWritable()
        lock.lock()
        defer { lock.unlock() }
        let target = state.lastSequence
        while true {
            // Checked again after each wait: close may have run meanwhile.
            try checkOpen()
            if let backgroundError = state.backgroundError, state.logFailed { throw backgroundError }
            if state.syncedSequence >= target { return }
            if !state.logSyncInFlight { break }
            // Another caller's sync may not cover this one's writes (it may have begun before they were logged):
            // wait for it, then sync again if it did not.
            lock.wait()
        }
        // Writable databases always have a log (checkWritable ran first), and nothing closes it while the sync is
        // in flight (a memtable switch and close wait for it).
        guard let log = state.log else { preconditionFailure("a writable database has a log") }
        // Every write up to `covered` is in the log already: the sequence advances only once a write is appended.
        let covered = state.lastSequence
        state.logSyncInFlight = true
        lock.unlock()
        var failure: LSMError?
        do { try log.sync() } catch { failure = error }
        lock.lock()
        state.logSyncInFlight = false
        lock.broadcast()
        if let failure {
            stopWrites(afterLogFailure: failure)
            throw failure
        }
        state.syncedSequence = max(state.syncedSequence, covered)
    }

    /// Commits `count` encoded entries (a batch's bytes after its header) as one atomic write.
    private func commit(entries: UnsafeRawBufferPointer, count: Int, sync: Bool) throws(LSMError) {
        var write = CommitQueue.PendingWrite(entries: entries, entryCount: count,
                                             sync: sync || options.syncPolicy == .always)
        try withUnsafeMutablePointer(to: &write) { (write) throws(LSMError) in try commit(write) }
    }

    /// Queues `write`; the writer at the head of the queue commits its own entries and those queued behind it
    /// with one log append (and one fdatasync when any of them asked for it). `write` stays in place until this
    /// returns.
    func commit(_ write: UnsafeMutablePointer<CommitQueue.PendingWrite>) throws(LSMError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpen()
        commitQueue.append(write)
        while !write.pointee.done && !commitQueue.isHead(write) { lock.wait() }
        if write.pointee.done {
            if let error = write.pointee.error { throw error }
            return
        }
        let switchesMemtable = write.pointee.switchesMemtable
        do {
            try makeRoomForWrite(force: switchesMemtable)
        } catch {
            finishGroup(count: 1, error: error)
            throw error
        }
        guard !switchesMemtable else {
            finishGroup(count: 1, error: nil)
            return
        }
        let group = commitQueue.takeGroup(leader: write)
        if let merged = group.merged {
            try merged.withBytes { (entries) throws(LSMError) in
                try commitGroup(entries, entryCount: group.entryCount, writers: group.count, sync: group.sync)
            }
        } else {
            try commitGroup(write.pointee.entries, entryCount: group.entryCount, writers: 1, sync: group.sync)
        }
    }

    /// Logs `entries` (`entryCount` of them), the merged entries of the first `group` writers of the queue (or
    /// the head's own), inserts them into the memtable, and marks the group done. Lock held by the head writer;
    /// released during the I/O.
    private func commitGroup(
        _ entries: UnsafeRawBufferPointer, entryCount: Int, writers group: Int, sync: Bool
    ) throws(LSMError) {
        // Checked before anything is written, so the log never holds a sequence a later open would refuse.
        guard UInt64(entryCount) <= maxSequenceNumber - state.lastSequence else {
            let error = LSMError(.sequenceExhausted,
                                 "the database has used sequence numbers up to \(state.lastSequence); a write of "
                                     + "\(entryCount) entries would pass the largest, \(maxSequenceNumber)",
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

        state.logAppendInFlight = true
        lock.unlock()
        var failure: LSMError?
        do {
            try WriteBatch.withLogRecordHeader(firstSequence: first, count: entryCount) {
                (header: UnsafeRawBufferPointer) throws(LSMError) in
                try log.addRecord(header, entries)
                if sync { try log.sync() }
                try Self.insert(entries, first: first, count: entryCount, into: memtable)
            }
        } catch {
            failure = error
        }
        lock.lock()
        state.logAppendInFlight = false

        if let failure {
            stopWrites(afterLogFailure: failure)
        } else {
            state.lastSequence = first + UInt64(entryCount) - 1
            if sync { state.syncedSequence = state.lastSequence }
            state.counters.userBytes += UInt64(entries.count)
            state.counters.logBytes += UInt64(WriteBatch.headerSize + entries.count
                                              + RecordFileFormat.version2.recordHeaderSize)
        }
        finishGroup(count: group, error: failure)
        if let failure { throw failure }
    }

    /// Groups of at least this many entries go into the memtable sorted (``MemTable/add(sorted:)``).
    static let sortedInsertionThreshold = 16

    /// Inserts a logged group's `count` entries, numbered from `first`, into `memtable`: one by one when they are
    /// few, otherwise sorted by key first, so that each skiplist search starts where the last one ended. Readers
    /// see none of them until the group's last sequence is published, so the order they go in is free.
    private static func insert(
        _ entries: UnsafeRawBufferPointer, first: SequenceNumber, count: Int, into memtable: Unmanaged<MemTable>
    ) throws(LSMError) {
        guard count >= sortedInsertionThreshold else {
            _ = try WriteBatchReader.forEachEntry(entries, first: first, count: UInt32(count)) {
                sequence, kind, key, value in
                memtable._withUnsafeGuaranteedRef { $0.add(sequence: sequence, kind: kind, key: key, value: value) }
            }
            return
        }
        try withUnsafeTemporaryAllocation(of: SkipList.Entry.self, capacity: count) {
            (buffer: UnsafeMutableBufferPointer<SkipList.Entry>) throws(LSMError) in
            var collected = 0
            _ = try WriteBatchReader.forEachEntry(entries, first: first, count: UInt32(count)) {
                sequence, kind, key, value in
                guard kind != .rangeDeletion else {
                    return memtable._withUnsafeGuaranteedRef {
                        $0.add(sequence: sequence, kind: kind, key: key, value: value)
                    }
                }
                buffer.initializeElement(
                    at: collected, to: SkipList.Entry(userKey: key, trailer: packTrailer(sequence, kind), value: value))
                collected += 1
            }
            var sorted = UnsafeMutableBufferPointer(rebasing: buffer[..<collected])
            sorted.sort(by: SkipList.Entry.precedes)
            memtable._withUnsafeGuaranteedRef { $0.add(sorted: UnsafeBufferPointer(sorted)) }
        }
    }

    /// After a failed append or sync the log's state on disk is unknown (a failed fdatasync may have lost earlier
    /// pages): writes stop rather than acknowledge anything that may not be there. Lock held.
    private func stopWrites(afterLogFailure failure: LSMError) {
        state.backgroundError = state.backgroundError
            ?? failure.wrapped(.backgroundError, "writes stopped after a log failure")
        state.logFailed = true
    }

    /// Marks the group of the first `count` writers of the commit queue done and wakes the writers waiting behind
    /// it. Lock held.
    func finishGroup(count: Int, error: LSMError?) {
        commitQueue.finish(count: count, error: error)
        lock.broadcast()
    }
}
