extension Database {
    /// Reads every live file of the database in the directory at `path` end to end and reports what is wrong.
    ///
    /// It recovers the manifest, which checks every edit and that the tables of each level from 1 down are in key
    /// order without overlap. Then for each table the manifest lists: that it exists and has the recorded size,
    /// every block checksum, key order inside it, its filter and properties (``TableFile/verify()``), and that its
    /// first and last keys and entry count are the ones the manifest records (so the real key ranges do not
    /// overlap either). It reads every live write-ahead log, decoding each batch and checking that sequence
    /// numbers increase. A damaged file or a disagreement is a problem naming the file and, where known, the byte
    /// offset; a torn last record of a log or of the manifest, and files the manifest does not reference (left by
    /// an interrupted flush, compaction or cleanup, deleted at the next open) are warnings. When the manifest
    /// cannot be read, that is a problem, and every table and log in the directory is still read on its own.
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
            report.problems.append(CheckReport.Finding(error))
            checkWithoutManifest(names)
            return ManifestState.Fingerprint.read(directory: directory, fileSystem: fileSystem)
        }
        checkManifestTail(state)
        var live = Set<UInt64>()
        for (level, files) in state.version.levels.enumerated() {
            for file in files {
                live.insert(file.number)
                checkTable(file, level: level)
            }
        }
        for name in names {
            let path = FileNames.path(directory, name)
            switch FileNames.parse(name) {
            case .table(let number) where !live.contains(number):
                warn(path, "table not referenced by the manifest (left by an interrupted flush or compaction; "
                     + "deleted at the next open)")
            case .wal(let number) where number >= state.logNumber:
                checkLog(path)
            case .wal:
                warn(path, "log already contained in tables (deleted at the next open)")
            case .manifest(let number) where number != state.manifestNumber:
                warn(path, "manifest not named by CURRENT (deleted at the next open)")
            case .temporary:
                warn(path, "temporary file left by an interrupted replace (deleted at the next open)")
            default:
                break
            }
        }
        return state.fingerprint
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

    /// Warns when the manifest ends in a torn record (an edit cut short by a crash, never acknowledged).
    private mutating func checkManifestTail(_ state: ManifestState) {
        let path = FileNames.path(directory, state.manifestName)
        do {
            let reader = try LogReader(file: try fileSystem.openReadable(path))
            while try reader.next() != nil {}
            if let tear = reader.tornTail {
                report.warnings.append(CheckReport.Finding(
                    path: path, offset: tear.offset,
                    message: "torn last record: \(tear.reason) (an edit cut short by a crash; ignored)"))
            }
        } catch {
            report.problems.append(CheckReport.Finding(error))
        }
    }

    /// Checks one table the manifest lists at `level` against the manifest and end to end.
    private mutating func checkTable(_ file: FileMetaData, level: Int) {
        let path = FileNames.path(directory, FileNames.table(file.number))
        guard fileSystem.fileExists(path) else {
            problem(path, nil, "table listed by the manifest in level \(level) is missing")
            return
        }
        let size: UInt64
        do {
            size = try fileSystem.fileSize(path)
        } catch {
            report.problems.append(CheckReport.Finding(error))
            return
        }
        if size != file.size {
            problem(path, nil, "file is \(size) bytes but the manifest records \(file.size)")
        }
        guard let table = openVerified(path) else { return }
        count(table, size: size)
        let properties = table.table.properties
        let propertiesOffset = table.footer.properties.offset
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
    }

    /// Opens and verifies the table at `path`; nil (and a problem recorded) when either fails. A table that opens
    /// but fails verification is still returned, so its metadata can be compared with the manifest.
    private mutating func openVerified(_ path: String) -> TableFile? {
        let table: TableFile
        do {
            table = try TableFile.open(path, fileSystem: fileSystem)
        } catch {
            report.problems.append(CheckReport.Finding(error))
            return nil
        }
        do {
            try table.verify()
        } catch {
            report.problems.append(CheckReport.Finding(error))
        }
        return table
    }

    /// Adds a table to the totals; sums wrap rather than trap, as a damaged table's counts may be anything.
    private mutating func count(_ table: TableFile, size: UInt64) {
        report.tableCount += 1
        report.entryCount &+= table.properties.entryCount
        report.tableBytes &+= size
    }

    /// Reads one log end to end, decoding every batch and checking that sequence numbers increase.
    private mutating func checkLog(_ path: String) {
        guard fileSystem.fileExists(path) else { return }
        do {
            let log = try LogFile.open(path, fileSystem: fileSystem)
            report.logCount += 1
            report.logBytes &+= log.size
            var previousLast: UInt64?
            while let record = try log.next() {
                report.logRecordCount += 1
                report.logOperationCount += record.operations.count
                guard let last = record.operations.last?.sequence else { continue }
                if let previousLast, record.firstSequence <= previousLast {
                    problem(path, record.offset, "record starts at sequence \(record.firstSequence), not above the "
                            + "previous record's last sequence \(previousLast)")
                }
                previousLast = last
            }
            if let tear = log.tornTail {
                warn(path, at: tear.offset, "torn last record: \(tear.reason) (a write cut short by a crash, never "
                     + "acknowledged; dropped at the next open)")
            }
        } catch {
            report.problems.append(CheckReport.Finding(error))
        }
    }

    private mutating func problem(_ path: String, _ offset: UInt64?, _ message: String) {
        report.problems.append(CheckReport.Finding(path: path, offset: offset, message: message))
    }

    private mutating func warn(_ path: String, at offset: UInt64? = nil, _ message: String) {
        report.warnings.append(CheckReport.Finding(path: path, offset: offset, message: message))
    }
}
