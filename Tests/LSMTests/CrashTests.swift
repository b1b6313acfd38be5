#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Testing
@testable import LSM

/// Durability under crashes: torn log tails, unsynced data lost to power failure, batches across a crash, and
/// failures in the middle of a flush or of recovery. After every crash the database must open, hold every synced
/// write, and hold exactly the writes of some prefix of its history.
@Suite struct CrashTests {
    // MARK: Torn log tails

    @Test func logCutAtEveryByteOfItsLastRecordsRecoversExactlyTheWholeRecords() throws {
        let dir = TemporaryDirectory("walcut")
        defer { dir.remove() }
        var history = WriteHistory()
        let db = try Database.open(dir.path)
        for i in 0..<20 { try history.put(db, "t\(i)", "table-\(i)") }
        try db.flush()
        let writesInTables = history.writeCount
        for i in 0..<7 { try history.put(db, "w\(i)", "log-\(i)") }
        var batch = WriteBatch()
        var staged = history.attempted
        for i in 0..<6 {
            batch.put(Array("b\(i)".utf8), Array("batch-\(i)".utf8))
            staged[Array("b\(i)".utf8)] = Array("batch-\(i)".utf8)
        }
        batch.delete(Array("t3".utf8))
        staged[Array("t3".utf8)] = nil
        try history.write(db, batch, giving: staged)
        try history.delete(db, "w2")
        try history.put(db, [0x00, 0xFF], [UInt8](repeating: 0xAB, count: 100))
        // The files as a crash would leave them: copied while the database is open (a clean close records the
        // log's final size, and then only its last record may be found torn).
        let image = TemporaryDirectory("walcut-image")
        defer { image.remove() }
        try copyDatabase(from: dir.path, to: image.path)
        try db.close()

        let fs = PosixFileSystem()
        let logs = try fs.listDirectory(image.path).filter { $0.hasSuffix(".wal") }
        try #require(logs.count == 1, "no flush since the first leaves one log")
        let log = try fs.readWholeFile(image.appending(logs[0]))
        let ends = try #require(recordEnds(log))
        try #require(ends.count == history.writeCount - writesInTables, "one record per write since the flush")

        let firstCut = ends[ends.count - 4]
        // Every cut within the last records, and the whole file with the zeros of the space it reserved.
        let recordsEnd = ends[ends.count - 1]
        for cut in Array(firstCut...recordsEnd) + (log.count > recordsEnd ? [log.count] : []) {
            let copy = TemporaryDirectory("walcut-copy")
            defer { copy.remove() }
            try copyDatabase(from: image.path, to: copy.path, cutting: logs[0], at: cut)
            let whole = ends.filter { $0 <= cut }.count
            let expected = history.states[writesInTables + whole]
            let recovered = try Database.open(copy.path)
            #expect(try databaseContents(recovered) == expected, "cut at byte \(cut) of \(log.count)")
            if (cut - firstCut) % 16 == 0 {
                // New writes after a torn tail must not be lost behind it.
                try recovered.put(Array("after".utf8), Array("\(cut)".utf8), sync: true)
                try recovered.close()
                let again = try Database.open(copy.path)
                var withMarker = expected
                withMarker[Array("after".utf8)] = Array("\(cut)".utf8)
                #expect(try databaseContents(again) == withMarker, "reopen after cut at byte \(cut)")
                try again.close()
            } else {
                try recovered.close()
            }
        }
    }

    // MARK: Power loss

    @Test func powerLossKeepsEverySyncedWriteAndAPrefixOfTheRest() throws {
        var options = Options()
        options.memtableSize = 1024
        options.blockSize = 256
        options.maxImmutableMemtables = 1
        let fixture = CrashFixture("powerloss", options: options)
        defer { fixture.remove() }
        var random = SplitMix64(seed: 11)
        var db = try fixture.openDatabase()
        var model: ModelState = [:]
        for cycle in 0..<9 {
            var history = WriteHistory(state: model)
            for _ in 0..<Int.random(in: 50...250, using: &random) {
                let key = Array("key\(Int.random(in: 0..<60, using: &random))".utf8)
                let sync = Int.random(in: 0..<10, using: &random) < 3
                if Int.random(in: 0..<100, using: &random) < 15 {
                    try history.delete(db, key, sync: sync)
                } else {
                    let value = (0..<Int.random(in: 0...100, using: &random)).map { _ in
                        UInt8.random(in: 0...255, using: &random)
                    }
                    try history.put(db, key, value, sync: sync)
                }
            }
            switch cycle % 3 {
            case 0:
                // A flush makes everything before it durable.
                try db.flush()
                history.lastSynced = history.writeCount
            case 1:
                try waitForFlushes(db)
            default:
                break  // Power fails wherever the background flush is.
            }
            db = try fixture.crashAndReopen(db)
            let recovered = try databaseContents(db)
            #expect(history.isPowerLossOutcome(recovered), "cycle \(cycle): recovered state is not a prefix holding every synced write")
            try fixture.expectNoOrphanTables(db)
            model = recovered
        }
        try fixture.expectReopened(db, toHold: model)
    }

