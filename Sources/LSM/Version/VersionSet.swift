
/// The live ``Version`` plus the database's counters, identity and live logs, and the manifest that records every
/// change to them.
///
/// The manifest is a log (``RecordFileFormat``) of encoded ``VersionEdit``s; `CURRENT` names the manifest in use.
/// Replaying the manifest's edits from an empty version rebuilds the live version after a restart. The bytes and the
/// rules: docs/FORMAT.md, "The manifest" and "Writing".
///
/// Thread-safe: the counters and the live version sit behind a short-held mutex, so ``newFileNumber()`` from the
/// writer thread never waits for manifest I/O; ``logAndApply(_:)`` calls are serialized by a second mutex that is
/// held across the manifest write (lock order: manifest, then state).
final class VersionSet: Sendable {
    /// Size past which the next ``logAndApply(_:)`` starts a new manifest holding one snapshot edit (unless the
    /// manifest is still under twice the size of its own snapshot, so a large database does not rewrite its whole
    /// table list on every edit).
    static let defaultManifestSizeLimit: UInt64 = 4 << 20

    /// File numbers stay below this, far beyond what a database ever uses, so the counter can never overflow; a
    /// manifest recording larger numbers is corrupt.
    static let maxFileNumber: UInt64 = 1 << 62

    private struct State {
        var current = Version()
        var nextFileNumber: UInt64 = 2
        var lastSequence: SequenceNumber = 0
        var logNumber: UInt64 = 0
        var manifestFileNumber: UInt64 = 1
        /// Nil only for a database of format version 1 until it is upgraded (``adoptDatabaseID(_:)``).
        var databaseID: DatabaseID?
        /// The format version of the live manifest.
        var formatVersion: UInt32 = VersionEdit.currentFormatVersion
        var liveLogs = LiveLogs()
        /// Where the live manifest ended in a torn record, if it did, when it was recovered.
        var manifestTornTail: TornTail?
    }

    /// The manifest being appended to; nil until the first ``logAndApply(_:)`` after ``create()`` or
    /// ``recover()``, and again after a failed write, so that the next edit goes to a fresh manifest instead of
    /// after a torn or failed tail.
    private struct Manifest {
        var writer: RecordWriter?
        /// The size at which the next edit goes to a new manifest instead.
        var rolloverSize: UInt64 = 0
    }

    private let fileSystem: any FileSystem
    private let directory: String
    private let manifestSizeLimit: UInt64
    private let state = Locked(State())
    private let manifest = Locked(Manifest())

    init(fileSystem: any FileSystem, directory: String,
         manifestSizeLimit: UInt64 = VersionSet.defaultManifestSizeLimit)
    {
        self.fileSystem = fileSystem
        self.directory = directory
        self.manifestSizeLimit = manifestSizeLimit
    }

    var current: Version { state.withLock { $0.current } }

    /// The sequence number of the last write; the database publishes it here before ``logAndApply(_:)``.
    var lastSequence: SequenceNumber {
        get { state.withLock { $0.lastSequence } }
        set { state.withLock { $0.lastSequence = newValue } }
    }

    /// Write-ahead logs numbered below this are fully contained in tables.
    var logNumber: UInt64 { state.withLock { $0.logNumber } }

    /// The number of the manifest `CURRENT` names.
    var manifestFileNumber: UInt64 { state.withLock { $0.manifestFileNumber } }

    /// The database's identity; nil for a database of format version 1 that has not been upgraded yet.
    var databaseID: DatabaseID? { state.withLock { $0.databaseID } }

    /// The format version of the live manifest: 1 for a database not yet upgraded (its logs are not tracked and
    /// are in log format version 1), otherwise 2.
    var formatVersion: UInt32 { state.withLock { $0.formatVersion } }

    /// The write-ahead logs the manifest records as live (format version 2).
    var liveLogs: LiveLogs { state.withLock { $0.liveLogs } }

    /// Where the manifest ended in a torn record when it was recovered (an edit cut short by a crash).
    var manifestTornTail: TornTail? { state.withLock { $0.manifestTornTail } }

