extension Database {
    /// Rebuilds the database in the directory at `path` from the tables and logs it finds, when it cannot be opened
    /// (a damaged or missing manifest or `CURRENT`, a missing, damaged or foreign file), in the way of LevelDB's
    /// RepairDB.
    ///
    /// Every key that can still be read is kept: every entry of every readable table, the entries of the readable
    /// blocks of a damaged table, and every intact record of every log (scanning past damage). They are merged by
    /// sequence number, so for each key the newest readable write wins, and written into new tables, which a new
    /// manifest lists along with a new, empty log. Every file the rebuilt database does not use, the ones it was
    /// rebuilt from included, is moved into the folder `lost` in the directory; nothing is deleted, and a repair
    /// cut short by a crash can simply be run again.
    ///
    /// What it cannot bring back: entries in table blocks or log records that fail their checksums, tables whose
    /// footer or index is unreadable (set aside whole in `lost`), files of another database (set aside unread), and
    /// writes that were only in a file that is gone. When the manifest cannot be read, files the database had
    /// retired but not yet deleted are read too, so a key deleted long ago can reappear if an old copy of it is
    /// still among them, and so can an older value of a key whose value a compaction rewrote with sequence 0.
    ///
    /// Takes the database's lock: it fails with ``LSMError/Code/databaseLocked`` while the database is open.
    /// Throws ``LSMError/Code/notADatabase`` when the directory holds no database file at all.
    public static func repair(at path: String, options: Options = Options()) throws(LSMError) -> RepairReport {
        try repair(at: path, options: options, fileSystem: PosixFileSystem())
    }

    static func repair(at path: String, options: Options, fileSystem: any FileSystem) throws(LSMError)
        -> RepairReport
    {
        try options.validate()
        guard !path.isEmpty else { throw LSMError(.invalidArgument, "the database path is empty") }
        guard fileSystem.isDirectory(path) else {
            throw LSMError(.notADatabase, "no such directory", path: path)
        }
        let lock = try fileSystem.lockFile(FileNames.path(path, FileNames.lock), shared: false)
        defer { lock.unlock() }
        var repairer = try Repairer(directory: path, options: options, fileSystem: fileSystem)
        try repairer.run()
        return repairer.report
    }
}

/// One run of ``Database/repair(at:options:)``.
struct Repairer {
    /// The folder, inside the database directory, that files the rebuilt database does not use are moved to.
    static let lostFolder = "lost"

    private let directory: String
    private let options: Options
    private let fileSystem: any FileSystem
    private let files: DirectoryListing
    /// The manifest's state, when it could be read.
    private let manifest: VersionSet?
    /// Whether the manifest can be trusted to say which unlisted files were retired: it was read, and every table
    /// it lists is present (so no edit after it was lost and followed by deletions).
    private let manifestIsWhole: Bool
    private var nextNumber: UInt64
    private(set) var report: RepairReport
    /// The range deletions of every table and log read: the rebuilt tables leave out what they delete.
    private var rangeTombstones: [RangeTombstone] = []

    init(directory: String, options: Options, fileSystem: any FileSystem) throws(LSMError) {
        self.directory = directory
        self.options = options
        self.fileSystem = fileSystem
        let names = try fileSystem.listDirectory(directory)
        files = DirectoryListing(names)
        guard !files.tables.isEmpty || !files.logs.isEmpty || !files.manifests.isEmpty
                || names.contains(FileNames.current) else {
            throw LSMError(.notADatabase, "the directory holds no database file to repair", path: directory)
        }
        let versions = VersionSet(fileSystem: fileSystem, directory: directory)
        manifest = (try? versions.recover()) != nil ? versions : nil
        let listed = manifest.map { $0.liveTableNumbers().subtracting([$0.manifestFileNumber]) } ?? []
        manifestIsWhole = manifest != nil && listed.isSubset(of: files.tables)
        nextNumber = (files.numbers.max() ?? 0) + 1
        if let manifest { nextNumber = max(nextNumber, manifest.nextFileNumber) }
        let id = manifest?.databaseID ?? Self.commonIdentity(files, directory: directory, fileSystem: fileSystem)
        report = RepairReport(path: directory, databaseID: id ?? DatabaseID.random())
    }

