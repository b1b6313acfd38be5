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
    /// Hands out file numbers for the outputs.
    let newFileNumber: () -> UInt64
    /// Called now and then during a long merge, so waiting memtables can be flushed meanwhile.
    let onProgress: () -> Void

    /// What a finished compaction produced.
    struct Result {
        var outputs: [FileMetaData]
        var bytesWritten: UInt64
        var entriesDropped: Int
    }

    func run() throws(LSMError) -> Result {
        var children: [any InternalIterator] = []
        if compaction.level == 0 {
            for file in compaction.inputs { children.append(try tableCache.table(number: file.number).makeIterator()) }
        } else {
            children.append(LevelIterator(files: compaction.inputs, tableCache: tableCache))
        }
        if !compaction.overlapping.isEmpty {
            children.append(LevelIterator(files: compaction.overlapping, tableCache: tableCache))
        }
        let merged = HeapMergingIterator(children: children)

        var writer = OutputWriter(job: self)
        var dropped = 0
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
                let hiddenByNewer = lastSequenceForKey <= smallestSnapshot
                let obsoleteTombstone = parsed.kind == .deletion && parsed.sequence <= smallestSnapshot
                    && compaction.isBaseLevel(for: parsed.userKey)
                lastSequenceForKey = parsed.sequence
                if hiddenByNewer || obsoleteTombstone {
                    dropped += 1
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
        return Result(outputs: writer.outputs, bytesWritten: writer.bytesWritten, entriesDropped: dropped)
    }

    /// Writes the compaction's output tables one after another.
    private struct OutputWriter {
        let job: CompactionJob
        private(set) var outputs: [FileMetaData] = []
        private(set) var bytesWritten: UInt64 = 0
        private var builder: TableBuilder?
        private var file: (any WritableFile)?
        private var number: UInt64 = 0
        private var lastUserKey: [UInt8] = []
        /// Every file started, finished or not, so a failure can remove them all.
        private var created: [UInt64] = []

        init(job: CompactionJob) { self.job = job }

        mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, userKey: UnsafeRawBufferPointer)
            throws(LSMError)
        {
            if let builder, builder.estimatedFileSize >= UInt64(job.options.targetFileSize),
               lastUserKey.withUnsafeBytes({ compareBytes($0, userKey) }) != 0 {
                try finish()
            }
            if builder == nil {
                number = job.newFileNumber()
                created.append(number)
                let opened = try job.fileSystem.openWritable(path(number), truncate: true)
                file = opened
                builder = TableBuilder(file: opened, options: job.options.tableOptions,
                                       identity: TableIdentity(databaseID: job.databaseID, fileNumber: number))
            }
            try builder?.add(key: key, value: value)
            lastUserKey.removeAll(keepingCapacity: true)
            lastUserKey.append(contentsOf: userKey)
        }

        /// Completes the table being written, if any.
        mutating func finish() throws(LSMError) {
            guard let builder, let file else { return }
            let properties = try builder.finish()
            try file.sync()
            try file.close()
            outputs.append(FileMetaData(
                number: number, size: properties.fileSize, smallest: properties.smallestKey,
                largest: properties.largestKey, entryCount: properties.entryCount))
            bytesWritten += properties.fileSize
            self.builder = nil
            self.file = nil
        }

        /// Removes every output file after a failure.
        func abandon() {
            try? file?.close()
            for number in created { try? job.fileSystem.removeFile(path(number)) }
        }

        private func path(_ number: UInt64) -> String {
            FileNames.path(job.directory, FileNames.table(number))
        }
    }
}
