import LSM
import Testing
@testable import LSMTools

/// `lsm wal-dump`: exact output for a known log, a torn tail (exit 0), damage in the middle (exit 1 with the
/// offset), and files that are not logs.
@Suite struct WALDumpCommandTests {
    /// A closed database whose log holds, after its 44-byte file header, three records (30, 28 and 38 bytes): a
    /// put, a delete, and a batch of three operations.
    private static func makeLog(in scratch: Scratch) throws -> String {
        let path = try scratch.database { db in
            try db.put("a", "1")
            try db.delete("b")
            var batch = WriteBatch()
            batch.put("c", "3")
            batch.put([0x00, 0xFF], [])
            batch.delete("e")
            try db.write(batch)
        }
        let logs = try Database.info(at: path).logs
        try #require(logs.count == 1)
        return path + "/" + logs[0].name
    }

    private func walDump(_ arguments: [String]) throws -> ToolRun { try runTool(WALDumpCommand.self, arguments) }

    private static let records = """
        @44 seq 1 PUT    a | 1
        @74 seq 2 DELETE b
        @102 batch of 3 operations, seq 3...5
            seq 3 PUT    c | 3
            seq 4 PUT    "\\x00\\xff" | ""
            seq 5 DELETE e

        """

    @Test func printsEachRecordWithOffsetSequenceAndOperations() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        let run = try walDump([log])
        #expect(run.status == 0 && run.err == "")
        let id = try #require(Database.info(at: scratch.file("db")).databaseID)
        let number = try #require(UInt64(log.split(separator: "/").last?.prefix(6) ?? ""))
        #expect(run.out == "--- Dumping WAL: \(log) ---\nLog format 2: database \(id), file number \(number)\n"
                + Self.records + "--- 3 records, 5 operations, 140 bytes ---\n")

        let hex = try walDump([log, "--hex"])
        #expect(hex.out.contains("@44 seq 1 PUT    61 | 31\n") && hex.out.contains("seq 4 PUT    00ff | \"\"\n"))
    }

    @Test func aTornTailIsReportedAndExitsZero() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        let bytes = try Scratch.read(log)
        try Scratch.write(Array(bytes.dropLast(3)), to: log)
        let run = try walDump([log])
        #expect(run.status == 0 && run.err == "")
        #expect(run.out.hasSuffix("""
            @44 seq 1 PUT    a | 1
            @74 seq 2 DELETE b
            Torn tail at offset 102: record of 25 bytes runs past the end of the file (137 bytes) (a write cut short \
            by a crash, never acknowledged)
            --- 2 records, 2 operations, 137 bytes ---

            """))
    }

    @Test func damageInTheMiddleIsReportedWithItsOffsetAndExitsOne() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        try Scratch.flip(log, at: 74 + 13 + 3)
        let run = try walDump([log])
        #expect(run.status == 1)
        #expect(run.out.hasSuffix("\n@44 seq 1 PUT    a | 1\n") && !run.out.contains("@74"))
        #expect(run.err == "lsm: \(log): corruption: log record: checksum mismatch at offset 74\n")
    }

    /// Damage to any byte of the file header or of a record followed by another, or to the last record's header,
    /// is an error (exit 1, one line); to the last record's payload, a torn tail (exit 0). Never a crash.
    @Test func everyFlippedByteIsReportedCleanly() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        let bytes = try Scratch.read(log)
        for offset in 0..<bytes.count {
            var damaged = bytes
            damaged[offset] ^= 0x08
            try Scratch.write(damaged, to: log)
            let run = try walDump([log])
            if offset < 102 + 13 {
                #expect(run.status == 1 && run.err.hasPrefix("lsm: \(log): "), "flip at \(offset)")
            } else {
                #expect(run.status == 0 && run.out.contains("Torn tail at offset 102:"), "flip at \(offset)")
            }
            #expect(run.status == 0 ? run.err.isEmpty : run.err.filter { $0 == "\n" }.count == 1, "flip at \(offset)")
        }
    }

    @Test func filesThatAreNotLogsExitOne() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let db = try scratch.database { database in
            try database.put("k", "v")
            try database.flush()
        }
        let info = try Database.info(at: db)
        let table = db + "/" + (try #require(info.tables.first)).name
        let missing = scratch.file("missing.wal")
        let random = try scratch.randomFile("random.wal", bytes: 2000)

        let expectations: [(String, String)] = [
            (missing, "lsm: \(missing): I/O error: cannot open for reading: No such file or directory"),
            (scratch.path, "lsm: \(scratch.path): invalid argument: is a directory, not a log file"),
            (table, "lsm: \(table): not a write-ahead log: the file is a table (use lsm dump)"),
        ]
        for (path, message) in expectations { expectFailure(try walDump([path]), message) }
        let garbage = try walDump([random])
        #expect(garbage.status == 1)
        #expect(garbage.err.hasPrefix("lsm: \(random): ") && garbage.err.filter { $0 == "\n" }.count == 1)

        // The manifest shares the log framing, but its records are not write batches, named or not.
        let manifestPath = db + "/" + info.manifestName
        let manifest = try walDump([manifestPath])
        #expect(manifest.status == 1 && manifest.out == "")
        #expect(manifest.err == "lsm: \(manifestPath): not a write-ahead log: the file is a manifest (a log of version "
                + "edits)\n")
        let renamed = scratch.file("000009.wal")
        try Scratch.write(try Scratch.read(manifestPath), to: renamed)
        let disguised = try walDump([renamed])
        #expect(disguised.status == 1)
        #expect(disguised.err == "lsm: \(renamed): not a write-ahead log: the file is a manifest (a log of version "
                + "edits)\n")

        // A database's log holds only its header until the first write: an empty log.
        let live = try #require(info.logs.last)
        let empty = try walDump([db + "/" + live.name])
        #expect(live.size == 44 && empty.status == 0)
        #expect(empty.out.hasPrefix("--- Dumping WAL: \(db)/\(live.name) ---\nLog format 2: database "))
        #expect(empty.out.hasSuffix("\n--- 0 records, 0 operations, 44 bytes ---\n"))
        let truncated = scratch.file("000010.wal")
        try Scratch.write([], to: truncated)
        let zero = try walDump([truncated])
        #expect(zero.status == 0 && zero.out.hasSuffix("--- 0 records, 0 operations, 0 bytes ---\n"))
    }

    @Test func usageErrorsAreRejectedByTheParser() {
        for arguments in [[], ["a.wal", "--width", "wide"], ["a.wal", "b.wal"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try WALDumpCommand.parse(arguments) }
        }
    }

    @Test(arguments: ["9223372036854775807", "1", "-4"])
    func outOfRangeWidthExitsTwo(width: String) throws {
        let run = try walDump(["/nonexistent/000001.wal", "--width", width])
        #expect(run.status == 2)
        #expect(run.out == "")
        #expect(run.err == "lsm wal-dump: --width must be 0 or 4...262146, got \(width)\n")
    }
}
