/// Opening: the first look at the directory, the lock, and the second look under it, which decides whether to create
/// or recover (Recovery.swift, and `Database.init`).
extension Database {
    /// Opens the database in the directory at `path`, creating it when the directory is missing or empty (and
    /// ``Options/createIfMissing`` is set). Recovers every write the logs hold.
    ///
    /// Throws ``LSMError/Code/notADatabase`` for a directory that holds other files, ``LSMError/Code/databaseLocked``
    /// when another process has it open, ``LSMError/Code/unsupportedFormat`` for a newer format, and
    /// ``LSMError/Code/corruption`` naming the file and offset when stored data is damaged or the files disagree
    /// with the manifest. An open that fails on what it found deletes and rewrites nothing. With
    /// ``Options/readOnly`` it writes nothing at all.
    public static func open(_ path: String, options: Options = Options()) throws(LSMError) -> Database {
        try open(path, options: options, fileSystem: PosixFileSystem())
    }

    /// Test hooks into ``open(_:options:fileSystem:hooks:)``.
    struct OpenHooks {
        /// Runs after the first look at the directory and before the lock is taken.
        var beforeLock: (() -> Void)?
    }

    static func open(
        _ path: String, options: Options, fileSystem: any FileSystem, hooks: OpenHooks = OpenHooks()
    ) throws(LSMError) -> Database {
        try options.validate()
        guard !path.isEmpty else { throw LSMError(.invalidArgument, "the database path is empty") }
        // A first look without the lock, so that a path that is not a database never gets a LOCK file.
        let firstLook = try DirectoryContents.inspect(path, fileSystem: fileSystem)
        if firstLook == .missing || firstLook == .empty { try checkMayCreate(path, options) }
        if firstLook == .missing { try fileSystem.createDirectory(path) }
        hooks.beforeLock?()
        let fileLock = try fileSystem.lockFile(FileNames.path(path, FileNames.lock), shared: options.readOnly)
        do throws(LSMError) {
            // Another process may have created (or been creating) the database between the first look and the
            // lock: only what is found under the lock decides.
            let contents = try DirectoryContents.inspect(path, fileSystem: fileSystem)
            switch contents {
            case .withoutCurrent(let error): throw error
            case .missing, .empty: try checkMayCreate(path, options)
            case .database: break
            }
            return try Database(path: path, options: options, fileSystem: fileSystem, fileLock: fileLock,
                                create: contents != .database)
        } catch {
            fileLock.unlock()
            throw error
        }
    }

    /// Throws `.notADatabase` unless `options` allow creating a database at `path`, which holds none.
    static func checkMayCreate(_ path: String, _ options: Options) throws(LSMError) {
        if options.readOnly {
            throw LSMError(.notADatabase, "no database here, and a read-only open does not create one", path: path)
        }
        if !options.createIfMissing {
            throw LSMError(.notADatabase, "no database here and createIfMissing is off", path: path)
        }
    }
}
