import Testing
@testable import LSM

/// A fresh temporary directory on its own ``CrashSimulatingFileSystem``, and the options its database is opened
/// with: the setup every crash and fault test starts from, so that each test says only what it does to the
/// database, and every open, power loss and restart of one test uses the same file system and options (unless the
/// test changes them between opens).
struct CrashFixture {
    let directory: TemporaryDirectory
    let fileSystem: CrashSimulatingFileSystem
    var options: Options

    init(_ name: String, options: Options = Options()) {
        directory = TemporaryDirectory(name)
        fileSystem = CrashSimulatingFileSystem()
        self.options = options
    }

    /// The database's directory.
    var path: String { directory.path }

    func openDatabase() throws(LSMError) -> Database {
        try Database.open(path, options: options, fileSystem: fileSystem)
    }

    /// Loses power, lets `db` (the database the crash abandons, if one was open) finish what it was doing, and loses
    /// power again: its handles are dead, so it can only fail or write files that the second power loss takes back.
    func losePower(abandoning db: Database?) throws(LSMError) {
        try fileSystem.crash()
        try? db?.close()
        try fileSystem.crash()
    }

    /// Loses power with `db` open (see ``losePower(abandoning:)``) and opens the database again.
    func crashAndReopen(_ db: Database) throws(LSMError) -> Database {
        try losePower(abandoning: db)
        return try openDatabase()
    }

    /// Closes `db` and opens the database again.
    func reopen(_ db: Database) throws(LSMError) -> Database {
        try db.close()
        return try openDatabase()
    }

    /// Closes `db`, opens the database again and expects it to hold exactly `expected`: what a clean restart must
    /// keep. The reopened database is closed again.
    func expectReopened(
        _ db: Database, toHold expected: ModelState, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let reopened = try reopen(db)
        #expect(try databaseContents(reopened) == expected, comment, sourceLocation: sourceLocation)
        try reopened.close()
    }

    /// Every table file in the directory belongs to `db`, and no temporary file is left.
    func expectNoOrphanTables(_ db: Database, sourceLocation: SourceLocation = #_sourceLocation) throws {
        // A compaction started by the open may be writing outputs it has not installed yet.
        db.waitForBackgroundWork()
        let names = try fileSystem.listDirectory(path)
        let tables = names.filter { $0.hasSuffix(".sst") }.count
        #expect(
            tables == (try db.statistics().levelFileCounts.reduce(0, +)), "tables on disk: \(names.sorted())",
            sourceLocation: sourceLocation)
        #expect(
            !names.contains { $0.hasSuffix(".tmp") }, "temporary files left: \(names.sorted())",
            sourceLocation: sourceLocation)
    }

    func remove() {
        directory.remove()
    }
}
