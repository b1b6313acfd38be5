#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Testing
@testable import LSM

/// Failures of the disk under the write path: a log fsync that fails, a full disk in the middle of a log append,
/// and a sweep failing each I/O operation of a write-heavy run in turn. Whatever fails, no write that was
/// acknowledged may be lost, a failed write must never be reported as a success, and the database must stay readable
/// and recover to a prefix of its history made of whole batches.
@Suite struct WritePathFaultTests {
    // MARK: A failed log fsync

    @Test(arguments: [false, true], [false, true])
    func failedLogSyncFailsTheWriteStopsLaterWritesAndLosesNothingAcknowledged(batch: Bool, crash: Bool) throws {
        var options = Options()
        options.blockSize = 256
        let fixture = CrashFixture("syncfault", options: options)
        defer { fixture.remove() }
        let fs = fixture.fileSystem
        let db = try fixture.openDatabase()
        var history = WriteHistory()
        for i in 0..<20 { try history.perform(db, [("t\(i)".bytes, "table \(i)".bytes)], sync: i % 5 == 0) }
        try db.flush()
        for i in 0..<10 { try history.perform(db, [("m\(i)".bytes, "memtable \(i)".bytes)]) }
        try history.perform(db, [("t3".bytes, nil), ("m4".bytes, "rewritten".bytes)], sync: true)
        try history.perform(db, [("m7".bytes, nil)])

        let syncsBefore = fs.operationCount(.sync)
        fs.injectFault(.init(kind: .sync))
        let failing: [([UInt8], [UInt8]?)] = batch
            ? [("f1".bytes, "failed".bytes), ("t5".bytes, nil), ("m1".bytes, "failed".bytes)]
            : [("f1".bytes, "failed".bytes)]
        let error = try #require(throws: LSMError.self) { try history.perform(db, failing, sync: true) }
        #expect(error.code == .ioError, "the failed fsync is reported as itself: \(error)")
        #expect(fs.operationCount(.sync) == syncsBefore + 1, "the write's fsync was tried once")

        // The fault fired once and is gone, so a retried fsync would succeed: every later write must still fail.
        let laterWrites: [(String, () throws -> Void)] = [
            ("synced put", { try db.put("after".bytes, "x".bytes, sync: true) }),
            ("put", { try db.put("after".bytes, "x".bytes) }),
            ("delete", { try db.delete("t1".bytes, sync: true) }),
            ("batch", {
                var later = WriteBatch()
                later.put("after".bytes, "x".bytes)
                try db.write(later, sync: true)
            }),
            ("flush", { try db.flush() }),
        ]
        for (what, write) in laterWrites {
            let later = try #require(throws: LSMError.self, "\(what) after a failed log fsync") { try write() }
            #expect(later.code == .backgroundError, "\(what): \(later)")
            #expect(later.message.contains("writes stopped after a log failure"), "\(what): \(later.message)")
            #expect(later.message.contains("injected sync failure"), "\(what) names the cause: \(later.message)")
        }
        #expect(fs.operationCount(.sync) == syncsBefore + 1, "no fsync was retried")

        // Reads go on and see exactly the acknowledged writes.
        try expectReads(db, match: history.acknowledged, "after the failed fsync")
        #expect(try reverseContents(db) == history.acknowledged, "reverse cursor after the failed fsync")
        #expect(try db.get("f1".bytes) == nil, "the failed write is not readable")

        let reopened: Database
        if crash {
            reopened = try fixture.crashAndReopen(db)
        } else {
            try db.close()
            #expect(fs.operationCount(.sync) == syncsBefore + 1, "close did not retry the failed fsync")
            reopened = try fixture.openDatabase()
        }
        let recovered = try databaseContents(reopened)
        if crash {
            // Power loss may take the unsynced write acknowledged after the last synced one, but nothing before it.
            #expect(
                history.isPowerLossOutcome(recovered),
                "the database after power loss holds every synced write and all or none of the failed one")
        } else {
            #expect(
                recovered == history.acknowledged || recovered == history.attempted,
                "the reopened database holds every acknowledged write and all or none of the failed one")
        }
        try fixture.expectNoOrphanTables(reopened)

        // Reopening clears the stop: writes work again and last.
        var expected = recovered
        try reopened.put("after".bytes, "reopen".bytes, sync: true)
        expected["after".bytes] = "reopen".bytes
        #expect(try databaseContents(reopened) == expected)
        try fixture.expectReopened(reopened, toHold: expected)
    }

    @Test func failedGroupCommitFsyncFailsEveryWriterItCoveredAndNoneIsAcknowledgedAfterIt() throws {
        let fixture = CrashFixture("groupsync")
        defer { fixture.remove() }
        let fs = fixture.fileSystem
        let db = try fixture.openDatabase()
        let writerCount = 4
        let writesPerWriter = 40
        // Each writer makes synced puts of its own keys and records, per write, nil (acknowledged) or the error.
        let outcomes = Locked([[LSMError?]](repeating: [], count: writerCount))
        fs.injectFault(.init(kind: .sync, afterCount: 15))
        DispatchQueue.concurrentPerform(iterations: writerCount) { writer in
            var mine: [LSMError?] = []
            for i in 0..<writesPerWriter {
                do throws(LSMError) {
                    try db.put("g\(writer)-\(i)".bytes, "value \(i)".bytes, sync: true)
                    mine.append(nil)
                } catch {
                    mine.append(error)
                }
            }
            outcomes.withLock { $0[writer] = mine }
        }
        let results = outcomes.withLock { $0 }
        let errors = results.flatMap { $0.compactMap { $0 } }
        #expect(errors.contains { $0.code == .ioError }, "the writers whose fsync failed were told so")
        #expect(errors.allSatisfy { $0.code == .ioError || $0.code == .backgroundError }, "\(errors)")
        var acknowledged: ModelState = [:]
        var attempted = Set<[UInt8]>()
        for (writer, outcome) in results.enumerated() {
            let firstFailure = try #require(outcome.firstIndex { $0 != nil }, "writer \(writer) never failed")
            #expect(
                outcome[firstFailure...].allSatisfy { $0 != nil },
                "writer \(writer) had a write acknowledged after a failure")
            for (i, error) in outcome.enumerated() {
                attempted.insert("g\(writer)-\(i)".bytes)
                if error == nil { acknowledged["g\(writer)-\(i)".bytes] = "value \(i)".bytes }
            }
        }
        try expectReads(db, match: acknowledged, "after the failed group fsync")

        fs.clearFaults()
        let recovered = try fixture.crashAndReopen(db)
        let contents = try databaseContents(recovered)
        #expect(acknowledged.allSatisfy { contents[$0.key] == $0.value }, "an acknowledged synced write was lost")
        #expect(contents.keys.allSatisfy { attempted.contains($0) }, "the database holds a key never written")
        try recovered.close()
    }

    // MARK: A full disk during a log append

    @Test(arguments: [false, true], [false, true])
    func fullDiskDuringALogAppendFailsTheWriteAndRecoversEveryAcknowledgedWrite(shortWrite: Bool, crash: Bool) throws {
        var options = Options()
        options.blockSize = 256
        let fixture = CrashFixture("enospc", options: options)
        defer { fixture.remove() }
        let fs = fixture.fileSystem
        let db = try fixture.openDatabase()
        var history = WriteHistory()
        for i in 0..<30 { try history.perform(db, [("t\(i)".bytes, "table \(i)".bytes)]) }
        try db.flush()
        for i in 0..<10 { try history.perform(db, [("m\(i)".bytes, "memtable \(i)".bytes)]) }
        try history.perform(db, [("t4".bytes, nil), ("m2".bytes, "batched".bytes), ("b".bytes, "batched".bytes)])
        try history.perform(db, [("t9".bytes, nil)], sync: true)

        // The disk stays full until the faults are cleared.
        fs.injectFault(.init(kind: .write, errno: ENOSPC, repeats: true, shortWrite: shortWrite))
        let value = [UInt8](repeating: 0x5A, count: 300)
        let error = try #require(throws: LSMError.self) {
            try history.perform(db, [("full".bytes, value), ("t7".bytes, nil)])
        }
        #expect(error.code == .noSpace, "\(error)")
        #expect(error.errno == ENOSPC)
        try expectReads(db, match: history.acknowledged, "after the full disk")
        #expect(throws: LSMError.self, "a write while the disk is full") {
            try db.put("while full".bytes, "x".bytes, sync: true)
        }
        try expectReads(db, match: history.acknowledged, "after a second write to the full disk")

        // Space is freed. A write now either fails or, if it is acknowledged, must survive everything below.
        fs.clearFaults()
        var acknowledged = history.acknowledged
        if (try? db.put("retry".bytes, "after space was freed".bytes, sync: true)) != nil {
            acknowledged["retry".bytes] = "after space was freed".bytes
        }
        try expectReads(db, match: acknowledged, "after space was freed")

        let reopened = try crash ? fixture.crashAndReopen(db) : fixture.reopen(db)
        #expect(try databaseContents(reopened) == acknowledged, "every acknowledged write, none of the failed one")
        try fixture.expectNoOrphanTables(reopened)

        // The database takes new writes, in the memtable, in tables and across another reopen.
        var expected = acknowledged
        for i in 0..<40 {
            try reopened.put("new\(i)".bytes, "after the full disk \(i)".bytes, sync: i == 39)
            expected["new\(i)".bytes] = "after the full disk \(i)".bytes
        }
        try reopened.flush()
        var batch = WriteBatch()
        batch.put("full".bytes, value)
        batch.delete("new3".bytes)
        try reopened.write(batch)
        expected["full".bytes] = value
        expected["new3".bytes] = nil
        try expectReads(reopened, match: expected, "new writes")
        let again = try fixture.reopen(reopened)
        try expectReads(again, match: expected, "new writes after another reopen")
        try again.close()
    }

    // MARK: Every operation of the write path failing in turn

    @Test(arguments: CrashSimulatingFileSystem.Operation.allCases)
    func failingAnyOperationOfTheWritePathLosesNoAcknowledgedWrite(kind: CrashSimulatingFileSystem.Operation) throws {
        let clean = try faultScenario(kind: kind, faultAt: nil)
        #expect(clean.failure == nil, "\(kind): a run with no fault fails: \(String(describing: clean.failure))")
        // Fail the k-th operation of this kind, for every k until the scenario no longer reaches it (background
        // work makes the count vary a little from run to run, so the clean count only bounds the sweep).
        var k = 0
        while try faultScenario(kind: kind, faultAt: k).fired {
            k += 1
            if k > 2 * clean.operations + 100 {
                Issue.record("\(kind): still firing after \(k) operations; a clean run made \(clean.operations)")
                break
            }
        }
        if kind != .rename {
            // Renames happen only when a new manifest starts, which this scenario is too small to need.
            #expect(k > 0, "the scenario makes no \(kind) operation")
        }
    }
}

