import ArgumentParser
import LSM

/// `lsm bench`: the db_bench-style workloads that `../shared/bench/compare.sh` runs beside LevelDB, RocksDB, LMDB
/// and SQLite, in the same sequence, with the same keys and values, printing the same JSON lines as `peerbench.c`.
struct BenchCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the db_bench-style benchmark (the sequence of ../shared/bench/peerbench.c).",
        discussion: """
            Phases, each in a fresh subdirectory of --dir: fillseq (then reopen), readrandom, readmissing, \
            readseq, seekrandom, readrandom_2threads, size_after_fillseq; fillrandom, overwrite, \
            readrandom_after_overwrite, readwhilewriting, deleterandom, size_after_random; fillsync, \
            fillsync_Nthreads. Keys are 16 digits, values 100 bytes. With --benchmarks, the fills, overwrite and \
            deletes a later selected workload of the same phase depends on still run, unreported.
            """
    )

    @Option(help: """
        Directory for the databases, one subdirectory per phase, kept afterwards \
        (default: a new temporary directory, removed at the end).
        """)
    var dir: String?

    @Option(parsing: .unconditional, help: "Entries per phase.")
    var num: Int = 1_000_000

    @Option(parsing: .unconditional, help: "Writer threads of fillsync_Nthreads.")
    var threads: Int = 4

    @Option(help: "Comma-separated workloads to run (run in the sequence's order whatever the order given).")
    var benchmarks: String?

    @Option(help: ArgumentHelp(
        "How the engine stores tables' data blocks: none (as peerbench.c runs the peers) or lz4.",
        valueName: "none|lz4"))
    var compression = "none"

    @Flag(help: "Print one JSON line per workload, as peerbench prints them.")
    var json = false

    /// The most entries a phase may have: readmissing's keys (up to 2*NUM) must print in 16 digits.
    static let maxNum = 1_000_000_000_000_000
    /// The most threads of fillsync_Nthreads, as peerbench allows.
    static let maxThreads = 64

    /// Runs the benchmark, writing results to `out` and progress and errors to `err`. Returns the exit status: 0
    /// when every workload ran and its checks passed, 1 when the engine failed or a check did not pass, 2 for a
    /// bad option.
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        var compression = Compression.none
        let refusal = OptionError.refusal(tool: "bench", err: err) { () throws(OptionError) in
            compression = try OptionError.compression(self.compression)
            try OptionError.check("--num", num, in: 10...Self.maxNum)
            try OptionError.check("--threads", threads, in: 1...Self.maxThreads)
            if dir?.isEmpty == true { throw OptionError("--dir must not be empty") }
        }
        if let refusal { return refusal }
        var selected = Set(BenchWorkload.allCases)
        if let benchmarks {
            switch BenchWorkload.parseList(benchmarks, threads: threads) {
            case .success(let names) where names.isEmpty:
                err.line("lsm bench: --benchmarks names no workload")
                return 2
            case .success(let names):
                selected = names
            case .failure(let unknown):
                let known = BenchWorkload.allCases.map { $0.name(threads: threads) }.joined(separator: ", ")
                err.line("lsm bench: unknown benchmark \(Quoting.excerpt(Array(unknown.name.utf8))); known: \(known)")
                return 2
            }
        }

        let root: String
        let working = FileChecks.workingDirectory(dir, tool: "bench", err: err) { dir in
            let problem: String?
            do throws(LSMError) {
                try FileTree.makeDirectories(dir)
                problem = FileChecks.notADirectory(dir)
            } catch {
                problem = error.message
            }
            return problem.map { "--dir \(dir): \($0)" }
        }
        switch working {
        case .success(let path): root = path
        case .failure(let exit): return exit.rawValue
        }
        defer {
            if dir == nil { try? FileTree.remove(root) }
        }

        let nameWidth = selected.map { $0.name(threads: threads).count }.max() ?? 0
        let reporter = BenchReporter(out: out, json: json, nameWidth: nameWidth)
        reporter.header(num: num, threads: threads, compression: compression, directory: root)
        if out.hasFailed { return 1 }
        let runner = BenchRunner(
            root: root, num: num, threads: threads, compression: compression, selected: selected, reporter: reporter,
            progress: BenchProgress(err: err))
        do {
            if let failure = try runner.run() {
                err.line("lsm bench: \(failure)")
                return 1
            }
        } catch {
            err.line("lsm bench: \(error.conciseDescription)")
            return 1
        }
        return 0
    }
}