    /// The identity most of the files record, if any does.
    private static func commonIdentity(_ files: DirectoryListing, directory: String, fileSystem: any FileSystem)
        -> DatabaseID?
    {
        var counts: [DatabaseID: Int] = [:]
        for number in files.logs {
            let file = try? fileSystem.openReadable(FileNames.path(directory, FileNames.wal(number)))
            if let file, let id = (try? RecordSalvager(file: file))?.header?.databaseID { counts[id, default: 0] += 1 }
        }
        for number in files.tables {
            let file = try? fileSystem.openReadable(FileNames.path(directory, FileNames.table(number)))
            let table = file.flatMap { try? Table(file: $0, fileNumber: number, blockCache: nil) }
            if let id = table?.properties.identity?.databaseID { counts[id, default: 0] += 1 }
        }
        return counts.max { $0.value < $1.value }?.key
    }

    mutating func run() throws(LSMError) {
        var sources: [any InternalIterator] = []
        var used: [String] = []
        for number in files.tables.sorted() {
            if let source = try readTable(number) { sources.append(source) }
            used.append(FileNames.table(number))
        }
        for number in files.logs {
            if let source = try readLog(number) { sources.append(source) }
            used.append(FileNames.wal(number))
        }
        let outputs = try writeMerged(sources)
        let logNumber = takeNumber()
        let header = RecordFileHeader(kind: .writeAheadLog, databaseID: report.databaseID, fileNumber: logNumber)
        try RecordWriter.create(FileNames.path(directory, FileNames.wal(logNumber)), header: header,
                             fileSystem: fileSystem).close()
        try fileSystem.syncDirectory(directory)

        // Set aside every old file before the new manifest goes live: a crash in between leaves CURRENT naming a
        // manifest that is gone, and a second repair finds the new tables, which hold everything kept.
        try moveToLost(used + files.manifests.map(FileNames.manifest) + files.temporaries)
        var edit = VersionEdit()
        for file in outputs { edit.addFile(level: Version.levelCount - 1, file) }
        edit.logNumber = logNumber
        edit.addedLogs = [logNumber]
        edit.lastSequence = report.lastSequence
        let manifestNumber = takeNumber()
        edit.nextFileNumber = nextNumber
        let versions = VersionSet(fileSystem: fileSystem, directory: directory)
        try versions.reset(to: edit, databaseID: report.databaseID, manifestNumber: manifestNumber)
        report.tablesWritten = outputs.count
    }

    private mutating func takeNumber() -> UInt64 {
        defer { nextNumber += 1 }
        return nextNumber
    }

    /// An iterator over what can be read of table `number`, or nil when nothing of it is used.
    private mutating func readTable(_ number: UInt64) throws(LSMError) -> (any InternalIterator)? {
        let name = FileNames.table(number)
        let table: Table
        do {
            let file = try fileSystem.openReadable(FileNames.path(directory, name))
            table = try Table(file: file, fileNumber: number, blockCache: nil)
        } catch {
            report.notes.append("\(name): unreadable, set aside whole: \(error)")
            return nil
        }
        if let identity = table.properties.identity, identity.databaseID != report.databaseID {
            report.notes.append("\(name): belongs to database \(identity.databaseID), set aside unread")
            return nil
        }
        if let manifest, manifestIsWhole, !manifest.liveTableNumbers().contains(number),
           let newest = table.properties.sequenceRange?.upperBound, newest <= manifest.lastSequence {
            report.notes.append("\(name): retired by the manifest (its writes are in other tables), set aside")
            return nil
        }
        rangeTombstones += table.rangeTombstones.tombstones
        do {
            try table.verify()
            report.tablesRead += 1
            notice(table.properties.sequenceRange)
            return table.makeIterator()
        } catch {
            report.notes.append("\(name): damaged (\(error)); the entries of its readable blocks are kept")
        }
        report.tablesSalvaged += 1
        return try salvage(table)
    }

    /// The entries of every data block of `table` that can be read, up to the first bad entry in each.
    private mutating func salvage(_ table: Table) throws(LSMError) -> MemTableIterator {
        let memtable = MemTable()
        let handles = (try? table.indexEntries().map(\.handle)) ?? []
        for handle in handles {
            guard let block = try? table.dataBlock(handle) else { continue }
            let iterator = block.makeIterator(order: table.dataKeyOrder)
            do {
                try iterator.seekToFirst()
                while iterator.isValid {
                    if let parsed = ParsedInternalKey(iterator.key) {
                        memtable.add(sequence: parsed.sequence, kind: parsed.kind, key: parsed.userKey,
                                     value: iterator.value)
                        report.lastSequence = max(report.lastSequence, parsed.sequence)
                    }
                    try iterator.next()
                }
            } catch {
                continue
            }
        }
        return memtable.makeIterator()
    }