    @Test func syncLogMakesEveryEarlierUnsyncedWriteSurvivePowerLoss() throws {
        var options = Options()
        options.memtableSize = 2048
        let fixture = CrashFixture("synclog", options: options)
        defer { fixture.remove() }
        var db = try fixture.openDatabase()
        var model: ModelState = [:]
        for round in 0..<4 {
            for i in 0..<40 {
                let key = Array("r\(round)-\(i)".utf8)
                let value = [UInt8](repeating: UInt8(i), count: 30)
                try db.put(key, value)
                model[key] = value
            }
            try db.syncLog()
            // Written after the sync: power loss may take these, and nothing before them.
            try db.put(Array("after-\(round)".utf8), [1])
            db = try fixture.crashAndReopen(db)
            let recovered = try databaseContents(db)
            for (key, value) in model {
                #expect(recovered[key] == value, "round \(round): \(String(decoding: key, as: UTF8.self)) lost")
            }
            model = recovered
        }
        // Nothing unsynced: a second call has nothing to sync and still succeeds.
        try db.syncLog()
        try db.syncLog()
        try db.close()
    }

    @Test func syncLogConcurrentWithWritesKeepsEveryWriteThatReturnedBeforeIt() throws {
        let fixture = CrashFixture("synclog-concurrent", options: Options())
        defer { fixture.remove() }
        var db = try fixture.openDatabase()
        let synced = Locked<[[UInt8]]>([])
        let writer = db
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<200 {
                let key = Array("t\(thread)-\(i)".utf8)
                do {
                    try writer.put(key, key)
                    if i % 10 == 9 { try writer.syncLog() }
                } catch {
                    Issue.record("write failed: \(error)")
                }
                // Each key is synced by the call that follows it, in the same thread.
                if i < 190 { synced.withLock { $0.append(key) } }
            }
        }
        db = try fixture.crashAndReopen(db)
        let recovered = try databaseContents(db)
        for key in synced.withLock({ $0 }) {
            #expect(recovered[key] == key, "\(String(decoding: key, as: UTF8.self)) lost")
        }
        try db.close()
    }

    // MARK: Batches

    @Test func bigUnsyncedBatchesSurvivePowerLossWholeOrNotAtAll() throws {
        var options = Options()
        options.memtableSize = 8192
        options.blockSize = 256
        let fixture = CrashFixture("batchcrash", options: options)
        defer { fixture.remove() }
        var random = SplitMix64(seed: 23)
        var db = try fixture.openDatabase()
        var model: ModelState = [:]
        for trial in 0..<6 {
            var history = WriteHistory(state: model)
            for batchNumber in 0..<Int.random(in: 1...6, using: &random) {
                let sync = trial % 2 == 1 && batchNumber == 1
                try history.perform(db, randomBatch(&random, tag: "\(trial).\(batchNumber)"), sync: sync)
            }
            db = try fixture.crashAndReopen(db)
            let recovered = try databaseContents(db)
            #expect(history.isPowerLossOutcome(recovered), "trial \(trial): recovered state is not a whole number of batches")
            model = recovered
        }
        try db.close()
    }

    @Test func bigBatchCutAnywhereInTheLogIsRecoveredWholeOrNotAtAll() throws {
        let dir = TemporaryDirectory("batchcut")
        defer { dir.remove() }
        var random = SplitMix64(seed: 31)
        var history = WriteHistory()
        let db = try Database.open(dir.path)
        for batchNumber in 0..<5 { try history.perform(db, randomBatch(&random, tag: "\(batchNumber)")) }
        // The files as a crash would leave them (see above).
        let image = TemporaryDirectory("batchcut-image")
        defer { image.remove() }
        try copyDatabase(from: dir.path, to: image.path)
        try db.close()

        let fs = PosixFileSystem()
        let logs = try fs.listDirectory(image.path).filter { $0.hasSuffix(".wal") }
        try #require(logs.count == 1)
        let log = try fs.readWholeFile(image.appending(logs[0]))
        let ends = try #require(recordEnds(log))
        try #require(ends.count == 5)
        // The file header is synced before the manifest records the log, so a crash never cuts into it: a cut
        // there is damage, which an open refuses without changing anything.
        let header = RecordFileHeader.encodedLength
        for cut in [0, 1, header - 1] {
            let copy = TemporaryDirectory("batchcut-copy")
            defer { copy.remove() }
            try copyDatabase(from: image.path, to: copy.path, cutting: logs[0], at: cut)
            let before = Set(try fs.listDirectory(copy.path))
            let error = #expect(throws: LSMError.self) { try Database.open(copy.path) }
            #expect(error?.code == .corruption, "cut at byte \(cut)")
            #expect(Set(try fs.listDirectory(copy.path)) == before.union([FileNames.lock]))
        }
        var cuts = Set([header, log.count])
        for end in ends { cuts.formUnion([end - 1, end, end + 1, end - RecordFileFormat.version2.recordHeaderSize]) }
        while cuts.count < 60 { cuts.insert(Int.random(in: header...ends[ends.count - 1], using: &random)) }
        for cut in cuts.sorted() where cut >= header && cut <= log.count {
            let copy = TemporaryDirectory("batchcut-copy")
            defer { copy.remove() }
            try copyDatabase(from: image.path, to: copy.path, cutting: logs[0], at: cut)
            let recovered = try Database.open(copy.path)
            let whole = ends.filter { $0 <= cut }.count
            #expect(try databaseContents(recovered) == history.states[whole], "cut at byte \(cut) of \(log.count)")
            try recovered.close()
        }
    }

    // MARK: Failures during a flush and during recovery

    @Test(arguments: CrashSimulatingFileSystem.Operation.allCases)
    func powerLossAfterAFailureInTheMiddleOfAFlush(kind: CrashSimulatingFileSystem.Operation) throws {
        let complete = try flushScenario(kind: kind, faultAt: nil)
        #expect(!complete.failed)
        // Fail each operation of this kind the flush makes in turn. Only a failure to delete the flushed memtable's
        // log is harmless (the next open deletes it); any other must be reported.
        for k in 0..<complete.operations {
            let run = try flushScenario(kind: kind, faultAt: k)
            #expect(run.failed == (kind != .remove), "\(kind) failure at \(k) of \(complete.operations)")
        }
    }

    @Test(arguments: CrashSimulatingFileSystem.Operation.allCases)
    func powerLossAfterAFailureDuringRecovery(kind: CrashSimulatingFileSystem.Operation) throws {
        // A crashed database with a table and three synced batches in its log, for each attempt to recover a copy of.
        var options = Options()
        options.blockSize = 256
        let crashed = CrashFixture("crashed", options: options)
        defer { crashed.remove() }
        var history = WriteHistory()
        let db = try crashed.openDatabase()
        try writeTableAndMemtable(db, &history)
        try crashed.losePower(abandoning: db)

        /// Opens a copy with the `faultAt`-th operation of `kind` failing, loses power, opens it again and checks
        /// it; returns the operations of `kind` the first open made.
        func recover(faultAt: Int?) throws -> Int {
            let copy = CrashFixture("recovering", options: crashed.options)
            defer { copy.remove() }
            try copyDatabase(from: crashed.path, to: copy.path)
            if let faultAt { copy.fileSystem.injectFault(.init(kind: kind, afterCount: faultAt, shortWrite: true)) }
            let opened = try? copy.openDatabase()
            let operations = copy.fileSystem.operationCount(kind)
            copy.fileSystem.clearFaults()
            try copy.losePower(abandoning: opened)
            let recovered = try copy.openDatabase()
            #expect(try databaseContents(recovered) == history.attempted, "\(kind) failure at \(faultAt ?? -1)")
            try copy.expectNoOrphanTables(recovered)
            try recovered.close()
            return operations
        }

        let operations = try recover(faultAt: nil)
        #expect(operations > 0, "recovery makes no \(kind) operation")
        for k in 0..<operations { _ = try recover(faultAt: k) }
    }

    /// Builds a database with a flushed table and synced batches in its memtable, flushes it with the `faultAt`-th
    /// operation of `kind` failing (none when nil), loses power, and checks that the database opens with every
    /// write, no orphan table, and takes and keeps new writes. Returns how many operations of `kind` the flush
    /// made and whether it threw.
    private func flushScenario(
        kind: CrashSimulatingFileSystem.Operation, faultAt: Int?
    ) throws -> (operations: Int, failed: Bool) {
        var options = Options()
        options.blockSize = 256
        let fixture = CrashFixture("flushfault", options: options)
        defer { fixture.remove() }
        let fs = fixture.fileSystem
        var history = WriteHistory()
        let db = try fixture.openDatabase()
        try writeTableAndMemtable(db, &history)

        let before = fs.operationCount(kind)
        if let faultAt { fs.injectFault(.init(kind: kind, afterCount: faultAt, shortWrite: true)) }
        var failed = false
        do { try db.flush() } catch { failed = true }
        let operations = fs.operationCount(kind) - before
        fs.clearFaults()

        let recovered = try fixture.crashAndReopen(db)
        #expect(try databaseContents(recovered) == history.attempted, "\(kind) failure at \(faultAt ?? -1)")
        try fixture.expectNoOrphanTables(recovered)
        try recovered.put(Array("later".utf8), Array("write".utf8), sync: true)
        var expected = history.attempted
        expected[Array("later".utf8)] = Array("write".utf8)
        try fixture.expectReopened(recovered, toHold: expected, "\(kind) failure at \(faultAt ?? -1), reopened")
        return (operations, failed)
    }
}

