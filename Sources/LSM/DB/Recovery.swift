/// What a database directory holds, read and cross-checked before an open changes anything: the manifest's state,
/// every write the live logs hold, and which leftover files are provably safe to delete.
///
/// Recovery never guesses. The directory must agree with the manifest: every table it lists exists with its
/// recorded size; every log it records as live (format version 2) exists, a closed one with its recorded size and
/// whole; no log it does not record holds records; every log is this database's own file; the records continue
/// one another's sequence numbers; and no table it does not list holds writes newer than anything the manifest and
/// logs record. Only the newest log may end in a torn record (docs/FORMAT.md, "Reading: torn tail or
/// corruption"). Anything else is `.corruption` naming the file (and offset), and nothing on disk has changed.
struct Recovery {
    /// Appended to messages about damage that `lsm repair` can work around.
    static let repairHint = "(lsm repair, or Database.repair(at:), rebuilds a database from the files it can read)"

    /// The recovered manifest state.
    let versions: VersionSet
    /// Every write the live logs hold, oldest log first.
    let memtable = MemTable()
    /// The sequence of the last write: the manifest's, or the last replayed, whichever is larger.
    private(set) var lastSequence: SequenceNumber = 0
    /// The logs replayed, oldest first.
    private(set) var replayedLogs: [UInt64] = []
    /// Bytes of the logs replayed (through their last intact record, not the space reserved past it), the intact
    /// records in them and the puts and deletes those hold.
    private(set) var replayedBytes: UInt64 = 0
    private(set) var replayedRecords = 0
    private(set) var replayedOperations = 0
    /// Where the newest log ended in a torn record (a write cut short by a crash, never acknowledged).
    private(set) var tornTail: (path: String, tail: TornTail)?
    /// Names of files that hold nothing the database needs: logs and tables a durable edit retired, outputs of
    /// an interrupted flush or compaction, manifests `CURRENT` does not name, temporary files, and logs created
    /// but never used. An open deletes them once its own manifest edit is durable.
    private(set) var obsoleteFiles: [String] = []
    /// Files left alone because they are not this database's (a table copied in from another one).
    private(set) var foreignFiles: [(name: String, reason: String)] = []

    private let directory: String
    private let fileSystem: any FileSystem

    /// Reads and checks the database in `directory`; throws what ``VersionSet/recover()`` throws, or
    /// `.corruption` for any disagreement between the manifest and the files.
    init(directory: String, fileSystem: any FileSystem) throws(LSMError) {
        self.directory = directory
        self.fileSystem = fileSystem
        versions = VersionSet(fileSystem: fileSystem, directory: directory)
        do {
            try versions.recover()
        } catch where error.code == .corruption {
            throw error.appending(Self.repairHint)
        }
        let files = DirectoryListing(try fileSystem.listDirectory(directory))
        for number in files.numbers { versions.markFileNumberUsed(number) }
        try checkListedTables(files)
        let live = try liveLogs(files)
        try replay(live)
        lastSequence = max(lastSequence, versions.lastSequence)
        try sortOrphanTables(files)
        let current = versions.manifestFileNumber
        obsoleteFiles += files.manifests.filter { $0 != current }.map(FileNames.manifest)
        obsoleteFiles += files.temporaries
    }

    private func path(_ name: String) -> String { FileNames.path(directory, name) }

    /// Every table the manifest lists must exist with the size it records.
    private func checkListedTables(_ files: DirectoryListing) throws(LSMError) {
        for (level, tables) in versions.current.levels.enumerated() {
            for table in tables {
                let tablePath = path(FileNames.table(table.number))
                guard files.tables.contains(table.number) else {
                    throw LSMError.corruption("table listed by the manifest at level \(level) is missing "
                                              + Self.repairHint, path: tablePath)
                }
                let size = try fileSystem.fileSize(tablePath)
                guard size == table.size else {
                    throw LSMError.corruption("table is \(size) bytes but the manifest records \(table.size) "
                                              + Self.repairHint, path: tablePath)
                }
            }
        }
    }

    /// A log to replay and how it may end.
    private struct LiveLog {
        var number: UInt64
        var tailRule: TailRule
        /// For the newest log when the database closed it cleanly: its size then and where its last record starts.
        var cleanClose: VersionEdit.ClosedLog?
    }

