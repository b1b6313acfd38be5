/// Runs one compaction: merges its input tables and writes what readers can still see into new tables.
///
/// For each user key it keeps the newest entry, and any older entry that a live snapshot still reads: an entry
/// is dropped when a newer entry of the same key is visible to every snapshot (its sequence is at or below the
/// oldest snapshot). A tombstone is dropped too when it is visible to every snapshot and no level below the output
/// holds the key, since then nothing older remains for it to hide. Range deletions act the same way: an entry one
/// of them covers and that is older than it is dropped when the range deletion is visible to every snapshot, and
/// the range deletion itself is dropped when, besides, no level below the output holds a key in its range; the
/// others are written whole into the outputs. The newest value of a key that no snapshot
/// reads is removed (replaced by a tombstone, as a deletion at its sequence) when it has expired by ``now`` or the
/// ``Options/compactionFilter`` removes it. A value every snapshot sees, of a key no level below the output holds,
/// is written with sequence 0 (as RocksDB and Pebble do): nothing older than it remains to be ordered against, and
/// a packed trailer of sequence 0 takes one byte instead of four or more (docs/FORMAT.md, "Internal keys"). Not
/// when the outputs keep a range deletion, whose reach is decided by comparing sequences. Outputs are cut at
/// ``Options/targetFileSize``, only between user keys, so a deeper level never splits a key across tables.
struct CompactionJob {
    let compaction: Compaction
    let tableCache: TableCache
    let fileSystem: any FileSystem
    let directory: String
    let options: Options
    /// The database the outputs are written for (recorded in each table).
    let databaseID: DatabaseID
    /// The sequence of the oldest live snapshot, or the last sequence when there is none.
    let smallestSnapshot: SequenceNumber
    /// The sequence of the newest live snapshot, or nil when there is none: values past it are asked about.
    let newestSnapshot: SequenceNumber?
    /// The time by ``Options/clock`` when the compaction began: values expiring at or before it are removed.
    let now: Timestamp
    /// Hands out file numbers for the outputs.
    let newFileNumber: () -> UInt64
    /// Called now and then during a long merge, so waiting memtables can be flushed meanwhile.
    let onProgress: () -> Void

    /// What a finished compaction produced.
    struct Result {
        var outputs: [FileMetaData]
        var bytesWritten: UInt64
        var entriesDropped: Int
        /// Values the compaction filter removed.
        var entriesFiltered: Int
        /// Values removed because they had expired.
        var entriesExpired: Int
    }

