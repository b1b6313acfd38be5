import LSM
import Testing

@testable import LSMTools

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct StressTests {
    /// Runs `lsm stress` in-process with `arguments`; returns the status and what it printed.
    private func stress(_ arguments: [String]) throws -> ToolRun { try runTool(StressCommand.self, arguments) }

    @Test func shortRunVerifiesReopensAndSummarizes() throws {
        let run = try stress([
            "--ops", "1500", "--threads", "2", "--keys", "200", "--memtable-size", "512", "--seed", "42",
        ])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.isEmpty)
        #expect(run.out.contains("throughput: "))
        #expect(run.out.contains("1,500 operations"))
        for label in ["p50", "p90", "p99", "p99.9", "max"] { #expect(run.out.contains(label)) }
        for operation in ["read", "write", "delete", "scan", "all"] {
            #expect(run.out.split(separator: "\n").contains { $0.hasPrefix(operation + " ") })
        }
        #expect(run.out.contains("reopened and checked 200 keys"))
        #expect(run.out.contains("result: ok"))
        try expectTemporaryDatabaseRemoved(run.out)
    }

    @Test func aCompressedRunVerifiesAndSaysSo() throws {
        let run = try stress(["--ops", "1500", "--threads", "2", "--keys", "200", "--memtable-size", "1024",
                              "--compression", "lz4"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("compression lz4"))
        #expect(run.out.contains("result: ok"))
    }

    /// Under a memory budget the run says so, and reports what the engine held and the process's peak RSS.
    @Test func aRunUnderAMemoryBudgetReportsTheEnginesMemory() throws {
        let run = try stress(["--ops", "3000", "--threads", "2", "--keys", "500", "--memory-budget", "1048576"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("memory budget 1.00 MiB"))
        let memory = try #require(run.out.split(separator: "\n").first { $0.hasPrefix("memory: ") })
        #expect(memory.contains("held by the engine at the end (memtables ") && memory.contains("; peak RSS "))
        #expect(run.out.contains("result: ok"))
    }

    /// Checks that the temporary database directory named on the first line of `out` is gone.
    private func expectTemporaryDatabaseRemoved(_ out: String) throws {
        let firstLine = try #require(out.split(separator: "\n").first)
        let directory = try #require(firstLine.split(separator: "directory ").last)
        #expect(directory.contains("lsm-stress-"))
        #expect(!FileTree.exists(String(directory)))
    }

    @Test func reportIsASelfContainedPageWithCharts() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path
        let reportPath = directory + "/report.html"
        let run = try stress([
            "--ops", "600", "--threads", "2", "--keys", "100", "--memtable-size", "2048", "--mix", "40:40:10:10",
            "--dir", directory + "/db", "--report", reportPath,
        ])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("report: \(reportPath)"))
        let page = String(decoding: try Scratch.read(reportPath), as: UTF8.self)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<svg"))
        for title in [
            StressReport.throughputTitle, StressReport.latencyTitle, StressReport.filesTitle,
            StressReport.bytesTitle,
        ] {
            #expect(page.contains("<h2>\(title)</h2>"))
        }
        #expect(page.contains("<th>mix</th><td>40:40:10:10"))
        #expect(page.contains("<th>p99.9</th>"))
        #expect(!page.contains("<script"))
        #expect(!page.contains("src="))
        #expect(!page.contains("href="))
        // A directory given with --dir is kept.
        #expect(FileTree.entries(directory + "/db")?.contains("CURRENT") == true)
    }

    @Test(arguments: [
        (["--threads", "0"], "--threads must be 1...1024, got 0"),
        (["--value-size", "-5"], "--value-size must be 0...16777216 bytes, got -5"),
        (["--threads", "-2"], "--threads must be 1...1024, got -2"),
        (["--crash-cycles", "-1"], "--crash-cycles must be 1...10000000, got -1"),
        (["--memtable-size", "-1"], "--memtable-size must be 1...1073741824 bytes, got -1"),
        (["--memtable-size", "0"], "--memtable-size must be"),
        (["--memory-budget", "1000"], "--memory-budget must be 1048576...1099511627776 bytes, got 1000"),
        (["--compression", "LZ4"], "--compression must be none or lz4, got LZ4"),
        (["--keys", "0"], "--keys must be"),
        (["--keys", "3", "--threads", "4"], "--keys (3) must be at least --threads (4)"),
        (["--duration", "-1"], "--duration must be more than 0 and at most 10000000 seconds, got -1.0"),
        (["--duration", "nan"], "--duration must be more than 0 and at most 10000000 seconds, got nan"),
        (["--ops", "0"], "--ops must be at least 1, got 0"),
        (["--ops", "-9223372036854775808"], "--ops must be at least 1, got -9223372036854775808"),
        (["--ops", "5", "--duration", "1"], "give --duration or --ops, not both"),
        (["--mix", "50:50"], "--mix must be four numbers"),
        (["--mix", "a:b:c:d"], "--mix must be four numbers"),
        (["--mix", "50:40:10:10"], "add up to 110"),
        (["--mix", "150:-50:0:0"], "each percentage must be 0...100"),
        (["--reads", "60", "--writes", "30"], "add up to 90"),
        (["--reads", "50", "--mix", "50:50:0:0"], "give --mix or --reads/--writes/--deletes/--scans, not both"),
        (["--crash-cycles", "0"], "--crash-cycles must be"),
        (["--crash-cycles", "2", "--threads", "2"], "--threads does not apply to --crash-cycles"),
        (["--crash-cycles", "2", "--report", "x.html"], "--report does not apply to --crash-cycles"),
        (["--expiry-percent", "10"], "--expiry-percent applies only to --crash-cycles"),
        (["--crash-cycles", "2", "--expiry-percent", "101"], "--expiry-percent must be 0...100, got 101"),
        (["--range-delete-percent", "10"], "--range-delete-percent applies only to --crash-cycles"),
        (["--crash-cycles", "2", "--range-delete-percent", "-1"], "--range-delete-percent must be 0...100, got -1"),
        (["--report", ""], "--report needs a file name"),
        (["--report", "/nonexistent-lsm-dir/r.html"],
         "--report /nonexistent-lsm-dir/r.html: /nonexistent-lsm-dir: No such file or directory"),
        (["--report", "/tmp"], "--report /tmp: is a directory, not a file"),
        (["--dir", "/dev/null"], "--dir /dev/null: is a device, not a directory"),
        (["--dir", "/dev/null/a/b"], "--dir /dev/null/a/b: /dev/null: is a device, not a directory"),
        (["--report", "/dev/null/r.html"], "--report /dev/null/r.html: /dev/null: is a device, not a directory"),
    ])
    func badOptionsExitWithStatus2(arguments: [String], message: String) throws {
        expectUsageError(try stress(arguments), of: "stress", containing: message)
    }

    /// A report that cannot be written at the end fails the run and removes the temporary database it made.
    @Test func failedReportRemovesTheTemporaryDatabase() throws {
        let run = try stress(["--ops", "200", "--threads", "1", "--keys", "50", "--report", "/dev/full"])
        #expect(run.status == 1)
        #expect(run.err == "lsm stress: /dev/full: cannot write the report: No space left on device\n")
        try expectTemporaryDatabaseRemoved(run.out)
    }

    /// Workers stopped by a failed write report it once: the first engine error, then a count of the others.
    @Test func engineFailureIsReportedOnce() throws {
        guard try lsmRunsUnderAFileSizeLimit() else { return }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path
        let run = try runShell(
            #"trap "" XFSZ; ulimit -f 64; exec "$0" stress --dir "$1" --threads 4 --ops 1000000 --value-size 4000"#,
            [directory + "/db"])
        #expect(run.status == 1)
        let lines = run.err.split(separator: "\n")
        let failures = lines.filter { $0.contains(" failed: ") }
        #expect(failures.count == 1, "\(run.err)")
        #expect(failures.first?.components(separatedBy: "(file ").count == 2, "\(run.err)")
        #expect(lines.last?.hasPrefix("lsm stress: FAILED after ") == true)
        // The database the run created in the missing --dir is removed: it shows nothing to examine.
        #expect(!FileTree.exists(directory + "/db"))
    }

    @Test func refusesADirectoryThatHoldsFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path
        let fd = open(directory + "/other", O_CREAT | O_WRONLY, 0o644)
        close(fd)
        let run = try stress(["--dir", directory, "--ops", "10"])
        #expect(run.status == 2)
        #expect(run.err.contains("already holds files"))
        #expect(FileTree.entries(directory) == ["other"])
    }

    @Test func workerReportsAWrongValueWithKeyExpectedAndGot() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path
        let database = try Database.open(directory + "/db")
        // Key 3 belongs to thread 0 of 1; the worker never wrote it, yet it holds a value.
        try database.put(StressData.key(3), StressData.value(key: 3, version: 99, size: 20))
        var config = StressConfiguration()
        config.threads = 1
        config.keys = 4
        config.valueSize = 20
        config.mix = StressMix(percentages: [100, 0, 0, 0])
        let worker = StressWorker(index: 0, config: config, database: database, signal: StressSignal())
        worker.run(budget: 1000)
        let failure = try #require(worker.failure)
        #expect(
            failure.message == "mismatch in read by thread 0: key k0000000003: expected nil (never written), "
                + "got k0000000003@99 (20 bytes)")
        try database.close()
    }

    @Test func valuesNameTheirKeyAndVersionAndShowDamage() {
        let keys = (0..<300).map(StressData.key)
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
        for index in [0, 7, 12_345, StressData.maxKeys - 1] {
            #expect(StressData.keyIndex(StressData.key(index)) == index)
            for size in [0, 1, 30, 100] {
                let value = StressData.value(key: index, version: 42, size: size)
                #expect(value.count >= size)
                #expect(StressData.version(of: value, key: index, size: size) == 42)
                #expect(StressData.version(of: value, key: index + 1, size: size) == nil)
                #expect(StressData.mismatch(key: index, expected: 42, got: value, size: size) == nil)
            }
        }
        var damaged = StressData.value(key: 5, version: 3, size: 40)
        damaged[30] ^= 1
        #expect(StressData.version(of: damaged, key: 5, size: 40) == nil)
        #expect(StressData.describe(damaged, size: 40) == "k0000000005@3 with damaged bytes (40 bytes)")
        #expect(StressData.describe(nil, size: 40) == "nil")
        #expect(StressData.describe([0, 1, 2], size: 40) == "an undecodable value of 3 bytes: \"\\x00\\x01\\x02\"")
        #expect(StressData.mismatch(key: 5, expected: 3 | StressData.deletedFlag, got: nil, size: 40) == nil)
        #expect(
            StressData.mismatch(key: 5, expected: 4, got: StressData.value(key: 5, version: 3, size: 40), size: 40)
                == "key k0000000005: expected k0000000005@4 (40 bytes), got k0000000005@3 (40 bytes)")
        #expect(
            StressData.mismatch(key: 5, expected: 4 | StressData.deletedFlag, got: damaged, size: 40)
                == "key k0000000005: expected nil (deleted at version 4), "
                + "got k0000000005@3 with damaged bytes (40 bytes)"
        )
        #expect(StressData.keyIndex(Array("k12345678x0".utf8)) == nil)
        #expect(StressData.header(of: Array("k0000000001@|".utf8)) == nil)
    }

    @Test func mixParsesAndPicksOperationsByShare() throws {
        let mix = try StressMix.parse("10:20:30:40").get()
        #expect(mix.percentages == [10, 20, 30, 40])
        let picks = (0..<100).map { mix.operation(forRoll: $0) }
        #expect(picks.filter { $0 == .read }.count == 10)
        #expect(picks.filter { $0 == .write }.count == 20)
        #expect(picks.filter { $0 == .delete }.count == 30)
        #expect(picks.filter { $0 == .scan }.count == 40)
        #expect(StressFormat.count(1_234_567) == "1,234,567")
        #expect(StressFormat.latency(850) == "850ns")
        #expect(StressFormat.latency(12_340) == "12.3µs")
        #expect(StressFormat.latency(1_250_000) == "1.25ms")
        #expect(StressFormat.bytes(4096) == "4.00 KiB")
    }

    /// `lsm stress --crash-cycles 3` as a real process: it runs, kills and checks its writer child three times;
    /// with `--expiry-percent`, some of the writes expire within a few seconds, while the cycles run; with
    /// `--range-delete-percent`, some delete ranges of keys.
    @Test(arguments: [(0, 0), (50, 0), (30, 30)])
    func crashCyclesRunAsAProcess(expiryPercent: Int, rangeDeletePercent: Int) throws {
        let lsm = try lsmBinary()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path
        let child = try ChildProcess.spawn(
            lsm,
            arguments: [
                "stress", "--crash-cycles", "3", "--keys", "200", "--seed", "11", "--compression", "lz4",
                "--dir", directory + "/db", "--expiry-percent", "\(expiryPercent)",
                "--range-delete-percent", "\(rangeDeletePercent)",
            ])
        var lines: [String] = []
        let deadline = MonotonicClock.nanoseconds() + 120_000_000_000
        while !child.outputClosed && MonotonicClock.nanoseconds() < deadline {
            lines += child.readLines(waitingUpTo: 100)
        }
        if !child.outputClosed { child.kill() }
        let ending = child.finish()
        lines += child.readLines(waitingUpTo: 0)
        #expect(ending == .exited(0), "\(lines) \(child.errorText)")
        #expect(lines.first?.contains(" memtable, compression lz4, ") == true, "\(lines.first ?? "")")
        #expect(lines.filter { $0.hasPrefix("cycle ") }.count == 3)
        #expect(lines.contains { $0.hasPrefix("cycle 3/3: ") && $0.hasSuffix(": ok") })
        #expect(lines.contains { $0.hasPrefix("crash cycles: 3 passed") && $0.contains("acknowledged writes checked") })
        let summary = try #require(lines.first { $0.hasPrefix("crash cycles: ") })
        #expect(summary.contains(" expiring") == (expiryPercent > 0), "\(summary)")
        #expect(summary.contains(" range deletions), none lost") == (rangeDeletePercent > 0), "\(summary)")
        let ranges = lines.filter { $0.hasPrefix("cycle ") && $0.contains(" deleted by range, ") }
        #expect(ranges.count == (rangeDeletePercent > 0 ? 3 : 0), "\(lines)")
    }

    /// Runs one crash cycle whose "writer" is a shell script printing `script`, on a database holding what `fill`
    /// writes (nothing by default), with expiry and range deletions on (the script announces expiring writes and
    /// range deletions itself).
    private func crashCycle(
        withWriter script: String, holding fill: (Database) throws -> Void = { _ in }
    ) throws -> (status: Int32, out: String, err: String) {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.path
        let writer = directory + "/writer.sh"
        try FileTree.write("#!/bin/sh\n" + script, to: writer)
        chmod(writer, 0o755)
        _ = try scratch.database("db", fill)
        var config = StressConfiguration()
        config.keys = 10
        config.valueSize = 20
        config.memtableSize = 4096
        config.childExecutable = writer
        config.crashWindowMilliseconds = 20
        config.expiryPercent = 50
        config.rangeDeletePercent = 50
        let out = OutputSink.capturing()
        let err = OutputSink.capturing()
        let cycles = StressCrashCycles(config: config, cycles: 1, directory: directory + "/db", out: out, err: err)
        let status = cycles.run().status
        return (status, out.text, err.text)
    }

    @Test func crashCycleReportsAnAcknowledgedWriteThatIsMissing() throws {
        // The fake writer acknowledges a write it never made, then waits to be killed.
        let run = try crashCycle(withWriter: "echo opening\necho ready\necho 'ack 5 7'\nexec sleep 30\n")
        #expect(run.status == 1)
        #expect(run.err.contains("cycle 1: lost acknowledged write: key k0000000005 version 7: got nil"), "\(run.err)")
        #expect(run.err.contains("FAILED in cycle 1 of 1"))
    }

    /// An acknowledged write whose expiry has passed may read as absent, and so may the key of the expiring write
    /// the kill cut short, if that write landed and expired; an older value may never show.
    @Test func crashCycleAcceptsExpiredWritesButNeverAnOlderValue() throws {
        let past = Self.past.millisecondsSinceEpoch
        let expired = try crashCycle(
            withWriter: "echo opening\necho ready\necho 'expiring 5 7 \(past)'\necho 'ack 5 7'\necho 'ack 6 8'\n"
                + "echo 'expiring 6 9 \(past)'\nexec sleep 30\n"
        ) { db in
            try db.put(StressData.key(5), Self.value(5, 7), expiresAt: Self.past)
            try db.put(StressData.key(6), Self.value(6, 8))
            try db.put(StressData.key(6), Self.value(6, 9), expiresAt: Self.past)
        }
        #expect(expired.status == 0, "\(expired.err)")
        #expect(expired.out.contains("0 present, 2 expired"), "\(expired.out)")

        let older = try crashCycle(
            withWriter: "echo opening\necho ready\necho 'expiring 5 7 \(past)'\necho 'ack 5 7'\nexec sleep 30\n"
        ) { db in
            try db.put(StressData.key(5), Self.value(5, 3))
        }
        #expect(older.status == 1)
        #expect(older.err.contains("cycle 1: lost acknowledged write: key k0000000005 version 7: got version 3"),
                "\(older.err)")
    }

    /// An acknowledged expiring write must be there until its expiry, with that expiry.
    @Test func crashCycleReportsALostOrAlteredExpiringWrite() throws {
        let script = "echo opening\necho ready\necho 'expiring 5 7 \(Self.future.millisecondsSinceEpoch)'\n"
            + "echo 'ack 5 7'\nexec sleep 30\n"
        let lost = try crashCycle(withWriter: script)
        #expect(lost.status == 1)
        #expect(
            lost.err.contains("cycle 1: lost acknowledged write: key k0000000005 version 7 expiring at "
                              + "\(Self.future): got nil at "), "\(lost.err)")

        let altered = try crashCycle(withWriter: script) { db in
            try db.put(StressData.key(5), Self.value(5, 7))
        }
        #expect(altered.status == 1)
        #expect(
            altered.err.contains("cycle 1: wrong expiry: key k0000000005 version 7 was written expiring at "
                                 + "\(Self.future), read without one"), "\(altered.err)")
    }

    /// A key whose newest acknowledged write is a range deletion must be absent: an older value showing again is a
    /// failure; an acknowledged put in the range after it must be there.
    @Test func crashCycleRequiresAnAcknowledgedRangeDeletionAndThePutsAfterIt() throws {
        let script = "echo opening\necho ready\necho 'ack 5 7'\necho 'ack 6 8'\necho 'deleting 4 8 9'\necho 'ack 4 9'\n"
            + "echo 'ack 6 10'\nexec sleep 30\n"
        let puts = { (db: Database) in
            try db.put(StressData.key(5), Self.value(5, 7))
            try db.put(StressData.key(6), Self.value(6, 8))
        }
        let deleted = try crashCycle(withWriter: script) { db in
            try puts(db)
            try db.deleteRange(from: StressData.key(4), to: StressData.key(8))
            try db.put(StressData.key(6), Self.value(6, 10))
        }
        #expect(deleted.status == 0, "\(deleted.err)")
        #expect(deleted.out.contains("1 present, 0 expired, 3 deleted by range"), "\(deleted.out)")

        let cameBack = try crashCycle(withWriter: script) { db in
            try puts(db)
            try db.put(StressData.key(6), Self.value(6, 10))
        }
        #expect(cameBack.status == 1)
        #expect(
            cameBack.err.contains(
                "cycle 1: deleted value came back: key k0000000005 deleted by range at version 9: got version 7"),
            "\(cameBack.err)")
    }

    /// A range deletion the kill cut short may have applied to all of its keys or to none, never to some only.
    @Test func crashCycleAcceptsARangeDeletionCutShortOnlyWhole() throws {
        let script = "echo opening\necho ready\necho 'ack 5 7'\necho 'ack 6 8'\necho 'deleting 5 7 9'\nexec sleep 30\n"
        let puts = { (db: Database) in
            try db.put(StressData.key(5), Self.value(5, 7))
            try db.put(StressData.key(6), Self.value(6, 8))
        }
        let none = try crashCycle(withWriter: script, holding: puts)
        #expect(none.status == 0, "\(none.err)")
        #expect(none.out.contains("2 present, 0 expired, 0 deleted by range"), "\(none.out)")

        let all = try crashCycle(withWriter: script) { db in
            try puts(db)
            try db.deleteRange(from: StressData.key(5), to: StressData.key(7))
        }
        #expect(all.status == 0, "\(all.err)")
        #expect(all.out.contains("0 present, 0 expired, 2 deleted by range"), "\(all.out)")

        let some = try crashCycle(withWriter: script) { db in
            try puts(db)
            try db.delete(StressData.key(6))
        }
        #expect(some.status == 1)
        #expect(
            some.err.contains(
                "cycle 1: range deletion of k0000000005 to k0000000007 at version 9, cut short by the kill, applied to "
                    + "only some of its keys: k0000000006 lost version 8, k0000000005 holds version 7"),
            "\(some.err)")
    }

    /// The value the fake writers' databases hold for `key` at `version`.
    private static func value(_ key: Int, _ version: UInt64) -> [UInt8] {
        StressData.value(key: key, version: version, size: 20)
    }

    /// Expiries for the fake writers: long past, and far ahead (2100-01-01).
    private static let past = Timestamp(millisecondsSinceEpoch: 1000)
    private static let future = Timestamp(millisecondsSinceEpoch: 4_102_444_800_000)

    @Test func crashCycleReportsAWriterThatDiesByItself() throws {
        let run = try crashCycle(withWriter: "echo opening\necho 'cannot open' >&2\nexit 3\n")
        #expect(run.status == 1)
        #expect(
            run.err.contains("the writer child exited with status 3 before it was killed: cannot open"), "\(run.err)")
    }
}