// MARK: Scenario

/// The sweep's write-heavy run: tiny memtables and a low compaction trigger make it switch logs, flush and compact
/// many times over a few hundred writes.
private let scenarioWrites = faultScenarioWrites()

private var scenarioOptions: Options {
    var options = Options()
    options.memtableSize = 2048
    options.blockSize = 256
    options.maxImmutableMemtables = 1
    options.level0CompactionTrigger = 2
    options.level1MaxBytes = 8 << 10
    options.targetFileSize = 4 << 10
    return options
}

/// One write of the scenario: its entries (nil value: deletion) and whether it asks for an fsync.
private struct ScenarioWrite: Sendable {
    var entries: [([UInt8], [UInt8]?)]
    var sync: Bool
}

/// Puts, deletes and small batches over a shared key space, a fifth of them synced; every value names its write,
/// so each write changes the state in a way no other write does.
private func faultScenarioWrites() -> [ScenarioWrite] {
    var random = SplitMix64(seed: 0xFA17)
    var writes: [ScenarioWrite] = []
    for n in 0..<240 {
        func key() -> [UInt8] { "key\(Int.random(in: 0..<50, using: &random))".bytes }
        func value() -> [UInt8] {
            "w\(n) ".bytes + [UInt8](repeating: UInt8(ascii: "v"), count: Int.random(in: 0...60, using: &random))
        }
        let sync = Int.random(in: 0..<5, using: &random) == 0
        switch Int.random(in: 0..<100, using: &random) {
        case ..<15:
            writes.append(ScenarioWrite(entries: [(key(), nil)], sync: sync))
        case ..<30:
            let entries = (0..<Int.random(in: 2...5, using: &random)).map { i -> ([UInt8], [UInt8]?) in
                i == 1 ? (key(), nil) : (key(), value())
            }
            writes.append(ScenarioWrite(entries: [("batch\(n)".bytes, "whole".bytes)] + entries, sync: sync))
        default:
            writes.append(ScenarioWrite(entries: [(key(), value())], sync: sync))
        }
    }
    return writes
}