    /// An iterator over the writes of every intact record of log `number`, or nil when none is used.
    private mutating func readLog(_ number: UInt64) throws(LSMError) -> (any InternalIterator)? {
        let name = FileNames.wal(number)
        var salvager = try RecordSalvager(file: try fileSystem.openReadable(FileNames.path(directory, name)))
        if let id = salvager.header?.databaseID, id != report.databaseID {
            report.notes.append("\(name): belongs to database \(id), set aside unread")
            return nil
        }
        if let manifest, manifestIsWhole, number < manifest.logNumber {
            report.notes.append("\(name): retired by the manifest (its writes are in tables), set aside")
            return nil
        }
        let memtable = MemTable()
        var records = 0
        var newest = report.lastSequence
        try salvager.forEachRecord { (record: FileRecord) throws(LSMError) in
            let applied = try? record.payload.withBytes { (payload: UnsafeRawBufferPointer) throws(LSMError) in
                try WriteBatchReader.forEach(payload) { sequence, kind, key, value in
                    memtable.add(sequence: sequence, kind: kind, key: key, value: value)
                    newest = max(newest, sequence)
                }
            }
            if applied != nil { records += 1 }
        }
        report.lastSequence = newest
        rangeTombstones += memtable.rangeTombstones
        report.logsRead += 1
        report.logRecordsRead += records
        report.logBytesSkipped += salvager.skippedBytes
        if salvager.skippedBytes > 0 {
            report.notes.append("\(name): \(salvager.skippedBytes) bytes belong to no intact record")
        }
        return memtable.makeIterator()
    }

    private mutating func notice(_ range: ClosedRange<SequenceNumber>?) {
        if let range { report.lastSequence = max(report.lastSequence, range.upperBound) }
    }

    /// Writes the newest entry of each key of `sources`, unless it is a deletion or a newer range deletion covers
    /// it, into new tables.
    private mutating func writeMerged(_ sources: [any InternalIterator]) throws(LSMError) -> [FileMetaData] {
        let coverage = RangeTombstoneSet(rangeTombstones)
        var number = nextNumber
        var writer = TableOutputWriter(
            fileSystem: fileSystem, directory: directory, tableOptions: options.tableOptions,
            targetFileSize: options.targetFileSize, databaseID: report.databaseID,
            newFileNumber: {
                defer { number += 1 }
                return number
            })
        let merged = CompactionMergingIterator(children: sources)
        var previousUserKey: [UInt8]?
        do {
            try merged.seekToFirst()
            while merged.isValid {
                if let parsed = ParsedInternalKey(merged.key) {
                    report.lastSequence = max(report.lastSequence, parsed.sequence)
                    let isNewest = previousUserKey.map { previous in
                        previous.withUnsafeBytes { compareBytes($0, parsed.userKey) != 0 }
                    } ?? true
                    if isNewest {
                        previousUserKey = parsed.userKey.array
                        let deletedByRange = !coverage.isEmpty
                            && (coverage.coveringSequence(parsed.userKey, atOrBelow: maxSequenceNumber) ?? 0)
                                > parsed.sequence
                        if parsed.kind.isValue && !deletedByRange {
                            try writer.add(key: merged.key, value: merged.value, userKey: parsed.userKey)
                            report.keyCount += 1
                        }
                    }
                }
                try merged.next()
            }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        nextNumber = number
        return writer.outputs
    }

    /// Moves `names` from the directory into its `lost` folder, under a new name when one is taken.
    private mutating func moveToLost(_ names: [String]) throws(LSMError) {
        guard !names.isEmpty else { return }
        let lost = FileNames.path(directory, Self.lostFolder)
        try fileSystem.createDirectory(lost)
        let taken = Set(try fileSystem.listDirectory(lost))
        for name in names {
            var target = name
            var copy = 1
            while taken.contains(target) {
                target = "\(name).\(copy)"
                copy += 1
            }
            try fileSystem.renameFile(FileNames.path(directory, name), to: FileNames.path(lost, target))
            report.movedToLost.append(name)
        }
        try fileSystem.syncDirectory(lost)
        try fileSystem.syncDirectory(directory)
    }
}
