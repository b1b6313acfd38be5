/// Checkpoints: a consistent, openable copy of the live database in another directory.
extension Database {
    /// Makes `destination` a copy of the database as it is now, while reads and writes go on: a database that
    /// opens on its own, holds every write that returned before this call began (and perhaps some that were in
    /// flight), and shares no file the source will change.
    ///
    /// Tables, which never change, are hard-linked (copied where a link cannot cross file systems); logs closed
    /// by a memtable switch are linked too; the log being written is copied up to its current end, with writers
    /// waiting meanwhile (at most about ``Options/memtableSize`` bytes); a new manifest describes the copy. Every
    /// file and `CURRENT` are durable when this returns.
    ///
    /// `destination` must not exist, or be an empty directory; on failure whatever this made there is removed.
    /// Throws ``LSMError/Code/readOnly`` on a read-only database, whose directory nothing changes: copy it instead;
    /// and the background error once writes have stopped after a failure, when the log's state is not known.
    public func checkpoint(to destination: String) throws(LSMError) {
        try checkWritable()
        try lock.withLock { () throws(LSMError) in try checkOpen() }
        let createdDirectory = try prepareCheckpointDirectory(destination)
        var made: [String] = []
        do {
            let captured = try captureCheckpointState(into: destination, made: &made)
            // The captured version keeps its tables from being deleted until it goes.
            for table in captured.version.levels.joined() {
                let name = FileNames.table(table.number)
                try fileSystem.linkOrCopyFile(FileNames.path(path, name), to: FileNames.path(destination, name))
                made.append(name)
            }
            try fileSystem.syncDirectory(destination)
            try VersionSet(fileSystem: fileSystem, directory: destination)
                .reset(to: captured.edit, databaseID: databaseID, manifestNumber: captured.manifestNumber)
        } catch {
            let left = (try? fileSystem.listDirectory(destination)) ?? made
            for name in left where made.contains(name) || isCheckpointMetadata(name) {
                try? fileSystem.removeFile(FileNames.path(destination, name))
            }
            if createdDirectory { try? fileSystem.removeDirectory(destination) }
            throw error
        }
    }

    /// What a checkpoint takes under the lock: the version whose tables it links, and the edit its manifest holds.
    private struct CheckpointState {
        var version: Version
        var edit: VersionEdit
        var manifestNumber: UInt64
    }

    /// Under the lock, with no log append in flight: notes the version, links the closed logs of the memtables
    /// waiting for their flush and copies the log being written up to its end, so the copy holds exactly the
    /// writes made so far. Names what it makes in `made`.
    private func captureCheckpointState(into destination: String, made: inout [String])
        throws(LSMError) -> CheckpointState {
        lock.lock()
        defer { lock.unlock() }
        try checkOpen()
        if let backgroundError = state.backgroundError { throw backgroundError }
        while state.logAppendInFlight { lock.wait() }
        try checkOpen()
        guard let log = state.log else { preconditionFailure("a writable database has a log") }

        var edit = VersionEdit()
        for (level, files) in state.version.levels.enumerated() {
            for file in files { edit.addFile(level: level, file) }
        }
        let logNumbers = state.immutables.map(\.logNumber) + [state.logNumber]
        for number in logNumbers.dropLast() {
            let name = FileNames.wal(number)
            try fileSystem.linkOrCopyFile(FileNames.path(path, name), to: FileNames.path(destination, name))
            made.append(name)
        }
        let current = FileNames.wal(state.logNumber)
        try fileSystem.copyFile(FileNames.path(path, current), to: FileNames.path(destination, current),
                                count: log.size)
        made.append(current)
        // Recorded as open logs, as after a crash: each older one must then be whole, and the newest ends at the
        // last record appended before the copy (no append was in flight).
        edit.logNumber = logNumbers[0]
        edit.addedLogs = logNumbers
        edit.lastSequence = state.lastSequence
        // Numbers from here on are unused in the copy, whose manifest takes the first.
        let manifestNumber = versions.newFileNumber()
        edit.nextFileNumber = manifestNumber + 1
        return CheckpointState(version: state.version, edit: edit, manifestNumber: manifestNumber)
    }

    /// Makes sure `destination` is an empty directory, creating it if it does not exist; returns whether it did.
    private func prepareCheckpointDirectory(_ destination: String) throws(LSMError) -> Bool {
        if fileSystem.isDirectory(destination) {
            guard try fileSystem.listDirectory(destination).isEmpty else {
                throw LSMError(.invalidArgument, "a checkpoint needs a new or empty directory, and this one is not "
                               + "empty", path: destination)
            }
            return false
        }
        if fileSystem.fileExists(destination) {
            throw LSMError(.invalidArgument, "a checkpoint needs a new or empty directory, and this is a file",
                           path: destination)
        }
        try fileSystem.createDirectory(destination)
        return true
    }

    /// The manifest and `CURRENT` (and its temporary) a failed checkpoint may have written.
    private func isCheckpointMetadata(_ name: String) -> Bool {
        switch FileNames.parse(name) {
        case .manifest, .current, .temporary: true
        default: false
        }
    }
}