    /// The next file number to be handed out, without taking it.
    var nextFileNumber: UInt64 { state.withLock { $0.nextFileNumber } }

    /// The database's identity, giving a database of format version 1 the identity `id` first, so that its next
    /// manifest can be written in version 2.
    @discardableResult
    func adoptDatabaseID(_ id: DatabaseID) -> DatabaseID {
        state.withLock { s in
            let adopted = s.databaseID ?? id
            s.databaseID = adopted
            return adopted
        }
    }

    /// Takes the next file number; numbers are never reused, so no two files ever share a name.
    func newFileNumber() -> UInt64 {
        state.withLock { s in
            defer { s.nextFileNumber += 1 }
            return s.nextFileNumber
        }
    }

    /// Makes sure `number` is never handed out again (for files found on disk during recovery). Numbers at or
    /// above ``maxFileNumber`` are ignored: the counter never reaches them, so they cannot collide.
    func markFileNumberUsed(_ number: UInt64) {
        guard number < VersionSet.maxFileNumber else { return }
        state.withLock { s in s.nextFileNumber = max(s.nextFileNumber, number + 1) }
    }

    /// File numbers of every table in the current version, plus the manifest in use: the files that must not be
    /// deleted (besides write-ahead logs at or above ``logNumber``).
    func liveTableNumbers() -> Set<UInt64> {
        state.withLock { s in
            var numbers = Set<UInt64>(minimumCapacity: s.current.fileCount + 1)
            for files in s.current.levels {
                for file in files { numbers.insert(file.number) }
            }
            numbers.insert(s.manifestFileNumber)
            return numbers
        }
    }

    /// Creates a new empty database: `MANIFEST-000001` holding one edit (format version, a fresh identity, log
    /// number 0, next file number 2, last sequence 0), synced, then `CURRENT` written atomically and the directory
    /// synced.
    func create() throws(LSMError) {
        let manifestNumber: UInt64 = 1
        let id = DatabaseID.random()
        var counters = VersionEdit()
        counters.logNumber = 0
        counters.nextFileNumber = manifestNumber + 1
        counters.lastSequence = 0
        let writer = try writeNewManifest(manifestNumber, snapshotOf: Version(), liveLogs: LiveLogs(),
                                          counters: counters, databaseID: id)
        try writer.close()
        manifest.withLock { $0.writer = nil }
        state.withLock { $0 = State(databaseID: id) }
    }

    /// Starts the database over as `edit` applied to an empty version (repair): writes manifest `manifestNumber`
    /// holding that state as its snapshot, syncs it and points `CURRENT` at it. The edit must set every counter.
    func reset(to edit: VersionEdit, databaseID: DatabaseID, manifestNumber: UInt64) throws(LSMError) {
        guard let logNumber = edit.logNumber, let nextFileNumber = edit.nextFileNumber,
              let lastSequence = edit.lastSequence else {
            preconditionFailure("a reset edit sets the log number, next file number and last sequence")
        }
        let version = try Version().applying(edit)
        var liveLogs = LiveLogs()
        try liveLogs.apply(edit, logNumber: logNumber)
        try manifest.withLock { (m: inout Manifest) throws(LSMError) in
            if let old = m.writer { try? old.close() }
            m.writer = nil
            let writer = try writeNewManifest(manifestNumber, snapshotOf: version, liveLogs: liveLogs, counters: edit,
                                              databaseID: databaseID)
            try? writer.close()
        }
        state.withLock { s in
            s = State(current: version, nextFileNumber: nextFileNumber, lastSequence: lastSequence,
                      logNumber: logNumber, manifestFileNumber: manifestNumber, databaseID: databaseID,
                      liveLogs: liveLogs)
        }
    }

