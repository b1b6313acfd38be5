import Testing
@testable import LSM

/// The newest log keeps disk space allocated ahead of its records (so a synced append writes data alone): the file
/// reads as its records then zeros while open, recovery takes the zeros as its end, and a log recorded as closed
/// ends exactly at its last record.
@Suite struct LogSpaceReservationTests {
    private static let fs = PosixFileSystem()

    @Test func aFileReservesWholeStepsAheadAndTrimsBackToItsData() throws {
        let dir = TemporaryDirectory("reserve")
        defer { dir.remove() }
        let path = dir.appending("file")
        let file = try Self.fs.openWritable(path, truncate: true)
        file.reserveSpaceAhead(step: 4096)
        let first = [UInt8](repeating: 1, count: 100)
        let second = [UInt8](repeating: 2, count: 5000)
        try file.append(first)
        #expect(try file.size == 100 && Self.fs.fileSize(path) == 4096)
        try file.append(second)
        #expect(try file.size == 5100 && Self.fs.fileSize(path) == 8192)
        #expect(try Self.fs.readWholeFile(path) == first + second + [UInt8](repeating: 0, count: 8192 - 5100))

        #expect(try file.trimReservedSpace())
        #expect(try Self.fs.fileSize(path) == 5100)
        #expect(try !file.trimReservedSpace(), "nothing left to trim")

        let third = [UInt8](repeating: 3, count: 10)
        try file.append(third)
        #expect(try Self.fs.fileSize(path) == 8192, "reserving goes on after a trim")
        try file.close()
        #expect(try Self.fs.readWholeFile(path) == first + second + third, "closing trims")
    }

