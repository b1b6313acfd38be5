import ArgumentParser

/// `lsm stress`: a verifying load tester and, with `--crash-cycles`, a kill -9 loop.
struct StressCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract:
            "Load a database from many threads, checking every answer; or kill a writer and check nothing is lost.",
        discussion: """
            Each thread owns a slice of the keys and remembers the last value it wrote to each, so every read and \
            scan is checked; at the end the database is closed, reopened and checked in full. A mismatch prints the \
            key, the expected and the actual value, and the exit status is 1 (2 for bad options).

            With --crash-cycles N, a child process makes synced writes and reports each acknowledged one; it is \
            killed with SIGKILL at a random moment, the database is reopened and every acknowledged write must be \
            there. That repeats N times on the same database. With --expiry-percent P, P% of those writes expire \
            soon after they are made: after a kill such a key must read as its acknowledged value (or a newer one) \
            until that expires, and as absent after, never as an older value. With --range-delete-percent P, P% of \
            them delete a range of up to 16 keys: each key must read as its newest acknowledged write, a range \
            deletion covering it included, and a range deletion the kill cut short applies to all its keys or to \
            none.
            """)

    @Option(
        help: ArgumentHelp(
            "Database directory, absent or empty (default: a fresh temporary one, removed at the end unless --keep).",
            valueName: "path"))
    var dir: String?

    @Flag(help: "Keep the temporary database directory at the end.")
    var keep = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Worker threads (default 4).", valueName: "n"))
    var threads: Int?

    @Option(
        parsing: .unconditional, help: ArgumentHelp("Run for this many seconds (default 10).", valueName: "seconds"))
    var duration: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Run this many operations in all, instead of for a duration.", valueName: "n"))
    var ops: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Size of the key space (default 100000; 1000 with --crash-cycles).", valueName: "n"))
    var keys: Int?

    @Option(
        name: .customLong("value-size"), parsing: .unconditional,
        help: ArgumentHelp(
            "Value size; a value is never shorter than its key@version header (default 100).", valueName: "bytes"))
    var valueSize: Int?

    @Option(
        name: .customLong("memtable-size"), parsing: .unconditional,
        help: ArgumentHelp(
            "Memtable size (default 65536; 4096 with --crash-cycles); level sizes scale with it.", valueName: "bytes"))
    var memtableSize: Int?

    @Option(
        name: .customLong("memory-budget"), parsing: .unconditional,
        help: ArgumentHelp(
            "One bound on the engine's memtables, block cache and open tables (Options.memoryBudget, 1 MiB to 1 TiB); "
                + "it replaces --memtable-size.", valueName: "bytes"))
    var memoryBudget: Int?

    @Option(help: ArgumentHelp(OptionError.compressionHelp, valueName: "none|lz4"))
    var compression: String?

    @Flag(help: "Make every write durable (fdatasync) before it returns.")
    var sync = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Percentage of reads (with --writes, --deletes, --scans; unset ones are 0).", valueName: "percent"))
    var reads: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Percentage of writes.", valueName: "percent"))
    var writes: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Percentage of deletes.", valueName: "percent"))
    var deletes: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Percentage of range scans (up to 100 keys, forward or reverse).", valueName: "percent"))
    var scans: Int?

    @Option(help: ArgumentHelp("The mix as percentages (default 50:35:10:5).", valueName: "reads:writes:deletes:scans"))
    var mix: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Seed of the random choices (default: a fresh one, printed).", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Write an HTML report with charts to this file.", valueName: "file.html"))
    var report: String?

    @Option(
        name: .customLong("crash-cycles"), parsing: .unconditional,
        help: ArgumentHelp(
            "Kill a synced writer child this many times, checking after each kill that nothing acknowledged was lost.",
            valueName: "n"))
    var crashCycles: Int?

    @Option(
        name: .customLong("expiry-percent"), parsing: .unconditional,
        help: ArgumentHelp(
            "With --crash-cycles: the percentage of writes that expire, 1 ms to 3 s after they are made (default 0).",
            valueName: "percent"))
    var expiryPercent: Int?

    @Option(
        name: .customLong("range-delete-percent"), parsing: .unconditional,
        help: ArgumentHelp(
            "With --crash-cycles: the percentage of writes that delete a range of 1 to 16 keys (default 0).",
            valueName: "percent"))
    var rangeDeletePercent: Int?

    @Flag(name: .customLong("child-writer"), help: .private)
    var childWriter = false

    @Option(name: .customLong("first-version"), parsing: .unconditional, help: .private)
    var firstVersion: UInt64?

    /// Runs `lsm stress`; returns the exit status (0 ok, 1 a mismatch, loss or engine error, 2 bad options).
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        switch StressConfiguration.make(from: self) {
        case .success(let config):
            return StressTool.run(config, out: out, err: err)
        case .failure(let failure):
            err.line("lsm stress: \(failure)")
            return 2
        }
    }
}

/// Runs `lsm stress` with checked options.
enum StressTool {
    /// Runs a checked configuration: prepares the directory, runs the mode, and removes the directory if it made
    /// it, except a `--dir` after a run that passed, with `--keep`, and after a run that found the database wrong
    /// (kept to be examined).
    static func run(_ config: StressConfiguration, out: OutputSink, err: OutputSink) -> Int32 {
        if case .childWriter(let firstVersion) = config.mode {
            // The parent made the directory; validation made sure it is named.
            let directory = config.directory ?? ""
            return StressChildWriter(
                config: config, directory: directory, firstVersion: firstVersion, out: out, err: err
            ).run()
        }
        // Whether the run makes its directory (and so may remove it): a temporary one, or a --dir not there yet.
        let made = !(config.directory.map(FileTree.exists) ?? false)
        let directory: String
        let working = FileChecks.workingDirectory(config.directory, tool: "stress", err: err) { given in
            if let names = FileTree.entries(given), !names.isEmpty {
                return "--dir \(given) already holds files; the stress test needs a fresh database"
            }
            let problem = made ? FileChecks.cannotCreateDirectory(given) : FileChecks.notADirectory(given)
            return problem.map { "--dir \(given): \($0)" }
        }
        switch working {
        case .success(let path): directory = path
        case .failure(let exit): return exit.rawValue
        }
        let ending: StressEnding
        if case .crashCycles(let cycles) = config.mode {
            ending = StressCrashCycles(config: config, cycles: cycles, directory: directory, out: out, err: err).run()
        } else {
            ending = StressRunner(config: config, directory: directory, out: out, err: err).run()
        }
        guard made else { return ending.status }
        let temporary = config.directory == nil
        if ending == .mismatch || config.keep || (!temporary && ending == .passed) {
            if temporary { (ending == .passed ? out : err).line("lsm stress: the database is kept in \(directory)") }
        } else {
            try? FileTree.remove(directory)
        }
        return ending.status
    }
}
