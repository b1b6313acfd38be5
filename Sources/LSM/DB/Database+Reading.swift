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

    /// The value of `key`, or nil when it is absent; as of `snapshot` when one is given.
    public func get(_ key: [UInt8], snapshot: Snapshot? = nil) throws(LSMError) -> [UInt8]? {
        try key.withBytes { (key: UnsafeRawBufferPointer) throws(LSMError) in try value(forKey: key, snapshot: snapshot) }
    }

    /// The value of the user key `key` lends, or nil when it is absent: every point read goes through here, with the
    /// key read in place.
    func value(forKey userKey: UnsafeRawBufferPointer, snapshot: Snapshot?) throws(LSMError) -> [UInt8]? {
        guard userKey.count <= Limits.maxKeySize else {
            throw LSMError(.keyTooLarge, "key of \(userKey.count) bytes exceeds the limit of \(Limits.maxKeySize)")
        }
        let view = try readView(snapshot)
        for memtable in view.state.memtables {
            switch memtable.get(userKey, sequence: view.sequence) {
            case .found(let value): return value
            case .deleted: return nil
            case .notFound: continue
            }
        }
        var result = LookupResult.notFound
        // The first table probed, unretained (the read state holds it), charged if the key is found only later.
        var first: (file: Unmanaged<FileMetaData>, level: Int)?
        var probes = 0
        try view.state.version.forEachFileForLookup(userKey) { (level, file) throws(LSMError) -> Bool in
            probes += 1
            if probes == 1 { first = (.passUnretained(file), level) }
            result = try tableCache.table(number: file.number).get(userKey, sequence: view.sequence)
            if case .notFound = result { return true }
            return false
        }
        if probes > 1, let first, first.file._withUnsafeGuaranteedRef({ $0.chargeSeek() }) {
            requestSeekCompaction(of: first.file.takeUnretainedValue(), level: first.level)
        }
        if case .found(let value) = result { return value }
        return nil
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
        var pinned: [AnyObject] = [view.state]
        if let snapshot { pinned.append(snapshot) }
        return Cursor(
            iterator: ReadPathMergingIterator(children: children), sequence: view.sequence, lower: lower, upper: upper,
            reverse: reverse, pinned: pinned)
    }

    /// A snapshot of the database as it is now: reads through it ignore every later write.
    public func snapshot() throws(LSMError) -> Snapshot {
        try lock.withLock { () throws(LSMError) -> Snapshot in
            try checkOpen()
            snapshots.add(state.lastSequence)
            return Snapshot(sequence: state.lastSequence, registry: snapshots)
        }
    }
}
