import LSM
import Testing
@testable import LSMTools

/// `lsm info` and `lsm check`: the tree's shape (also while the database is open elsewhere), a clean check, and
/// checks that name the damaged file and offset.
@Suite struct InfoCheckCommandTests {
    /// A database with two tables (keys k00...k09 at sequences 1...10, then k10...k14 at 11...15), which overlap
    /// nothing and so are flushed to level 2, and two writes (sequences 16 and 17) only in its log; open, so callers
    /// decide when to close it.
    private static func makeDatabase(in scratch: Scratch) throws -> (path: String, db: Database) {
        let path = scratch.file("db")
        let db = try Database.open(path)
        for i in 0..<10 { try db.put("k0\(i)", "value") }
        try db.flush()
        for i in 10..<15 { try db.put("k\(i)", "value") }
        try db.flush()
        try db.put("late", "1")
        try db.delete("k00")
        return (path, db)
    }

    private func info(_ arguments: [String]) throws -> ToolRun { try runTool(InfoCommand.self, arguments) }

    private func check(_ arguments: [String]) throws -> ToolRun { try runTool(CheckCommand.self, arguments) }

    @Test func infoShowsLevelsTablesLogsAndTotalsWhileTheDatabaseIsOpen() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (path, db) = try Self.makeDatabase(in: scratch)
        defer { try? db.close() }
        let run = try info([path])
        #expect(run.status == 0 && run.err == "")

        let state = try Database.info(at: path)
        let tables = state.levels[2].tables
        try #require(tables.count == 2 && state.logs.count == 1)
        let log = state.logs[0]
        let bytes = tables[0].size + tables[1].size
        #expect(run.out == """
            Database: \(path)
            Manifest: \(state.manifestName)
            Storage format: 4
            Database identity: \(try #require(state.databaseID))
            Last sequence: 15
            Log number: \(state.logNumber)
            Next file number: \(state.nextFileNumber)
            Level 0: empty
            Level 1: empty
            Level 2: 2 tables, \(InspectionText.size(bytes)), 15 entries
              \(tables[0].name)  \(tables[0].size) bytes  10 entries  k00 @1 PUT .. k09 @10 PUT
              \(tables[1].name)  \(tables[1].size) bytes  5 entries  k10 @11 PUT .. k14 @15 PUT
            Level 3: empty
            Level 4: empty
            Level 5: empty
            Level 6: empty
            Logs: 1 file, \(InspectionText.size(log.size))
              \(log.name)  \(log.size) bytes  live, open
            Total: 2 tables, \(InspectionText.size(bytes)), 15 entries
            Estimated live keys: 15 (the tables' entries less twice their deletions; writes in the logs not counted)
            (Read from the manifest without the database's lock: a process that has the database open may have \
            moved on.)

            """)
        #expect(log.size > 0 && log.number == state.logNumber)
        #expect(tables[0].number < tables[1].number)

        let hex = try info([path, "--hex"])
        #expect(hex.out.contains("  6b3130 @11 PUT .. 6b3134 @15 PUT\n"))
    }

    @Test func checkPassesASoundDatabaseOpenOrClosed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (path, db) = try Self.makeDatabase(in: scratch)
        let open = try check([path])
        try db.close()
        // The log's bytes are its records' (the space an open log reserves past them is not counted), which the
        // closed log's size is.
        let expected = """
            Checking database: \(path)
            Checked 2 tables (15 entries, \(try Database.info(at: path).tableBytes) bytes) and 1 log (2 records, \
            2 operations, \(try Database.info(at: path).logBytes) bytes).
            OK: no problems, 0 warnings.

            """
        #expect(open.status == 0 && open.err == "" && open.out == expected)
        let closed = try check([path])
        #expect(closed.status == 0 && closed.out == expected)
    }

    @Test func checkNamesADamagedTableAndOffset() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (path, db) = try Self.makeDatabase(in: scratch)
        try db.close()
        let table = path + "/" + (try Database.info(at: path)).levels[2].tables[0].name
        try Scratch.flip(table, at: 20)
        let run = try check([path])
        #expect(run.status == 1 && run.err == "")
        let lines = run.out.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[1] == "problem: \(table) at offset 0: corruption: block checksum mismatch")
        #expect(lines[3] == "FAILED: 1 problem, 0 warnings.")
    }

    @Test func checkNamesDamageInTheMiddleOfALogAndOnlyWarnsOfATornTail() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (path, db) = try Self.makeDatabase(in: scratch)
        try db.close()
        let log = path + "/" + (try #require(try Database.info(at: path).logs.last)).name
        let bytes = try Scratch.read(log)
        // The 44-byte file header, then two records: a put of late (33 bytes) at 44, then a delete of k00 at 77.
        try #require(bytes.count == 44 + 33 + 30)

        try Scratch.write(Array(bytes.dropLast(1)), to: log)
        let torn = try check([path])
        #expect(torn.status == 0)
        #expect(torn.out.contains("\nwarning: \(log) at offset 77: torn last record: "))
        #expect(torn.out.hasSuffix("OK: no problems, 1 warning.\n"))

        var damaged = bytes
        damaged[44 + 13 + 3] ^= 0x01
        try Scratch.write(damaged, to: log)
        let run = try check([path])
        #expect(run.status == 1)
        #expect(run.out.contains("\nproblem: \(log) at offset 44: corruption: log record: checksum mismatch\n"))
        #expect(run.out.hasSuffix("FAILED: 1 problem, 0 warnings.\n"))
    }

    @Test func whatIsNotADatabaseGivesOneLineAndExitOne() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = scratch.file("file")
        try Scratch.write(Array("x".utf8), to: file)
        let missing = scratch.file("missing")
        let expectations: [(String, String)] = [
            (missing, "lsm: \(missing): not a database: no such directory"),
            (file, "lsm: \(file): not a database: is a file, not a database directory"),
            (scratch.path, "lsm: \(scratch.path): not a database: the directory has no CURRENT file, so it holds no "
                + "database"),
        ]
        for (path, message) in expectations {
            expectFailure(try info([path]), message)
            expectFailure(try check([path]), message)
        }

        // A damaged manifest: info cannot show the tree; check reports it as a problem.
        let (path, db) = try Self.makeDatabase(in: scratch)
        try db.close()
        let manifest = path + "/" + (try Database.info(at: path)).manifestName
        try Scratch.flip(manifest, at: 12)
        let broken = try info([path])
        #expect(broken.status == 1 && broken.out == "")
        #expect(broken.err.hasPrefix("lsm: \(manifest): corruption: ") && broken.err.hasSuffix(" at offset 0\n"))
        let checked = try check([path])
        #expect(checked.status == 1 && checked.out.contains("\nproblem: \(manifest) at offset 0: corruption: "))
    }

    @Test func usageErrorsAreRejectedByTheParser() {
        #expect(throws: (any Error).self) { try InfoCommand.parse([]) }
        #expect(throws: (any Error).self) { try CheckCommand.parse([]) }
        #expect(throws: (any Error).self) { try CheckCommand.parse(["a", "b"]) }
    }
}
