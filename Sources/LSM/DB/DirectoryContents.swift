/// What a database directory holds, as ``Database/open(_:options:)`` first looks at it (and looks again once it
/// holds the lock).
enum DirectoryContents: Equatable {
    /// Nothing at the path.
    case missing
    /// A directory holding no files (or only a lock file): a database may be created in it.
    case empty
    /// A directory with a `CURRENT` file.
    case database

    /// Looks at `path`; throws `.notADatabase` for a file, or for a directory holding files but no `CURRENT`
    /// (saying what it holds, and pointing to repair when those are a database's files).
    static func inspect(_ path: String, fileSystem: any FileSystem) throws(LSMError) -> DirectoryContents {
        guard fileSystem.fileExists(path) else { return .missing }
        guard fileSystem.isDirectory(path) else {
            throw LSMError(.notADatabase, "the path is a file, not a database directory", path: path)
        }
        if fileSystem.fileExists(FileNames.path(path, FileNames.current)) { return .database }
        let names = try fileSystem.listDirectory(path).filter { $0 != FileNames.lock }
        if names.isEmpty { return .empty }
        let files = DirectoryListing(names)
        let databaseFiles = files.tables.count + files.logs.count + files.manifests.count
        guard databaseFiles > 0 else {
            throw LSMError(.notADatabase,
                           "the directory holds \(names.count) file(s) but no CURRENT file, so it is not a database",
                           path: path)
        }
        throw LSMError(.notADatabase,
                       "the directory holds a database's files (\(files.manifests.count) manifest(s), "
                           + "\(files.tables.count) table(s), \(files.logs.count) log(s)) but its CURRENT file is "
                           + "missing " + Recovery.repairHint,
                       path: path)
    }
}
