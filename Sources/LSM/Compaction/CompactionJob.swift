/// Runs one compaction: merges its input tables and writes what readers can still see into new tables.
///
/// For each user key it keeps the newest entry, and any older entry that a live snapshot still reads: an entry
/// is dropped when a newer entry of the same key is visible to every snapshot (its sequence is at or below the
/// oldest snapshot). A tombstone is dropped too when it is visible to every snapshot and no level below the output
/// holds the key, since then nothing older remains for it to hide. Outputs are cut at
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
    }

    func run() throws(LSMError) -> Result {
        var children: [any InternalIterator] = []
        if compaction.level == 0 {
            for file in compaction.inputs { children.append(try tableCache.table(number: file.number).makeIterator()) }
        } else {
            children.append(try LevelIterator(files: compaction.inputs, tableCache: tableCache))
        }
        if !compaction.overlapping.isEmpty {
            children.append(try LevelIterator(files: compaction.overlapping, tableCache: tableCache))
        }
        let merged = CompactionMergingIterator(children: children)

        var writer = TableOutputWriter(
            fileSystem: fileSystem, directory: directory, tableOptions: options.tableOptions,
            targetFileSize: options.targetFileSize, databaseID: databaseID,
            grandparentOverlap: GrandparentOverlap(grandparents: compaction.grandparents,
                                                   limit: compaction.grandparentLimit),
            newFileNumber: newFileNumber)
        var dropped = 0
        var filtered = 0
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
                    currentUserKey.removeAll(keepingCapacity: true)
                    currentUserKey.append(contentsOf: parsed.userKey)
                    hasCurrentUserKey = true
                    lastSequenceForKey = SequenceNumber.max
                }
                let isNewestOfKey = lastSequenceForKey == SequenceNumber.max
                let hiddenByNewer = lastSequenceForKey <= smallestSnapshot
                let obsoleteTombstone = parsed.kind == .deletion && parsed.sequence <= smallestSnapshot
                    && compaction.isBaseLevel(for: parsed.userKey)
                lastSequenceForKey = parsed.sequence
                if hiddenByNewer || obsoleteTombstone {
                    dropped += 1
                } else if isNewestOfKey, parsed.kind == .value, let filter = options.compactionFilter,
                          newestSnapshot.map({ parsed.sequence > $0 }) ?? true,
                          filter.decide(.init(level: compaction.outputLevel, key: parsed.userKey,
                                              value: merged.value)) == .remove {
                    // A tombstone in its place, so older versions below stay hidden; none is needed where nothing
                    // older can be below and no snapshot reads it.
                    filtered += 1
                    if parsed.sequence > smallestSnapshot || !compaction.isBaseLevel(for: parsed.userKey) {
                        try withInternalKey(parsed.userKey, parsed.sequence, .deletion) {
                            (tombstone: UnsafeRawBufferPointer) throws(LSMError) in
                            try writer.add(key: tombstone, value: UnsafeRawBufferPointer(start: nil, count: 0),
                                           userKey: parsed.userKey)
                        }
                    }
                } else {
                    try writer.add(key: merged.key, value: merged.value, userKey: parsed.userKey)
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
                      entriesFiltered: filtered)
    }
}
