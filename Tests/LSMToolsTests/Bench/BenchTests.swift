import Foundation
import LSM
import Testing
@testable import LSMTools

@Suite struct BenchTests {
    /// The JSON fields of every row, as `peerbench.c` prints them.
    private static let fields: Set<String> = [
        "engine", "benchmark", "ops", "seconds", "micros_per_op", "ops_per_sec", "mb_per_sec", "bytes_written",
        "db_bytes",
    ]

    /// The sequence for two threads, in order.
    private static let sequence = [
        "fillseq", "readrandom", "readmissing", "readseq", "seekrandom", "readrandom_2threads",
        "size_after_fillseq", "fillrandom", "overwrite", "readrandom_after_overwrite", "readwhilewriting", "deleterandom", "size_after_random",
        "fillsync", "fillsync_2threads",
    ]

    /// Runs `lsm bench` in-process with `arguments` in a fresh directory (removed afterwards).
    private func bench(_ arguments: [String]) throws -> ToolRun {
        let scratch = try Scratch()
        defer { scratch.remove() }
        return try runTool(BenchCommand.self, ["--dir", scratch.file("bench")] + arguments)
    }

    private func rows(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any])
        }
    }

    @Test func jsonRunsTheWholeSequenceOnce() throws {
        let num = 2000
        let run = try bench(["--num", "\(num)", "--threads", "2", "--json"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.isEmpty)
        let rows = try rows(run.out)
        #expect(rows.compactMap { $0["benchmark"] as? String } == Self.sequence)
        let synced = max(num / 500, 200)
        let expectedOps = [
            "seekrandom": num / 10, "deleterandom": num / 2, "fillsync": synced, "fillsync_2threads": 2 * synced,
        ]
        for row in rows {
            let name = try #require(row["benchmark"] as? String)
            #expect(Set(row.keys) == Self.fields, "\(name)")
            #expect(row["engine"] as? String == "lsm")
            #expect(row["ops"] as? Int == expectedOps[name] ?? num, "\(name)")
            let seconds = try #require(row["seconds"] as? Double)
            let micros = try #require(row["micros_per_op"] as? Double)
            let opsPerSecond = try #require(row["ops_per_sec"] as? Double)
            let megabytes = try #require(row["mb_per_sec"] as? Double)
            let ops = Double(try #require(row["ops"] as? Int))
            #expect(seconds > 0 && micros > 0 && opsPerSecond > 0 && megabytes > 0, "\(name)")
            #expect(abs(micros - seconds * 1e6 / ops) <= 0.0001 + micros * 1e-3, "\(name)")
            #expect(abs(megabytes - ops * 116 / 1_048_576 / seconds) <= 0.01 + megabytes * 1e-3, "\(name)")
            let written = try #require(row["bytes_written"] as? Int)
            let onDisk = try #require(row["db_bytes"] as? Int)
            if name.hasPrefix("size_") {
                #expect(seconds == 1 && written == 0)
                // Every entry is at least its value on disk (in a log or a table; keys share prefixes in tables).
                #expect(onDisk > num * 100, "\(name)")
            } else {
                #expect(onDisk == -1, "\(name)")
            }
            if ["fillseq", "fillrandom", "overwrite", "deleterandom"].contains(name) {
                #expect(written > 0, "\(name)")
            } else if !name.hasPrefix("size_") {
                #expect(written == 0, "\(name)")
            }
        }
    }

    @Test func subsetRunsInSequenceOrderAndKeepsPhaseDirectories() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let dir = scratch.file("bench")
        let run = try runTool(BenchCommand.self, [
            "--dir", dir, "--num", "500", "--json", "--benchmarks", "size_after_fillseq, readrandom,readrandom",
        ])
        #expect(run.status == 0, "\(run.err)")
        let rows = try rows(run.out)
        // readrandom passes its all-found check only because fillseq ran, unreported, before it.
        #expect(rows.compactMap { $0["benchmark"] as? String } == ["readrandom", "size_after_fillseq"])
        #expect(FileTree.exists(dir + "/lsm-seq/CURRENT"))
        #expect(!FileTree.exists(dir + "/lsm-rand"))
    }

    @Test func threadedSyncFillIsNamedForItsThreadCount() throws {
        let run = try bench(["--num", "100", "--threads", "3", "--json", "--benchmarks", "fillsync_Nthreads"])
        #expect(run.status == 0, "\(run.err)")
        let rows = try rows(run.out)
        #expect(rows.count == 1)
        #expect(rows.first?["benchmark"] as? String == "fillsync_3threads")
        #expect(rows.first?["ops"] as? Int == 600)
        let named = try bench(["--num", "100", "--threads", "3", "--json", "--benchmarks", "fillsync_3threads"])
        #expect(try self.rows(named.out).first?["benchmark"] as? String == "fillsync_3threads")
    }

    @Test(arguments: [nil, "lz4"] as [String?])
    func humanReadableLines(compression: String?) throws {
        let run = try bench(["--num", "300", "--benchmarks", "fillseq,readmissing,size_after_fillseq"]
                                + (compression.map { ["--compression", $0] } ?? []))
        #expect(run.status == 0, "\(run.err)")
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("Entries:    300 per phase") })
        #expect(lines.contains("Compression: \(compression ?? "none")"), "none unless asked")
        let fill = try #require(lines.first { $0.hasPrefix("fillseq ") })
        #expect(fill.contains(" : ") && fill.contains(" micros/op;") && fill.contains(" MB/s"))
        #expect(fill.contains(" MB written"))
        let missing = try #require(lines.first { $0.hasPrefix("readmissing ") })
        #expect(missing.hasSuffix("(0 of 300 found)"))
        let size = try #require(lines.first { $0.hasPrefix("size_after_fillseq ") })
        #expect(size.hasSuffix(" MB on disk"))
        #expect(!lines.contains { $0.hasPrefix("{") })
    }

    /// A --dir that cannot hold the databases is refused before anything runs or prints, saying why.
    @Test func badDirectoriesSayWhy() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = scratch.file("file")
        try Scratch.write([1], to: file)
        let fifo = scratch.file("fifo")
        try #require(mkfifo(fifo, 0o644) == 0)
        let cases = [
            (file, "is a file, not a directory"), (fifo, "is a FIFO, not a directory"),
            ("/dev/null", "is a device, not a directory"),
            (file + "/sub", "cannot create the directory \(file)/sub: Not a directory"),
        ]
        for (dir, reason) in cases {
            let run = try bench(["--dir", dir, "--num", "10"])
            #expect(run.status == 2)
            #expect(run.out == "")
            #expect(run.err == "lsm bench: --dir \(dir): \(reason)\n")
        }
    }

    @Test func badOptionsExitTwo() throws {
        let cases: [([String], String)] = [
            (["--benchmarks", "fillseq,readfast"], "unknown benchmark readfast;"),
            (["--benchmarks", " , "], "names no workload"),
            (["--benchmarks", "fillsync_4threads", "--threads", "2"], "unknown benchmark fillsync_4threads;"),
            (["--benchmarks", String(repeating: "x", count: 100_000)],
             "unknown benchmark \(String(repeating: "x", count: 64))... (100000 bytes);"),
            (["--num", "0"], "--num must be"),
            (["--num", "9"], "--num must be"),
            (["--num", "2000000000000000"], "--num must be"),
            (["--threads", "0"], "--threads must be"),
            (["--threads", "65"], "--threads must be 1...64, got 65"),
            (["--threads", "-1"], "--threads must be 1...64, got -1"),
            (["--num", "-5"], "--num must be 10...1000000000000000, got -5"),
            (["--dir", ""], "--dir must not be empty"),
            (["--compression", "zstd"], "--compression must be none or lz4, got zstd"),
        ]
        for (arguments, message) in cases {
            expectUsageError(try bench(arguments), of: "bench", containing: message, "\(arguments)")
        }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--num", "many"]) }
        #expect(throws: (any Error).self) { try BenchCommand.parse(["--bogus"]) }
    }

    @Test func generatorsMatchPeerbench() {
        // splitmix64 from seed 0: the published first outputs.
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        var key = BenchKey()
        key.set(0)
        #expect(key.bytes == Array("0000000000000000".utf8))
        key.set(1_234_567)
        #expect(key.bytes == Array("0000000001234567".utf8))
        key.set(BenchKey.maxNumber)
        #expect(key.bytes == Array("9999999999999999".utf8))
        // mkval(v, 5): splitmix64 seeded with 5 * 7919 + 1, little-endian, the 13th draw cut to 4 bytes.
        var value = BenchValue()
        value.set(5)
        var expected = SplitMix64(seed: 5 * 7919 + 1)
        var bytes: [UInt8] = []
        for _ in 0..<13 {
            let draw = expected.next()
            bytes += (0..<8).map { UInt8(truncatingIfNeeded: draw >> (8 * $0)) }
        }
        #expect(value.bytes == Array(bytes.prefix(100)))
    }

    @Test func jsonFormatsNumbersAsPrintf() {
        let reporter = BenchReporter(out: .capturing(), json: true, nameWidth: 0)
        let line = reporter.jsonLine(BenchResult(
            name: "fillseq", ops: 1000, seconds: 0.5, bytesWritten: 123, databaseBytes: -1))
        #expect(line == "{\"engine\":\"lsm\",\"benchmark\":\"fillseq\",\"ops\":1000,\"seconds\":0.500000,"
            + "\"micros_per_op\":500.0000,\"ops_per_sec\":2000.0,\"mb_per_sec\":0.22,\"bytes_written\":123,"
            + "\"db_bytes\":-1}")
    }
}