    /// The logs to replay, oldest first, each with how it may end; notes logs that are safely obsolete.
    private mutating func liveLogs(_ files: DirectoryListing) throws(LSMError) -> [LiveLog] {
        let logNumber = versions.logNumber
        obsoleteFiles += files.logs.filter { $0 < logNumber }.map(FileNames.wal)
        let candidates = files.logs.filter { $0 >= logNumber }
        guard versions.formatVersion >= 2 else {
            // Format version 1 records no logs: every log from the log number on is live, and that one exists
            // from the open that set it until a durable edit moves past it.
            if logNumber > 0 && !files.logs.contains(logNumber) {
                throw LSMError.corruption("log \(logNumber), which the manifest says holds writes not yet in tables, "
                                          + "is missing", path: path(FileNames.wal(logNumber)))
            }
            return candidates.enumerated().map { index, number in
                LiveLog(number: number, tailRule: index == candidates.count - 1 ? .lastRecordMayBeTorn : .mustBeWhole)
            }
        }
        let recorded = versions.liveLogs
        if logNumber > 0, recorded.logs.first?.number != logNumber {
            throw LSMError.corruption("the manifest's log number \(logNumber) is not among the logs it records",
                                      path: path(FileNames.manifest(versions.manifestFileNumber)))
        }
        var live: [LiveLog] = []
        for (index, log) in recorded.logs.enumerated() {
            let logPath = path(FileNames.wal(log.number))
            guard files.logs.contains(log.number) else {
                throw LSMError.corruption("log \(log.number), which the manifest records as holding writes not yet "
                                          + "in tables, is missing " + Self.repairHint, path: logPath)
            }
            let isNewest = index == recorded.logs.count - 1
            guard let closed = log.closed else {
                live.append(LiveLog(number: log.number, tailRule: isNewest ? .lastRecordMayBeTorn : .mustBeWhole))
                continue
            }
            let size = try fileSystem.fileSize(logPath)
            // The newest log closed by a clean close may still lose its last record to damage (the narrow
            // torn-tail rule); one closed because a newer log took over was synced whole.
            guard isNewest ? size <= closed.size : size == closed.size else {
                throw LSMError.corruption("log is \(size) bytes but was \(closed.size) when the database closed it "
                                          + Self.repairHint, path: logPath)
            }
            live.append(isNewest ? LiveLog(number: log.number, tailRule: .lastRecordMayBeTorn, cleanClose: closed)
                                 : LiveLog(number: log.number, tailRule: .mustBeWhole))
        }
        for number in candidates where recorded.log(number: number) == nil {
            try checkUnrecordedLog(number)
            obsoleteFiles.append(FileNames.wal(number))
        }
        return live
    }

    /// A log the manifest does not record was created by a memtable switch or an open that crashed before its
    /// edit was durable, so nothing was written to it: it may hold its header and nothing else, or only zeros when
    /// the crash came after the append of its header reserved space ahead (see
    /// ``RecordWriter/create(_:header:fileSystem:reservationStep:)``) and before the header was written.
    private func checkUnrecordedLog(_ number: UInt64) throws(LSMError) {
        let logPath = path(FileNames.wal(number))
        let file = try fileSystem.openReadable(logPath)
        // A header cut short by the crash, or never written over the space reserved for it.
        if file.size <= UInt64(RecordFileHeader.encodedLength) { return }
        if try file.firstNonZeroByte(from: 0) == nil { return }
        let reader = try RecordReader(file: file, tailRule: .mustBeWhole, format: .version2)
        try checkHeader(reader, number: number)
        if let offset = try file.firstNonZeroByte(from: UInt64(RecordFileHeader.encodedLength)) {
            throw LSMError.corruption("log holds data but the manifest does not record it, so the manifest may have "
                                      + "lost edits " + Self.repairHint, path: logPath, offset: offset)
        }
    }

    /// A version 2 log must be a write-ahead log of this database, numbered as its name says.
    private func checkHeader(_ reader: RecordReader, number: UInt64) throws(LSMError) {
        guard let header = reader.header else { return }
        func mismatch(_ message: String) -> LSMError { .corruption(message, path: reader.path, offset: 0) }
        guard header.kind == .writeAheadLog else {
            throw mismatch("file header says this is a \(header.kind.description), not a write-ahead log")
        }
        if let id = versions.databaseID, header.databaseID != id {
            throw mismatch("log belongs to database \(header.databaseID), but the manifest to \(id): one of them was "
                           + "copied in from another database")
        }
        guard header.fileNumber == number else {
            throw mismatch("log was written as file \(header.fileNumber), not \(number): it was renamed or copied")
        }
    }

