/// Writes a sorted stream of entries into one or more new, synced tables, one after another: a table is finished
/// once it reaches the target size, but only between user keys, so a sorted level never splits a key across
/// tables. Used by flushes (one table, no target), compaction and repair.
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

    /// Adds an entry; `key` (an internal key whose user key is `userKey`) follows the previous one.
    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, userKey: UnsafeRawBufferPointer)
        throws(LSMError)
    {
        // A table ends only between user keys: at its target size, or where it overlaps enough below.
        if targetFileSize != nil,
           !hasLastUserKey || lastUserKey.withUnsafeBytes({ compareBytes($0, userKey) }) != 0 {
            let overlapsEnough = grandparentOverlap?.shouldEndBefore(userKey) ?? false
            if let targetFileSize, let size = builder?.estimatedFileSize,
               overlapsEnough || size >= UInt64(targetFileSize) {
                try finish()
            }
        }
        if builder == nil {
            number = newFileNumber()
            created.append(number)
            let opened = try fileSystem.openWritable(path(number), truncate: true)
            file = opened
            builder = TableBuilder(file: opened, options: tableOptions,
                                   identity: TableIdentity(databaseID: databaseID, fileNumber: number))
        }
        try builder?.add(key: key, value: value)
        guard targetFileSize != nil else { return }
        lastUserKey.removeAll(keepingCapacity: true)
        lastUserKey.append(contentsOf: userKey)
        hasLastUserKey = true
    }

    /// Completes the table being written, if any, and syncs it.
    mutating func finish() throws(LSMError) {
        guard var builder = builder.take(), let file else { return }
        let properties = try builder.finish()
        try file.sync()
        try file.close()
        outputs.append(FileMetaData(
            number: number, size: properties.fileSize, smallest: properties.smallestKey,
            largest: properties.largestKey, entryCount: properties.entryCount))
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
