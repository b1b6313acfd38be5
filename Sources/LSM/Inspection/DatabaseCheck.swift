extension Database {
    /// Reads every live file of the database in the directory at `path` end to end and reports what is wrong.
    ///
    /// It first runs the checks an open runs before it changes anything (the manifest, and the directory's
    /// agreement with it: listed tables present with their sizes, recorded logs present, whole and this
    /// database's, sequence numbers continuing from record to record, no unlisted table newer than what the
    /// manifest and logs record), so it reports a problem whenever an open would refuse the database. Then, for
    /// each table the manifest lists: every block checksum, key order inside it, its filter and properties
    /// (``TableFile/verify()``), and that its first and last keys and entry count are the ones the manifest records
    /// (so the real key ranges do not overlap either). A damaged file or a disagreement is a problem naming the
    /// file and, where known, the byte offset. Warnings are only for what provably loses nothing: a torn last
    /// record of the newest log or of the manifest (a write cut short by a crash, never acknowledged), and files
    /// an open deletes or leaves alone because nothing needs them. When the manifest cannot be read, that is a
    /// problem, and every table and log in the directory is still read on its own.
    ///
    /// Like ``info(at:)`` it takes no lock and changes nothing, so it works on a database another process has open.
    /// A live writer may flush or compact meanwhile; when the manifest changed while a check that found problems
    /// ran, the check is repeated, a few times at most.
    ///
    /// Throws only when there is nothing to check: `.notADatabase` when `path` is not a directory with a `CURRENT`
    /// file, or the error of listing the directory. Everything found after that is in the report.
    public static func check(at path: String) throws(LSMError) -> CheckReport {
        try check(at: path, fileSystem: PosixFileSystem())
    }

    static func check(at path: String, fileSystem: any FileSystem) throws(LSMError) -> CheckReport {
        try FileNames.checkDatabaseDirectory(path, fileSystem: fileSystem)
        var attempt = 1
        while true {
            var checker = DatabaseChecker(directory: path, fileSystem: fileSystem)
            let started = try checker.run()
            let unchanged = started == ManifestState.Fingerprint.read(directory: path, fileSystem: fileSystem)
            if checker.report.isClean || unchanged || attempt == ManifestState.attempts { return checker.report }
            attempt += 1
        }
    }
}

/// One pass of ``Database/check(at:)``, collecting findings into ``report``.
struct DatabaseChecker {
    private let directory: String
    private let fileSystem: any FileSystem
    private(set) var report: CheckReport
    /// The database's identity, from the manifest.
    private var databaseID: DatabaseID?
    /// The file named by the error an open would throw, already reported.
    private var recoveryErrorPath: String?

