/// Reading: a pinned view of the memtables, version and sequence for each read, point lookups, cursors and
/// snapshots.
extension Database {
    /// What one read consults and as of which sequence, taken under the lock so it is consistent.
    func readView(_ snapshot: Snapshot?) throws(LSMError) -> (state: ReadState, sequence: SequenceNumber) {
        try lock.withLock { () throws(LSMError) in
            try checkOpen()
            return (state.readState, snapshot?.sequence ?? state.lastSequence)
        }
    }

    /// The moment a read judges expiry at: its snapshot's, or now by ``Options/clock``.
    private func readTime(_ snapshot: Snapshot?) -> Timestamp {
        snapshot?.time ?? options.clock.now()
    }

    /// The value of `key`, or nil when it is absent (or has expired); as of `snapshot` when one is given.
    public func get(_ key: [UInt8], snapshot: Snapshot? = nil) throws(LSMError) -> [UInt8]? {
        try key.withBytes { (key: UnsafeRawBufferPointer) throws(LSMError) in try value(forKey: key, snapshot: snapshot) }
    }

    /// The value of `key` and when it expires (nil: never), or nil when the key is absent or has expired; as of
    /// `snapshot` when one is given.
    public func getWithExpiry(
        _ key: [UInt8], snapshot: Snapshot? = nil
    ) throws(LSMError) -> (value: [UInt8], expiresAt: Timestamp?)? {
        try key.withBytes { (key: UnsafeRawBufferPointer) throws(LSMError) in
            try valueAndExpiry(forKey: key, snapshot: snapshot)
        }
    }

    /// The value of the user key `key` lends and when it expires, or nil when it is absent or has expired.
    func valueAndExpiry(
        forKey userKey: UnsafeRawBufferPointer, snapshot: Snapshot?
    ) throws(LSMError) -> (value: [UInt8], expiresAt: Timestamp?)? {
        switch try newestEntry(userKey, snapshot: snapshot) {
        case .found(let value): return (value, nil)
        case .foundExpiring(let value, let expiry):
            return expiry > readTime(snapshot) ? (value, expiry) : nil
        case .deleted, .notFound: return nil
        }
    }

    /// The value of the user key `key` lends, or nil when it is absent or has expired: every point read goes
    /// through here, with the key read in place. The clock is read only when a value that expires is found.
    func value(forKey userKey: UnsafeRawBufferPointer, snapshot: Snapshot?) throws(LSMError) -> [UInt8]? {
        switch try newestEntry(userKey, snapshot: snapshot) {
        case .found(let value): return value
        case .foundExpiring(let value, let expiry):
            return expiry > readTime(snapshot) ? value : nil
        case .deleted, .notFound: return nil
        }
    }

    /// The newest entry of `userKey` visible to the read, expired or not.
    private func newestEntry(_ userKey: UnsafeRawBufferPointer, snapshot: Snapshot?) throws(LSMError) -> LookupResult {
        guard userKey.count <= Limits.maxKeySize else {
            throw LSMError(.keyTooLarge, "key of \(userKey.count) bytes exceeds the limit of \(Limits.maxKeySize)")
        }
        let view = try readView(snapshot)
        let hash = BloomFilter.hash(userKey)
        // The read state keeps its memtables and version alive while the read holds it, so they are borrowed
        // below, not retained: a retain is an atomic write, which threads reading at once contend for.
        for memtable in view.state.unretainedMemtables {
            let result = memtable._withUnsafeGuaranteedRef { $0.get(userKey, hash: hash, sequence: view.sequence) }
            if case .notFound = result { continue }
            return result
        }
        return try view.state.unretainedVersion._withUnsafeGuaranteedRef { version in
            Result { () throws(LSMError) in
                try newestEntry(in: version, userKey, hash: hash, sequence: view.sequence)
            }
        }.get()
    }

    /// The newest entry of `userKey` at or below `sequence` in the tables of `version`, charging a seek to the
    /// first table probed when the key is found only later.
    private func newestEntry(
        in version: Version, _ userKey: UnsafeRawBufferPointer, hash: UInt64, sequence: SequenceNumber
    ) throws(LSMError) -> LookupResult {
        var result = LookupResult.notFound
        // The first table probed, unretained (the version holds it).
        var first: (file: Unmanaged<FileMetaData>, level: Int)?
        var probes = 0
        try version.forEachFileForLookup(userKey) { (level, file) throws(LSMError) -> Bool in
            probes += 1
            if probes == 1 { first = (.passUnretained(file), level) }
            result = try tableCache.table(number: file.number).get(userKey, hash: hash, sequence: sequence)
            if case .notFound = result { return true }
            return false
        }
        if probes > 1, let first, first.file._withUnsafeGuaranteedRef({ $0.chargeSeek() }) {
            requestSeekCompaction(of: first.file.takeUnretainedValue(), level: first.level)
        }
        return result
    }

    /// A cursor over the keys in `[lower, upper)` (either bound may be nil), forward or in reverse, as of
    /// `snapshot` or of now.
    public func cursor(
        from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, reverse: Bool = false, snapshot: Snapshot? = nil
    ) throws(LSMError) -> Cursor {
        let view = try readView(snapshot)
        var children: [any InternalIterator] = view.state.memtables.map { $0.makeIterator() }
        for file in view.state.version.levels[0] {
            children.append(try tableCache.table(number: file.number).makeIterator())
        }
        for level in view.state.version.levels.dropFirst() where !level.isEmpty {
            children.append(try LevelIterator(files: level, tableCache: tableCache))
        }
        var tombstones: [RangeTombstone] = []
        for memtable in view.state.memtables where memtable.hasRangeDeletions { tombstones += memtable.rangeTombstones }
        for file in view.state.version.rangeDeletionFiles {
            tombstones += try tableCache.table(number: file.number).rangeTombstones.tombstones
        }
        var pinned: [AnyObject] = [view.state]
        if let snapshot { pinned.append(snapshot) }
        return Cursor(
            iterator: ReadPathMergingIterator(children: children), sequence: view.sequence,
            time: readTime(snapshot),
            rangeTombstones: tombstones.isEmpty ? .empty : RangeTombstoneSet(tombstones), lower: lower, upper: upper,
            reverse: reverse, pinned: pinned)
    }

    /// A snapshot of the database as it is now: reads through it ignore every later write, and see values that
    /// expire as they were now.
    public func snapshot() throws(LSMError) -> Snapshot {
        let sequence = try lock.withLock { () throws(LSMError) -> SequenceNumber in
            try checkOpen()
            snapshots.add(state.lastSequence)
            return state.lastSequence
        }
        // The clock is read once the snapshot is registered: a compaction that does not know of it read the clock
        // earlier (compactions read it with the lock held), so it removes only values expired for this snapshot too.
        return Snapshot(sequence: sequence, time: options.clock.now(), registry: snapshots)
    }
}