    /// Rebuilds the version, counters, identity and live logs from the manifest `CURRENT` names.
    ///
    /// A missing `CURRENT` means this is not a database (`.notADatabase`). A torn last record of the manifest is a
    /// crash during an edit that was never acknowledged, so replay stops before it (``manifestTornTail`` says
    /// where); any other damage, a missing manifest, missing counters, or a manifest whose header names another
    /// file or database are `.corruption`; a format version this build does not know is `.unsupportedFormat`.
    func recover() throws(LSMError) {
        let manifestNumber = try readCurrent()
        let path = FileNames.path(directory, FileNames.manifest(manifestNumber))
        guard fileSystem.fileExists(path) else {
            throw LSMError.corruption("CURRENT names \(FileNames.manifest(manifestNumber)), which does not exist",
                                      path: path)
        }
        let reader = try RecordReader(file: try fileSystem.openReadable(path), tailRule: .lastRecordMayBeTorn)
        var replay = Replay(path: path, header: reader.header)
        while let record = try reader.next() {
            try replay.apply(record)
        }
        let recovered = try replay.finish(manifestNumber: manifestNumber)
        manifest.withLock { $0.writer = nil }
        state.withLock { s in
            s = recovered
            s.manifestTornTail = reader.tornTail
        }
    }

    /// The edits of one manifest applied in order, with the checks that tie them to the manifest's file header.
    private struct Replay {
        let path: String
        let header: RecordFileHeader?
        var builder = Version.Builder(base: Version())
        var state = State()
        var logNumber: UInt64?
        var nextFileNumber: UInt64?
        var lastSequence: SequenceNumber?
        var editCount = 0

        init(path: String, header: RecordFileHeader?) {
            self.path = path
            self.header = header
        }

        mutating func apply(_ record: FileRecord) throws(LSMError) {
            let edit = try decodeEdit(record)
            if editCount == 0 {
                state.formatVersion = edit.formatVersion ?? state.formatVersion
                state.databaseID = edit.databaseID
            }
            do throws(LSMError) {
                if let previous = logNumber, let next = edit.logNumber, next < previous {
                    throw LSMError.corruption("version edit moves the log number back from \(previous) to \(next)")
                }
                try builder.apply(edit)
                logNumber = edit.logNumber ?? logNumber
                try state.liveLogs.apply(edit, logNumber: logNumber ?? 0)
            } catch {
                throw error.located(path: path, offset: record.offset)
            }
            nextFileNumber = edit.nextFileNumber ?? nextFileNumber
            lastSequence = edit.lastSequence ?? lastSequence
            editCount += 1
        }

        /// Decodes one record, checking the format version and identity the first edit must carry.
        private func decodeEdit(_ record: FileRecord) throws(LSMError) -> VersionEdit {
            let edit: VersionEdit
            do {
                edit = try record.payload.withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in
                    try VersionEdit.decode(bytes)
                }
            } catch {
                throw error.located(path: path, offset: record.offset)
            }
            func corrupt(_ message: String) -> LSMError { .corruption(message, path: path, offset: record.offset) }
            if let version = edit.formatVersion, !VersionEdit.readableFormatVersions.contains(version) {
                throw LSMError(.unsupportedFormat,
                               "manifest format version \(version); this build reads versions "
                                   + "\(VersionEdit.readableFormatVersions.lowerBound) to "
                                   + "\(VersionEdit.readableFormatVersions.upperBound)",
                               path: path, offset: record.offset)
            }
            let version = editCount == 0 ? edit.formatVersion : state.formatVersion
            if version == 1 && edit.usesVersion2Fields {
                throw corrupt("a format version 1 manifest holds fields of version 2")
            }
            if let version, version < 3, edit.newFiles.contains(where: { $0.file.rangeDeletionCount > 0 }) {
                throw corrupt("a format version \(version) manifest records a table with range deletions")
            }
            guard editCount > 0 else {
                guard let version = edit.formatVersion else {
                    throw corrupt("the first manifest edit has no format version")
                }
                // The framing and the first edit must agree: manifests of version 2 and later start with a file
                // header.
                guard (version >= 2) == (header != nil) else {
                    throw corrupt("manifest format version \(version) in a file "
                                  + (header == nil ? "without" : "with") + " a file header")
                }
                if let header {
                    guard let id = edit.databaseID else {
                        throw corrupt("the first edit of a version 2 manifest has no database identity")
                    }
                    guard id == header.databaseID else {
                        throw corrupt("the manifest's header names database \(header.databaseID) but its first edit "
                                      + "names \(id)")
                    }
                }
                return edit
            }
            if let version = edit.formatVersion, version != state.formatVersion {
                throw corrupt("manifest format version changes from \(state.formatVersion) to \(version)")
            }
            if let id = edit.databaseID, id != state.databaseID {
                throw corrupt("version edit names database \(id), not \(state.databaseID.map { "\($0)" } ?? "none")")
            }
            return edit
        }