    init(directory: String, fileSystem: any FileSystem) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.report = CheckReport(path: directory)
    }

    /// Checks everything; returns the fingerprint of the manifest state the check started from.
    mutating func run() throws(LSMError) -> ManifestState.Fingerprint {
        let names = try fileSystem.listDirectory(directory).sorted()
        let state: ManifestState
        do {
            state = try ManifestState.read(directory: directory, fileSystem: fileSystem)
        } catch {
            problem(CheckReport.Finding(error))
            checkWithoutManifest(names)
            return ManifestState.Fingerprint.read(directory: directory, fileSystem: fileSystem)
        }
        databaseID = state.databaseID
        if let tear = state.manifestTornTail {
            warn(FileNames.path(directory, state.manifestName), at: tear.offset,
                 "torn last record: \(tear.reason) (an edit cut short by a crash, never acknowledged; ignored)")
        }
        do {
            let recovery = try Recovery(directory: directory, fileSystem: fileSystem)
            noteRecovery(recovery)
        } catch {
            problem(CheckReport.Finding(error))
            recoveryErrorPath = error.path
            // Read the logs on their own for what else is wrong with them.
            for name in names {
                if case .wal(let number) = FileNames.parse(name), number >= state.logNumber {
                    checkLog(FileNames.path(directory, name))
                }
            }
        }
        for (level, files) in state.version.levels.enumerated() {
            for file in files { checkTable(file, level: level) }
        }
        return state.fingerprint
    }

    /// What an open found: the logs it replays, and the files it deletes or leaves alone.
    private mutating func noteRecovery(_ recovery: Recovery) {
        report.logCount += recovery.replayedLogs.count
        report.logRecordCount += recovery.replayedRecords
        report.logOperationCount += recovery.replayedOperations
        report.logBytes &+= recovery.replayedBytes
        if let torn = recovery.tornTail {
            warn(torn.path, at: torn.tail.offset, "torn last record: \(torn.tail.reason) (a write cut short by a "
                 + "crash, never acknowledged; dropped at the next open)")
        }
        for name in recovery.obsoleteFiles {
            let what = switch FileNames.parse(name) {
            case .table: "table not listed by the manifest, whose writes the database holds elsewhere (left by an "
                + "interrupted flush or compaction, or retired)"
            case .wal: "log whose writes are all in tables, or that holds none"
            case .manifest: "manifest not named by CURRENT"
            default: "temporary file left by an interrupted replace"
            }
            warn(FileNames.path(directory, name), "\(what); deleted at the next open")
        }
        for (name, reason) in recovery.foreignFiles {
            warn(FileNames.path(directory, name), "table not listed by the manifest that \(reason); left alone")
        }
    }

    /// Reads every table and log in the directory on its own, when the manifest cannot say which are live.
    private mutating func checkWithoutManifest(_ names: [String]) {
        for name in names {
            let path = FileNames.path(directory, name)
            switch FileNames.parse(name) {
            case .table:
                if let table = openVerified(path) { count(table, size: table.properties.fileSize) }
            case .wal:
                checkLog(path)
            default:
                break
            }
        }
    }

    /// Checks one table the manifest lists at `level` against the manifest and end to end.
    private mutating func checkTable(_ file: FileMetaData, level: Int) {
        let path = FileNames.path(directory, FileNames.table(file.number))
        // A table the open's checks already found missing or of the wrong size is reported once.
        let reported = recoveryErrorPath == path
        guard fileSystem.fileExists(path) else {
            if !reported { problem(path, nil, "table listed by the manifest in level \(level) is missing") }
            return
        }
        let size: UInt64
        do {
            size = try fileSystem.fileSize(path)
        } catch {
            problem(CheckReport.Finding(error))
            return
        }
        if size != file.size && !reported {
            problem(path, nil, "file is \(size) bytes but the manifest records \(file.size)")
        }
        guard let table = openVerified(path) else { return }
        count(table, size: size)
        let properties = table.table.properties
        let propertiesOffset = table.footer.properties.offset
        if let mismatch = properties.identity?.mismatch(databaseID: databaseID, fileNumber: file.number) {
            problem(path, propertiesOffset, mismatch)
        }
        if properties.smallestKey != file.smallest {
            problem(path, propertiesOffset, "first key \(InspectedKey(validated: properties.smallestKey)) differs "
                    + "from the manifest's \(InspectedKey(validated: file.smallest))")
        }
        if properties.largestKey != file.largest {
            problem(path, propertiesOffset, "last key \(InspectedKey(validated: properties.largestKey)) differs "
                    + "from the manifest's \(InspectedKey(validated: file.largest))")
        }
        if properties.entryCount != file.entryCount {
            problem(path, propertiesOffset, "holds \(properties.entryCount) entries but the manifest records "
                    + "\(file.entryCount)")
        }
        if properties.rangeDeletionCount != file.rangeDeletionCount {
            problem(path, propertiesOffset, "holds \(properties.rangeDeletionCount) range deletions but the manifest "
                    + "records \(file.rangeDeletionCount)")
        }
    }

    /// Opens and verifies the table at `path`; nil (and a problem recorded) when either fails. A table that opens
    /// but fails verification is still returned, so its metadata can be compared with the manifest.
    private mutating func openVerified(_ path: String) -> TableFile? {
        let table: TableFile
        do {
            table = try TableFile.open(path, fileSystem: fileSystem)
        } catch {
            problem(CheckReport.Finding(error))
            return nil
        }
        do {
            try table.verify()
        } catch {
            problem(CheckReport.Finding(error))
        }
        return table
    }

    /// Adds a table to the totals; sums wrap rather than trap, as a damaged table's counts may be anything.
    private mutating func count(_ table: TableFile, size: UInt64) {
        report.tableCount += 1
        report.entryCount &+= table.properties.entryCount
        report.tableBytes &+= size
    }

    /// Reads one log end to end on its own (when the database's own checks failed), for more findings.
    private mutating func checkLog(_ path: String) {
        guard fileSystem.fileExists(path) else { return }
        do {
            let log = try LogFile.open(path, fileSystem: fileSystem)
            report.logCount += 1
            report.logBytes &+= log.size
            while let record = try log.next() {
                report.logRecordCount += 1
                report.logOperationCount += record.operations.count
            }
        } catch {
            problem(CheckReport.Finding(error))
        }
    }

    /// Records a problem, unless the same one was already recorded (the open's checks and the file-by-file checks
    /// can find the same damage).
    private mutating func problem(_ finding: CheckReport.Finding) {
        if !report.problems.contains(finding) { report.problems.append(finding) }
    }

    private mutating func problem(_ path: String, _ offset: UInt64?, _ message: String) {
        problem(CheckReport.Finding(path: path, offset: offset, message: message))
    }

    private mutating func warn(_ path: String, at offset: UInt64? = nil, _ message: String) {
        report.warnings.append(CheckReport.Finding(path: path, offset: offset, message: message))
    }
}
