import LSM
import Testing
@testable import LSMTools

/// `lsm wal-dump`: exact output for a known log, a torn tail (exit 0), damage in the middle (exit 1 with the
/// offset), and files that are not logs.
@Suite struct WALDumpCommandTests {
    /// A closed database whose log holds three records (26, 24 and 34 bytes): a put, a delete, and a batch of
    /// three operations.
    private static func makeLog(in scratch: InspectionScratch) throws -> String {
        let path = scratch.file("db")
        let db = try Database.open(path)
        try db.put("a", "1")
        try db.delete("b")
        var batch = WriteBatch()
        batch.put("c", "3")
        batch.put([0x00, 0xFF], [])
        batch.delete("e")
        try db.write(batch)
        try db.close()
        let logs = try Database.info(at: path).logs
        try #require(logs.count == 1)
        return path + "/" + logs[0].name
    }

    private func walDump(_ arguments: [String]) throws -> ToolRun {
        let command = try WALDumpCommand.parse(arguments)
        return ToolRun { out, err in command.execute(out: out, err: err) }
    }

    private static let records = """
        @0 seq 1 PUT    a | 1
        @26 seq 2 DELETE b
        @50 batch of 3 operations, seq 3...5
            seq 3 PUT    c | 3
            seq 4 PUT    "\\x00\\xff" | ""
            seq 5 DELETE e

        """

    @Test func printsEachRecordWithOffsetSequenceAndOperations() throws {
        let scratch = try InspectionScratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        let run = try walDump([log])
        #expect(run.status == 0 && run.err == "")
        #expect(run.out == "--- Dumping WAL: \(log) ---\n" + Self.records
                + "--- 3 records, 5 operations, 84 bytes ---\n")

        let hex = try walDump([log, "--hex"])
        #expect(hex.out.contains("@0 seq 1 PUT    61 | 31\n") && hex.out.contains("seq 4 PUT    00ff | \"\"\n"))
    }

    @Test func aTornTailIsReportedAndExitsZero() throws {
        let scratch = try InspectionScratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        let bytes = try InspectionScratch.read(log)
        try InspectionScratch.write(Array(bytes.dropLast(3)), to: log)
        let run = try walDump([log])
        #expect(run.status == 0 && run.err == "")
        #expect(run.out == """
            --- Dumping WAL: \(log) ---
            @0 seq 1 PUT    a | 1
            @26 seq 2 DELETE b
            Torn tail at offset 50: record of 25 bytes runs past the end of the file (a write cut short by a crash, \
            never acknowledged)
            --- 2 records, 2 operations, 81 bytes ---

            """)
    }

    @Test func damageInTheMiddleIsReportedWithItsOffsetAndExitsOne() throws {
        let scratch = try InspectionScratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        try InspectionScratch.flip(log, at: 26 + 9 + 3)
        let run = try walDump([log])
        #expect(run.status == 1)
        #expect(run.out == "--- Dumping WAL: \(log) ---\n@0 seq 1 PUT    a | 1\n")
        #expect(run.err == "lsm: \(log): corruption: log record: checksum mismatch at offset 26\n")
    }

    /// Damage to any payload byte before the last record is corruption; to the last record (but its length), a
    /// torn tail; never a crash, and always one line on error.
    @Test func everyFlippedByteIsReportedCleanly() throws {
        let scratch = try InspectionScratch()
        defer { scratch.remove() }
        let log = try Self.makeLog(in: scratch)
        let bytes = try InspectionScratch.read(log)
        for offset in 0..<bytes.count {
            var damaged = bytes
            damaged[offset] ^= 0x08
            try InspectionScratch.write(damaged, to: log)
            let run = try walDump([log])
            let payloadOfEarlierRecord = (9..<26).contains(offset) || (35..<50).contains(offset)
            if payloadOfEarlierRecord {
                #expect(run.status == 1 && run.err.hasPrefix("lsm: \(log): corruption:"), "flip at \(offset)")
            } else if offset >= 50 && !(54..<58).contains(offset) {
                // (A damaged length of the last record may make it end early, before bytes that are not zeros.)
                #expect(run.status == 0 && run.out.contains("Torn tail at offset 50:"), "flip at \(offset)")
            }
            #expect(run.status == 0 ? run.err.isEmpty : run.err.filter { $0 == "\n" }.count == 1, "flip at \(offset)")
        }
    }

    @Test func filesThatAreNotLogsExitOne() throws {
        let scratch = try InspectionScratch()
        defer { scratch.remove() }
        let db = scratch.file("db")
        let database = try Database.open(db)
        try database.put("k", "v")
        try database.flush()
        try database.close()
        let info = try Database.info(at: db)
        let table = db + "/" + info.levels[0].tables[0].name
        let missing = scratch.file("missing.wal")
        let random = scratch.file("random.wal")
        var generator = SystemRandomNumberGenerator()
        try InspectionScratch.write((0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) }, to: random)

        let expectations: [(String, String)] = [
            (missing, "lsm: \(missing): I/O error: cannot open for reading: No such file or directory"),
            (scratch.path, "lsm: \(scratch.path): invalid argument: is a directory, not a log file"),
            (table, "lsm: \(table): not a write-ahead log: the file is a table (use lsm dump)"),
        ]
        for (path, message) in expectations {
            let run = try walDump([path])
            #expect(run.status == 1 && run.out == "" && run.err == message + "\n")
        }
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
        try InspectionScratch.write(try InspectionScratch.read(manifestPath), to: renamed)
        let disguised = try walDump([renamed])
        #expect(disguised.status == 1)
        #expect(disguised.err.hasPrefix("lsm: \(renamed): corruption: write batch "))
        #expect(disguised.err.hasSuffix(" at offset 0\n"))

        // A database's log is empty until the first write: an empty file is an empty log.
        let live = try #require(info.logs.last)
        let empty = try walDump([db + "/" + live.name])
        #expect(live.size == 0 && empty.status == 0)
        #expect(empty.out == "--- Dumping WAL: \(db)/\(live.name) ---\n--- 0 records, 0 operations, 0 bytes ---\n")
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
