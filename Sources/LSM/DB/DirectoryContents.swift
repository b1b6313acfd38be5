/// What a database directory holds, as ``Database/open(_:options:)`` first looks at it (and looks again once it
/// holds the lock).
enum DirectoryContents: Equatable {
    /// Nothing at the path.
    case missing
    /// A directory holding no files, or only what a create that was cut short leaves (a lock file, the event log,
    /// a first manifest that `CURRENT` never named): a database may be created in it.
    case empty
    /// A directory with a `CURRENT` file.
    case database
    /// A database's files without a `CURRENT` file: a create in progress in another process, or a database whose
    /// `CURRENT` is gone. Only a look under the lock can tell; then `error` says what is missing.
    case withoutCurrent(LSMError)

    /// Looks at `path`; throws `.notADatabase` for a file, or for a directory holding files that are not a
    /// database's.
    static func inspect(_ path: String, fileSystem: any FileSystem) throws(LSMError) -> DirectoryContents {
        guard fileSystem.fileExists(path) else { return .missing }
        guard fileSystem.isDirectory(path) else {
            throw LSMError(.notADatabase, "the path is a file, not a database directory", path: path)
        }
        if fileSystem.fileExists(FileNames.path(path, FileNames.current)) { return .database }
        let names = try fileSystem.listDirectory(path).filter { $0 != FileNames.lock }
        let files = DirectoryListing(names)
        let interruptedCreate: Set<String> = [FileNames.eventLog, FileNames.manifest(1), FileNames.current + ".tmp"]
        if names.allSatisfy(interruptedCreate.contains) { return .empty }
        guard !files.tables.isEmpty || !files.logs.isEmpty || !files.manifests.isEmpty else {
            throw LSMError(.notADatabase,
                           "the directory holds \(names.count) file(s) but no CURRENT file, so it is not a database",
                           path: path)
        }
        return .withoutCurrent(LSMError(
            .notADatabase,
            "the directory holds a database's files (\(files.manifests.count) manifest(s), \(files.tables.count) "
                + "table(s), \(files.logs.count) log(s)) but its CURRENT file is missing " + Recovery.repairHint,
            path: path))
    }
}