    /// Synced every few records, a file writes its appends (no page written through the mapping then needs
    /// write-protecting again at each sync); appended long without a sync, it copies into the mapping again. Either
    /// way it reads as its data then zeros, and trims back to its data.
    @Test func syncsCloseTogetherSwitchAppendsToWritesUntilTheyStop() throws {
        let dir = TemporaryDirectory("reserve-dense")
        defer { dir.remove() }
        let path = dir.appending("file")
        let file = try #require(try Self.fs.openWritable(path, truncate: true) as? PosixWritableFile)
        let step: UInt64 = 16 << 10
        file.reserveSpaceAhead(step: step)
        var expected: [UInt8] = []
        func append(_ count: Int, sync: Bool) throws {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: expected.count + $0 + 1) }
            try file.append(bytes)
            expected += bytes
            if sync { try file.sync() }
        }
        func expectContents(_ comment: Comment) throws {
            let onDisk = try Self.fs.fileSize(path)
            #expect(onDisk % step == 0 && onDisk >= UInt64(expected.count), comment)
            let zeros = [UInt8](repeating: 0, count: Int(onDisk) - expected.count)
            #expect(try Self.fs.readWholeFile(path) == expected + zeros, comment)
        }

        try append(100, sync: false)
        #expect(file.lastAppendWasCopied, "not synced yet")
        try append(100, sync: true)
        try append(333, sync: true)
        #expect(!file.lastAppendWasCopied, "synced 200 bytes after opening")
        for _ in 0..<200 { try append(333, sync: true) }
        #expect(!file.lastAppendWasCopied)
        try expectContents("synced in small steps across reserved steps")

        try append(Int(PosixWritableFile.denseSyncSpacing), sync: false)
        try append(333, sync: false)
        #expect(file.lastAppendWasCopied, "no sync for a whole spacing")
        for _ in 0..<100 { try append(333, sync: false) }
        try expectContents("copied into the mapping after writes")
        try append(100, sync: true)
        try append(100, sync: true)
        #expect(file.lastAppendWasCopied, "one sync after a long stretch is not close to the one before")
        try append(100, sync: false)
        #expect(!file.lastAppendWasCopied, "two close syncs")
        try expectContents("written again after copies")

        #expect(try file.trimReservedSpace())
        try file.close()
        #expect(try Self.fs.readWholeFile(path) == expected, "closing trims to the data")
    }

    @Test func anOpenLogEndsInReservedZerosWhichACrashLeavesAndRecoveryTakesAsItsEnd() throws {
        let dir = TemporaryDirectory("reserve-db")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        for i in 0..<50 { try db.put("k\(i)", "v\(i)", sync: i % 10 == 0) }
        let logName = try #require(try Database.info(at: dir.path).logs.last).name
        let logPath = dir.appending(logName)
        let onDisk = try Self.fs.fileSize(logPath)
        #expect(onDisk == Database.logReservationStep, "one step reserved for a small log")

        // The files as kill -9 or a power loss after the last sync leaves them.
        let image = TemporaryDirectory("reserve-image")
        defer { image.remove() }
        try copyDatabase(from: dir.path, to: image.path)
        try db.close()
        let closedSize = try Self.fs.fileSize(logPath)
        #expect(closedSize < onDisk, "a clean close trims the log to its records")

        let report = try Database.check(at: image.path)
        #expect(report.problems.isEmpty && report.warnings.isEmpty, "zeros after the records are no torn tail")
        #expect(report.logBytes == closedSize, "the records' bytes are counted, not the reserved space")
        let recovered = try Database.open(image.path)
        for i in 0..<50 { #expect(try recovered.get("k\(i)") == "v\(i)") }
        try recovered.close()

        let reopened = try Database.open(dir.path)
        #expect(try reopened.get("k49") == "v49")
        try reopened.close()
    }

    @Test func aMemtableSwitchRecordsTheOldLogTrimmedToItsRecords() throws {
        let dir = TemporaryDirectory("reserve-switch")
        defer { dir.remove() }
        // Table creation held: the flush cannot finish, so the old log stays live, recorded as closed.
        let gate = GatedFileSystem()
        gate.hold()
        var options = Options()
        options.memtableSize = 64 << 10
        let db = try Database.open(dir.path, options: options, fileSystem: gate)
        let value = String(repeating: "x", count: 1000)
        var i = 0
        while try Database.info(at: dir.path).logs.count < 2 {
            try db.put("k\(i)", value)
            i += 1
            try #require(i < 1000, "the memtable switched")
        }
        let info = try Database.info(at: dir.path)
        let closed = try #require(info.logs.first)
        let newest = try #require(info.logs.last)
        // The manifest's recorded size is the file's: the reserved space went before the edit.
        #expect(closed.closedSize != nil && closed.size == closed.closedSize)
        #expect(newest.closedSize == nil && newest.size == Database.logReservationStep)
        gate.release(failing: false)
        try db.close()
        let reopened = try Database.open(dir.path)
        #expect(try reopened.get("k0") == value)
        #expect(try reopened.get("k\(i - 1)") == value)
        try reopened.close()
    }

    /// A new log's first append reserves its space (the file becomes a step of zeros) before it writes the log's
    /// header, so kill -9 between the two, in a memtable switch or an open, leaves a log the manifest does not record
    /// that holds nothing but zeros. Nothing was written to it: the open deletes it, as it does an unrecorded log cut
    /// short within its header. Such a database used to be refused ("not a log file of format version 2") and
    /// reported as damaged by `check`.
    @Test func anUnrecordedLogOfReservedZerosAloneIsDeletedAtOpen() throws {
        let dir = TemporaryDirectory("reserve-headerless")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        for i in 0..<10 { try db.put("k\(i)", "v\(i)", sync: true) }
        try db.close()
        let logPath = dir.appending(FileNames.wal(try Database.info(at: dir.path).nextFileNumber))
        try Self.fs.writeSyncedFile(logPath) { (file) throws(LSMError) in
            try file.append([UInt8](repeating: 0, count: Int(Database.logReservationStep)))
        }

        let report = try Database.check(at: dir.path)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.warnings.map(\.path) == [logPath], "the open will delete it")
        let reopened = try Database.open(dir.path)
        for i in 0..<10 { #expect(try reopened.get("k\(i)") == "v\(i)") }
        #expect(!Self.fs.fileExists(logPath))
        try reopened.close()
    }
}