// MARK: Helpers

/// A batch of hundreds of entries over a shared key space (so later batches overwrite and delete earlier ones'
/// keys) plus a key of its own, all tagged so a mix of two batches shows.
private func randomBatch(_ random: inout SplitMix64, tag: String) -> [([UInt8], [UInt8]?)] {
    var entries: [([UInt8], [UInt8]?)] = [(Array("batch-\(tag)".utf8), Array(tag.utf8))]
    for _ in 0..<Int.random(in: 100...400, using: &random) {
        let key = Array("shared\(Int.random(in: 0..<500, using: &random))".utf8)
        let value = Int.random(in: 0..<10, using: &random) == 0 ? nil : Array("\(tag)-\(String(repeating: "v", count: Int.random(in: 0...40, using: &random)))".utf8)
        entries.append((key, value))
    }
    return entries
}

/// Ten puts, "n<i>-0" through "n<i>-9", with values long enough to fill several 256-byte blocks.
private func numberedBatch(_ i: Int) -> [([UInt8], [UInt8]?)] {
    (0..<10).map { j in (Array("n\(i)-\(j)".utf8), Array(("value \(i) \(j) " + String(repeating: "x", count: 60)).utf8)) }
}

/// Three synced numbered batches flushed into a table, then three more synced ones left in the memtable (and its
/// log): the database the flush and recovery failures are tried on.
private func writeTableAndMemtable(_ db: Database, _ history: inout WriteHistory) throws {
    for i in 0..<3 { try history.perform(db, numberedBatch(i), sync: true) }
    try db.flush()
    for i in 3..<6 { try history.perform(db, numberedBatch(i), sync: true) }
}

/// The end offset of each record of a log file (format version 2), or nil if its framing does not add up to the
/// file exactly.
/// Where each record of a whole log ends, or nil when the log is not whole; the zeros of the space an open log
/// reserves past its records end it.
private func recordEnds(_ log: [UInt8]) -> [Int]? {
    var ends: [Int] = []
    var offset = RecordFileHeader.encodedLength
    let headerSize = RecordFileFormat.version2.recordHeaderSize
    while offset + headerSize <= log.count, !log[offset...].allSatisfy({ $0 == 0 }) {
        let length = (0..<4).reduce(0) { $0 | Int(log[offset + 4 + $1]) << (8 * $1) }
        offset += headerSize + length
        ends.append(offset)
    }
    return offset == log.count || log[offset...].allSatisfy({ $0 == 0 }) ? ends : nil
}

/// Waits until no memtable is waiting for its flush, so the next crash cannot land in one. A flush that failed
/// would leave its memtable waiting for good, so the wait gives up (and fails the test) after about a minute.
private func waitForFlushes(_ db: Database) throws {
    for _ in 0..<60_000 {
        if try db.statistics().immutableMemtables == 0 { return }
        usleep(1000)
    }
    Issue.record("memtables still waiting for their flush")
}
