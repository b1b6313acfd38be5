/// Writes a sorted stream of entries into one or more new, synced tables, one after another: a table is finished
/// once it reaches the target size, but only between user keys, so a sorted level never splits a key across
/// tables. Used by flushes (one table, no target), compaction and repair.
///
/// Range deletions go whole into the table being written when the entries reach their start (or at the end), and
/// a table does not end inside one: its bounds cover each of its range deletions up to and including the end key,
/// so the next table starts above every key the range deletion names and the tables of a sorted level still do
/// not overlap.
struct TableOutputWriter {
    let fileSystem: any FileSystem
    let directory: String
    let tableOptions: TableOptions
    /// The size at which a table is finished; nil writes everything into one table.
    let targetFileSize: Int?
    /// Recorded in every table written.
    let databaseID: DatabaseID
    /// Hands out the tables' file numbers.
    let newFileNumber: () -> UInt64
    /// Ends a table early where it would overlap too much two levels down (compactions only).
    private var grandparentOverlap: GrandparentOverlap?
    /// The finished tables, in the order written.
    private(set) var outputs: [FileMetaData] = []
    private(set) var bytesWritten: UInt64 = 0
    private var builder: TableBuilder?
    private var file: (any WritableFile)?
    private var number: UInt64 = 0
    private var lastUserKey: [UInt8] = []
    private var hasLastUserKey = false
    /// Range deletions not yet written, by start.
    private var pendingRangeDeletions: [RangeTombstone] = []
    private var nextRangeDeletion = 0
    /// The highest end of the range deletions in the table being written.
    private var rangeDeletionEnd: [UInt8]?
    /// Every file started, finished or not, so a failure can remove them all.
    private var created: [UInt64] = []

    init(fileSystem: any FileSystem, directory: String, tableOptions: TableOptions, targetFileSize: Int?,
         databaseID: DatabaseID, grandparentOverlap: GrandparentOverlap? = nil,
         newFileNumber: @escaping () -> UInt64) {
        self.grandparentOverlap = grandparentOverlap
        self.fileSystem = fileSystem
        self.directory = directory
        self.tableOptions = tableOptions
        self.targetFileSize = targetFileSize
        self.databaseID = databaseID
        self.newFileNumber = newFileNumber
    }

    /// Sets the range deletions to write among the entries; called before the first entry.
    mutating func addRangeDeletions(_ tombstones: [RangeTombstone]) {
        pendingRangeDeletions = tombstones.sorted(by: RangeTombstone.storageOrder)
        nextRangeDeletion = 0
    }

    /// Adds an entry; `key` (an internal key whose user key is `userKey`) follows the previous one.
    /// `writtenSequence` as for ``TableBuilder/add(key:value:writtenSequence:)``.
    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, userKey: UnsafeRawBufferPointer,
                      writtenSequence: SequenceNumber? = nil) throws(LSMError)
    {
        // A table ends only between user keys, outside its range deletions: at its target size, or where it
        // overlaps enough below.
        if targetFileSize != nil,
           !hasLastUserKey || lastUserKey.withUnsafeBytes({ compareBytes($0, userKey) }) != 0 {
            let overlapsEnough = grandparentOverlap?.shouldEndBefore(userKey) ?? false
            let insideRangeDeletion = rangeDeletionEnd.map { end in
                end.withUnsafeBytes { compareBytes(userKey, $0) <= 0 }
            }
            if let targetFileSize, let size = builder?.estimatedFileSize, !(insideRangeDeletion ?? false),
               overlapsEnough || size >= UInt64(targetFileSize) {
                try finishTable()
            }
        }
        if builder == nil { try startTable() }
        if nextRangeDeletion < pendingRangeDeletions.count { addRangeDeletions(startingAtOrBefore: userKey) }
        try builder?.add(key: key, value: value, writtenSequence: writtenSequence)
        guard targetFileSize != nil else { return }
        lastUserKey.replaceBytes(with: userKey, keepingPrefix: 0)
        hasLastUserKey = true
    }

    /// Writes the range deletions left into the table being written (starting one if there is none), then
    /// completes it and syncs it.
    mutating func finish() throws(LSMError) {
        if nextRangeDeletion < pendingRangeDeletions.count {
            if builder == nil { try startTable() }
            while nextRangeDeletion < pendingRangeDeletions.count { addNextRangeDeletion() }
        }
        try finishTable()
    }

    private mutating func startTable() throws(LSMError) {
        number = newFileNumber()
        created.append(number)
        let opened = try fileSystem.openWritable(path(number), truncate: true)
        file = opened
        builder = TableBuilder(file: opened, options: tableOptions,
                               identity: TableIdentity(databaseID: databaseID, fileNumber: number))
    }

    /// Adds to the table being written the pending range deletions that start at or before `userKey`, or at or
    /// before the end of one it already holds (which it must then hold too, since the next table starts above it).
    private mutating func addRangeDeletions(startingAtOrBefore userKey: UnsafeRawBufferPointer) {
        while nextRangeDeletion < pendingRangeDeletions.count {
            let start = pendingRangeDeletions[nextRangeDeletion].start
            let reached = start.withUnsafeBytes { compareBytes($0, userKey) <= 0 }
                || rangeDeletionEnd.map { compareBytes(start, $0) <= 0 } ?? false
            guard reached else { return }
            addNextRangeDeletion()
        }
    }

    private mutating func addNextRangeDeletion() {
        let tombstone = pendingRangeDeletions[nextRangeDeletion]
        nextRangeDeletion += 1
        builder?.addRangeDeletion(tombstone)
        if rangeDeletionEnd.map({ compareBytes(tombstone.end, $0) > 0 }) ?? true { rangeDeletionEnd = tombstone.end }
    }

    /// Completes the table being written, if any, and syncs it.
    private mutating func finishTable() throws(LSMError) {
        rangeDeletionEnd = nil
        guard var builder = builder.take(), let file else { return }
        let properties = try builder.finish()
        try file.sync()
        try file.close()
        outputs.append(FileMetaData(
            number: number, size: properties.fileSize, smallest: properties.smallestKey,
            largest: properties.largestKey, entryCount: properties.entryCount,
            rangeDeletionCount: properties.rangeDeletionCount, deletionCount: properties.deletionCount))
        bytesWritten += properties.fileSize
        self.file = nil
    }

    /// Removes every output file after a failure.
    func abandon() {
        try? file?.close()
        for number in created { try? fileSystem.removeFile(path(number)) }
    }

    private func path(_ number: UInt64) -> String {
        FileNames.path(directory, FileNames.table(number))
    }
}