/// Runs the scenario with the `faultAt`-th later operation of `kind` failing (none when nil) until a write fails,
/// checks that reads still see every acknowledged write, loses power, reopens and checks that the database holds a
/// prefix of the writes reaching at least the last synced acknowledged one, with no orphan table. Returns the
/// operations of `kind` the run made, whether the fault fired and the write error, if any.
private func faultScenario(
    kind: CrashSimulatingFileSystem.Operation, faultAt: Int?
) throws -> (operations: Int, fired: Bool, failure: LSMError?) {
    let fixture = CrashFixture("writepath", options: scenarioOptions)
    defer { fixture.remove() }
    let fs = fixture.fileSystem
    let label = "\(kind) failure at \(faultAt.map(String.init) ?? "none")"
    let db = try fixture.openDatabase()
    let before = fs.operationCount(kind)
    if let faultAt { fs.injectFault(.init(kind: kind, afterCount: faultAt, shortWrite: true)) }
    var history = WriteHistory()
    var failure: LSMError?
    for write in scenarioWrites {
        do {
            try history.perform(db, write.entries, sync: write.sync)
        } catch {
            failure = error
            break
        }
    }
    db.waitForBackgroundWork()
    let operations = fs.operationCount(kind) - before
    let fired = faultAt.map { operations > $0 } ?? false
    fs.clearFaults()

    if faultAt == nil {
        let statistics = try db.statistics()
        #expect(statistics.flushCount >= 5 && statistics.compactionCount >= 1, "the scenario flushes and compacts")
    }
    // A failed log write, flush or compaction leaves the previous version and the memtables readable.
    try expectReads(db, match: history.acknowledged, "\(label), before the crash")

    let recovered = try fixture.crashAndReopen(db)
    let contents = try databaseContents(recovered)
    #expect(
        history.isPowerLossOutcome(contents),
        """
        \(label): the recovered state is not the state after whole writes from the last synced one (write \
        \(history.lastSynced)) to the last attempted one (write \(history.states.count - 1))
        """)
    try fixture.expectNoOrphanTables(recovered)
    try recovered.close()
    return (operations, fired, failure)
}

// MARK: Helpers


/// Every key of `model` reads back with `get`, and a forward cursor yields exactly `model`.
private func expectReads(_ db: Database, match model: ModelState, _ label: String) throws {
    #expect(try databaseContents(db) == model, "cursor, \(label)")
    var mismatches = 0
    for (key, value) in model where try db.get(key) != value { mismatches += 1 }
    #expect(mismatches == 0, "get, \(label)")
}

/// Everything the database holds, read with a reverse cursor.
private func reverseContents(_ db: Database) throws -> ModelState {
    var contents: ModelState = [:]
    let cursor = try db.cursor(reverse: true)
    while let (key, value) = try cursor.next() { contents[key] = value }
    return contents
}