        /// The recovered state, once every record is applied.
        func finish(manifestNumber: UInt64) throws(LSMError) -> State {
            guard editCount > 0 else {
                throw LSMError.corruption("manifest holds no complete edit", path: path, offset: 0)
            }
            guard let logNumber, let nextFileNumber, let lastSequence else {
                throw LSMError.corruption("manifest does not record the log number, next file number and last "
                                          + "sequence", path: path)
            }
            if let header {
                guard header.kind == .manifest else {
                    throw LSMError.corruption("file header says this is a \(header.kind.description), not a manifest",
                                              path: path, offset: 0)
                }
                guard header.fileNumber == manifestNumber else {
                    throw LSMError.corruption("file header says this is manifest \(header.fileNumber), but CURRENT "
                                              + "names it as \(manifestNumber)", path: path, offset: 0)
                }
            }
            let version: Version
            do {
                version = try builder.build()
            } catch {
                throw error.located(path: path)
            }
            var largestNumber = manifestNumber
            for files in version.levels {
                for file in files { largestNumber = max(largestNumber, file.number) }
            }
            for log in state.liveLogs.logs { largestNumber = max(largestNumber, log.number) }
            guard largestNumber < VersionSet.maxFileNumber, nextFileNumber <= VersionSet.maxFileNumber else {
                throw LSMError.corruption("manifest records file numbers beyond \(VersionSet.maxFileNumber)", path: path)
            }
            var recovered = state
            recovered.current = version
            // A sound manifest already records a next number above every file; taking the maximum keeps a damaged
            // counter from ever handing out a number that is in use.
            recovered.nextFileNumber = max(nextFileNumber, largestNumber + 1)
            recovered.lastSequence = lastSequence
            recovered.logNumber = logNumber
            recovered.manifestFileNumber = manifestNumber
            return recovered
        }
    }

    /// Records `edit` durably and makes its result the current version.
    ///
    /// Fills in the edit's next file number and last sequence (and the log number, when the edit sets none) from
    /// the current counters, applies it to the current version, appends it to the manifest and syncs, then
    /// installs the new version. The first call after ``create()`` or ``recover()``, and any call once the
    /// manifest has grown past its size limit, writes a new manifest instead, holding one snapshot edit of the
    /// whole new version, and switches `CURRENT` to it; the caller may then delete the old manifest (it is no
    /// longer in ``liveTableNumbers()``).
    ///
    /// On failure the in-memory version and counters are unchanged, the error is thrown and the next call starts
    /// a fresh manifest. The edit may nevertheless have reached the disk (a sync can fail after the write), so the
    /// caller must not delete the files the edit added, and should stop writing until the database is reopened.
    func logAndApply(_ edit: VersionEdit) throws(LSMError) {
        try manifest.withLock { (m: inout Manifest) throws(LSMError) in
            let startsNewManifest = m.writer.map { $0.size >= m.rolloverSize } ?? true
            let newManifestNumber: UInt64? = startsNewManifest ? newFileNumber() : nil
            var edit = edit
            let base = state.withLock { s in
                edit.logNumber = edit.logNumber ?? s.logNumber
                edit.nextFileNumber = s.nextFileNumber
                edit.lastSequence = s.lastSequence
                return (version: s.current, liveLogs: s.liveLogs, databaseID: s.databaseID)
            }
            // Only logAndApply replaces the current version and calls are serialized, so `base` is still current
            // when the new version is installed below.
            let version = try base.version.applying(edit)
            var liveLogs = base.liveLogs
            try liveLogs.apply(edit, logNumber: edit.logNumber ?? 0)
            if let newManifestNumber {
                if let old = m.writer { try? old.close() }
                m.writer = nil
                guard let databaseID = base.databaseID else {
                    preconditionFailure("a database is given an identity before its first manifest edit")
                }
                let writer = try writeNewManifest(newManifestNumber, snapshotOf: version, liveLogs: liveLogs,
                                                  counters: edit, databaseID: databaseID)
                m.writer = writer
                m.rolloverSize = max(manifestSizeLimit, 2 * writer.size)
            } else if let writer = m.writer {
                do throws(LSMError) {
                    try writer.addRecord(edit.encode())
                    try writer.sync()
                } catch {
                    try? writer.close()
                    m.writer = nil
                    throw error
                }
            }
            state.withLock { s in
                s.current = version
                s.liveLogs = liveLogs
                s.logNumber = edit.logNumber ?? s.logNumber
                if let newManifestNumber {
                    s.manifestFileNumber = newManifestNumber
                    s.formatVersion = VersionEdit.currentFormatVersion
                }
            }
        }
    }

    /// Closes the manifest writer; a later ``logAndApply(_:)`` would start a new manifest.
    func close() {
        manifest.withLock { m in
            if let writer = m.writer { try? writer.close() }
            m.writer = nil
        }
    }

    /// Writes manifest `number` holding one snapshot edit (format version, identity, the counters of `counters`,
    /// every file of `version` and every live log), syncs it and points `CURRENT` at it. Returns the writer,
    /// positioned for further edits.
    private func writeNewManifest(_ number: UInt64, snapshotOf version: Version, liveLogs: LiveLogs,
                                  counters: VersionEdit, databaseID: DatabaseID) throws(LSMError) -> RecordWriter
    {
        var snapshot = VersionEdit()
        snapshot.formatVersion = VersionEdit.currentFormatVersion
        snapshot.databaseID = databaseID
        snapshot.logNumber = counters.logNumber
        snapshot.nextFileNumber = counters.nextFileNumber
        snapshot.lastSequence = counters.lastSequence
        for (level, files) in version.levels.enumerated() {
            for file in files { snapshot.addFile(level: level, file) }
        }
        liveLogs.describe(into: &snapshot)
        let path = FileNames.path(directory, FileNames.manifest(number))
        let header = RecordFileHeader(kind: .manifest, databaseID: databaseID, fileNumber: number)
        let writer = try RecordWriter.create(path, header: header, fileSystem: fileSystem)
        do {
            try writer.addRecord(snapshot.encode())
            try writer.sync()
        } catch {
            // CURRENT still names the old manifest, so this one is garbage.
            try? writer.close()
            try? fileSystem.removeFile(path)
            throw error
        }
        do {
            try setCurrent(number)
        } catch {
            // The rename may have happened before the failure, so the new manifest stays: it may be current.
            try? writer.close()
            throw error
        }
        return writer
    }

    /// Points `CURRENT` at manifest `number`, atomically and durably.
    private func setCurrent(_ number: UInt64) throws(LSMError) {
        try fileSystem.writeFileAtomically(FileNames.path(directory, FileNames.current),
                                           contents: CurrentFile.contents(naming: number),
                                           directory: directory)
    }

    /// The manifest number `CURRENT` names.
    private func readCurrent() throws(LSMError) -> UInt64 {
        let path = FileNames.path(directory, FileNames.current)
        guard fileSystem.fileExists(path) else {
            throw LSMError(.notADatabase, "the directory has no CURRENT file", path: path)
        }
        guard let number = CurrentFile.manifestNumber(in: try CurrentFile.read(directory: directory,
                                                                               fileSystem: fileSystem))
        else {
            throw LSMError.corruption("CURRENT does not name a manifest", path: path, offset: 0)
        }
        return number
    }
}