    func run() throws(LSMError) -> Result {
        var children: [any InternalIterator] = []
        // Its inputs are read once and then deleted: their blocks stay out of the block cache, where they would
        // only push out what reads use.
        if compaction.level == 0 {
            for file in compaction.inputs {
                children.append(try tableCache.table(number: file.number).makeIterator(fillsCache: false))
            }
        } else {
            children.append(try LevelIterator(files: compaction.inputs, tableCache: tableCache, fillsCache: false))
        }
        if !compaction.overlapping.isEmpty {
            children.append(try LevelIterator(files: compaction.overlapping, tableCache: tableCache, fillsCache: false))
        }
        let merged = CompactionMergingIterator(children: children)
        var rangeDeletions: [RangeTombstone] = []
        for file in compaction.allInputs where file.rangeDeletionCount > 0 {
            rangeDeletions += try tableCache.table(number: file.number).rangeTombstones.tombstones
        }
        let coverage = RangeTombstoneSet(rangeDeletions)

        var writer = TableOutputWriter(
            fileSystem: fileSystem, directory: directory, tableOptions: options.tableOptions,
            targetFileSize: options.targetFileSize, databaseID: databaseID,
            grandparentOverlap: GrandparentOverlap(grandparents: compaction.grandparents,
                                                   limit: compaction.grandparentLimit),
            newFileNumber: newFileNumber)
        let keptRangeDeletions = rangeDeletions.filter { tombstone in
            tombstone.sequence > smallestSnapshot || !compaction.isBaseLevel(from: tombstone.start, to: tombstone.end)
        }
        writer.addRangeDeletions(keptRangeDeletions)
        let zeroesSequences = keptRangeDeletions.isEmpty
        let isBottommost = compaction.isBottommost
        // An input entry of sequence 0 was written at most this late: what the outputs record for it.
        var inputsNewest: SequenceNumber = 0
        for file in compaction.allInputs {
            let recorded = try tableCache.table(number: file.number).properties.sequenceRange
            inputsNewest = max(inputsNewest, recorded?.upperBound ?? 0)
        }
        var dropped = 0
        var filtered = 0
        var expired = 0
        do throws(LSMError) {
            try merged.seekToFirst()
            var currentUserKey: [UInt8] = []
            var hasCurrentUserKey = false
            var lastSequenceForKey = SequenceNumber.max
            var entries = 0
            while merged.isValid {
                entries += 1
                if entries % 4096 == 0 { onProgress() }
                guard let parsed = ParsedInternalKey(merged.key) else {
                    throw LSMError.corruption("malformed internal key in a compaction input")
                }
                if !hasCurrentUserKey || currentUserKey.withUnsafeBytes({ compareBytes($0, parsed.userKey) }) != 0 {
                    currentUserKey.replaceBytes(with: parsed.userKey, keepingPrefix: 0)
                    hasCurrentUserKey = true
                    lastSequenceForKey = SequenceNumber.max
                }
                let isNewestOfKey = lastSequenceForKey == SequenceNumber.max
                // A range deletion every snapshot sees hides the entry as a newer tombstone would.
                let coveredByRange = !coverage.isEmpty
                    && (coverage.coveringSequence(parsed.userKey, atOrBelow: smallestSnapshot) ?? 0) > parsed.sequence
                let hiddenByNewer = lastSequenceForKey <= smallestSnapshot || coveredByRange
                let obsoleteTombstone = parsed.kind == .deletion && parsed.sequence <= smallestSnapshot
                    && compaction.isBaseLevel(for: parsed.userKey)
                lastSequenceForKey = parsed.sequence
                // What the outputs' sequence range counts the entry as, whatever sequence it is written with.
                let writtenSequence = parsed.sequence == 0 ? inputsNewest : parsed.sequence
                if hiddenByNewer || obsoleteTombstone {
                    dropped += 1
                } else if isNewestOfKey, parsed.kind.isValue, newestSnapshot.map({ parsed.sequence > $0 }) ?? true,
                          let removal = try removal(of: parsed, value: merged.value) {
                    // A tombstone in its place, so older versions below stay hidden; none is needed where nothing
                    // older can be below and no snapshot reads it.
                    switch removal {
                    case .expired: expired += 1
                    case .filtered: filtered += 1
                    }
                    if parsed.sequence > smallestSnapshot || !compaction.isBaseLevel(for: parsed.userKey) {
                        try withInternalKey(parsed.userKey, parsed.sequence, .deletion) {
                            (tombstone: UnsafeRawBufferPointer) throws(LSMError) in
                            try writer.add(key: tombstone, value: UnsafeRawBufferPointer(start: nil, count: 0),
                                           userKey: parsed.userKey, writtenSequence: writtenSequence)
                        }
                    }
                } else if zeroesSequences, parsed.kind.isValue, parsed.sequence != 0,
                          parsed.sequence <= smallestSnapshot,
                          isBottommost || compaction.isBaseLevel(for: parsed.userKey) {
                    try withInternalKey(parsed.userKey, 0, parsed.kind) {
                        (rewritten: UnsafeRawBufferPointer) throws(LSMError) in
                        try writer.add(key: rewritten, value: merged.value, userKey: parsed.userKey,
                                       writtenSequence: writtenSequence)
                    }
                } else {
                    try writer.add(key: merged.key, value: merged.value, userKey: parsed.userKey,
                                   writtenSequence: writtenSequence)
                }
                try merged.next()
            }
            try writer.finish()
            if !writer.outputs.isEmpty { try fileSystem.syncDirectory(directory) }
        } catch {
            writer.abandon()
            throw error
        }
        return Result(outputs: writer.outputs, bytesWritten: writer.bytesWritten, entriesDropped: dropped,
                      entriesFiltered: filtered, entriesExpired: expired)
    }

    /// Why a value leaves.
    private enum Removal {
        case expired
        case filtered
    }

    /// Whether the value of `entry` (stored as `value`) leaves: because it has expired, or because the compaction
    /// filter removes it; nil when it stays.
    private func removal(of entry: ParsedInternalKey, value: UnsafeRawBufferPointer) throws(LSMError) -> Removal? {
        var userValue = value
        var expiry: Timestamp?
        if entry.kind == .valueWithExpiry {
            guard let split = ExpiringValue.split(value) else {
                throw LSMError.corruption("expiring value of \(value.count) bytes in a compaction input is shorter "
                                          + "than its expiry")
            }
            if split.expiry <= now { return .expired }
            (expiry, userValue) = (split.expiry, split.value)
        }
        guard let filter = options.compactionFilter else { return nil }
        let decision = filter.decide(.init(level: compaction.outputLevel, key: entry.userKey, value: userValue,
                                           expiresAt: expiry))
        return decision == .remove ? .filtered : nil
    }
}