    /// Replays `logs` into the memtable, checking that each record continues the sequence numbers of the one
    /// before it (across logs too), so a record or log missing from the middle is found.
    private mutating func replay(_ logs: [LiveLog]) throws(LSMError) {
        let format: RecordFileFormat = versions.formatVersion >= 2 ? .version2 : .version1
        var previousLast: SequenceNumber?
        for log in logs {
            let logPath = path(FileNames.wal(log.number))
            let reader = try RecordReader(file: try fileSystem.openReadable(logPath), tailRule: log.tailRule,
                                       format: format)
            try checkHeader(reader, number: log.number)
            while let record = try reader.next() {
                let applied = try apply(record, after: previousLast, path: logPath)
                replayedOperations += applied.count
                replayedRecords += 1
                previousLast = applied.upperBound
            }
            if let closed = log.cleanClose {
                // Everything before the last record was there when the database closed cleanly.
                let end = reader.tornTail?.offset ?? reader.validLength
                guard end == closed.size || end == closed.lastRecordOffset else {
                    throw LSMError.corruption("the database closed this log at \(closed.size) bytes, but its intact "
                                              + "records end at \(end); only its last record (at offset "
                                              + "\(closed.lastRecordOffset)) may be lost " + Self.repairHint,
                                              path: logPath, offset: end)
                }
            }
            if let tail = reader.tornTail {
                tornTail = (logPath, tail)
            } else if let closed = log.cleanClose, reader.validLength < closed.size {
                tornTail = (logPath, TornTail(offset: reader.validLength, reason: "the last record is missing"))
            }
            replayedLogs.append(log.number)
            replayedBytes &+= reader.validLength
        }
        lastSequence = previousLast ?? 0
    }

    /// Adds one record's batch to the memtable; returns the sequences it holds.
    private func apply(_ record: FileRecord, after previousLast: SequenceNumber?, path: String)
        throws(LSMError) -> ClosedRange<SequenceNumber>
    {
        let memtable = self.memtable
        return try record.payload.withBytes {
            (payload: UnsafeRawBufferPointer) throws(LSMError) -> ClosedRange<SequenceNumber> in
            do throws(LSMError) {
                var header = ByteReader(payload)
                guard let first = header.readFixed64(), let count = header.readFixed32() else {
                    throw LSMError.corruption("write batch shorter than its 12-byte header")
                }
                guard count > 0 else { throw LSMError.corruption("write batch holds no entries") }
                if let previousLast, first != previousLast &+ 1 {
                    throw LSMError.corruption("record starts at sequence \(first) but the record before it ended at "
                                              + "\(previousLast): writes between them are missing")
                }
                let (_, applied) = try WriteBatchReader.forEach(payload) { sequence, kind, key, value in
                    memtable.add(sequence: sequence, kind: kind, key: key, value: value)
                }
                return first...(first + UInt64(applied) - 1)
            } catch {
                throw error.located(path: path, offset: record.offset)
            }
        }
    }

    /// Tables the manifest does not list are outputs of a flush or compaction whose edit never became durable,
    /// or tables a durable edit retired before they were deleted: their writes are also in listed tables or live
    /// logs. One holding writes newer than anything the manifest and logs record means the manifest lost edits.
    private mutating func sortOrphanTables(_ files: DirectoryListing) throws(LSMError) {
        var listed = Set<UInt64>()
        for tables in versions.current.levels {
            for table in tables { listed.insert(table.number) }
        }
        for number in files.tables where !listed.contains(number) {
            let name = FileNames.table(number)
            let table: Table
            do {
                let file = try fileSystem.openReadable(path(name))
                table = try Table(file: file, fileNumber: number, blockCache: nil)
            } catch where error.code == .corruption {
                // Incomplete: a table is complete and synced before any edit names it, so no edit ever did.
                obsoleteFiles.append(name)
                continue
            } catch where error.code == .unsupportedFormat {
                foreignFiles.append((name, "is of a newer table format"))
                continue
            }
            if let identity = table.properties.identity {
                if let id = versions.databaseID, identity.databaseID != id {
                    foreignFiles.append((name, "belongs to database \(identity.databaseID)"))
                    continue
                }
                if identity.fileNumber != number {
                    foreignFiles.append((name, "was written as file \(identity.fileNumber)"))
                    continue
                }
            }
            var newest: SequenceNumber
            if let range = table.properties.sequenceRange { newest = range.upperBound } else {
                newest = try Self.largestSequence(in: table)
            }
            if newest > lastSequence {
                throw LSMError.corruption("table is not listed by the manifest but holds writes up to sequence "
                                          + "\(newest), newer than the last the manifest and logs record "
                                          + "(\(lastSequence)): the manifest has lost edits " + Self.repairHint,
                                          path: path(name))
            }
            obsoleteFiles.append(name)
        }
    }

    /// The largest sequence in a table that does not record its range (format version 1).
    private static func largestSequence(in table: Table) throws(LSMError) -> SequenceNumber {
        var largest: SequenceNumber = 0
        let iterator = table.makeIterator()
        try iterator.seekToFirst()
        while iterator.isValid {
            if let parsed = ParsedInternalKey(iterator.key) { largest = max(largest, parsed.sequence) }
            try iterator.next()
        }
        return largest
    }
}
