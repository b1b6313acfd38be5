import LSM

/// The kinds of operation a load run mixes.
enum StressOperation: Int, CaseIterable, Sendable {
    case read, write, delete, scan

    var name: String {
        switch self {
        case .read: "read"
        case .write: "write"
        case .delete: "delete"
        case .scan: "scan"
        }
    }
}

/// The share of each operation in a load run, in percent (summing to 100).
struct StressMix: Equatable, Sendable, CustomStringConvertible {
    var percentages: [Int]

    static let standard = StressMix(percentages: [50, 35, 10, 5])

    /// Parses `reads:writes:deletes:scans`.
    static func parse(_ text: String) -> Result<StressMix, StressFailure> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0) }
        guard parts.count == 4, numbers.count == 4 else {
            return .failure(
                StressFailure(
                    "--mix must be four numbers reads:writes:deletes:scans, like 50:35:10:5; got "
                        + Quoting.excerpt(Array(text.utf8))))
        }
        return StressMix(percentages: numbers).validated(as: "--mix \(Quoting.excerpt(Array(text.utf8)))")
    }

    /// The mix itself when its shares are 0...100 and sum to 100.
    func validated(as source: String) -> Result<StressMix, StressFailure> {
        if let bad = percentages.first(where: { $0 < 0 || $0 > 100 }) {
            return .failure(StressFailure("\(source): each percentage must be 0...100, got \(bad)"))
        }
        let sum = percentages.reduce(0, +)
        guard sum == 100 else {
            return .failure(StressFailure("\(source): the percentages must add up to 100, they add up to \(sum)"))
        }
        return .success(self)
    }

    /// The operation for a roll of 0..<100.
    func operation(forRoll roll: Int) -> StressOperation {
        var bound = 0
        for operation in StressOperation.allCases {
            bound += percentages[operation.rawValue]
            if roll < bound { return operation }
        }
        return .read
    }

    var description: String { percentages.map(String.init).joined(separator: ":") }
}

/// When a load run ends.
enum StressLimit: Equatable, Sendable {
    case seconds(Double)
    case operations(Int)
}

/// A stress run's settings, checked: what `lsm stress` was asked to do, with defaults filled in.
struct StressConfiguration: Sendable {
    /// What the process does.
    enum Mode: Equatable, Sendable {
        /// The verifying multi-threaded load.
        case load
        /// The kill -9 loop, as the parent.
        case crashCycles(Int)
        /// The writer a crash-cycle parent runs and kills; writes versions from `firstVersion` on.
        case childWriter(firstVersion: UInt64)
    }

    var mode: Mode = .load
    /// The database directory, or nil for a fresh temporary one.
    var directory: String?
    var keep = false
    var threads = 4
    var limit = StressLimit.seconds(10)
    var keys = 100_000
    var valueSize = 100
    var memtableSize = 64 << 10
    /// ``Options/memoryBudget``, when set.
    var memoryBudget: Int?
    /// ``Options/compression``; a crash-cycle parent passes it to its writers.
    var compression = Compression.none
    var sync = false
    var mix = StressMix.standard
    var seed: UInt64 = 0
    var reportPath: String?
    /// Seconds between samples (progress lines and report points).
    var sampleInterval = 1.0
    /// The program a crash-cycle parent runs as its writer: this very executable.
    var childExecutable = "/proc/self/exe"
    /// The longest a crash-cycle child writes after opening before it is killed, in milliseconds.
    var crashWindowMilliseconds = 250
    /// The percentage of a crash-cycle child's writes that expire (see ``StressChildWriter``).
    var expiryPercent = 0
    /// The percentage of a crash-cycle child's writes that are range deletions (see ``StressChildWriter``).
    var rangeDeletePercent = 0

    /// The database options the run opens with. The tree's shape scales with the memtable (level 1 holds four
    /// memtables, compaction writes memtable-sized files), so a small memtable makes flushes and compactions
    /// into deep levels frequent, which is what a stress run wants to exercise.
    var databaseOptions: Options {
        var options = Options()
        options.memtableSize = memtableSize
        options.level1MaxBytes = max(4 * memtableSize, 16 << 10)
        options.targetFileSize = max(memtableSize, 4 << 10)
        options.memoryBudget = memoryBudget
        options.compression = compression
        return options
    }
}

extension StressConfiguration {
    /// Checks the command's options and fills in defaults; a failure is a usage error (exit status 2).
    static func make(from command: StressCommand) -> Result<StressConfiguration, StressFailure> {
        var config = StressConfiguration()
        do throws(StressFailure) {
            try config.apply(command)
            return .success(config)
        } catch {
            return .failure(error)
        }
    }

    private mutating func apply(_ command: StressCommand) throws(StressFailure) {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws(StressFailure) {
            if !ok { throw StressFailure(message()) }
        }
        func check(
            _ option: String, _ value: Int, in range: ClosedRange<Int>, unit: String? = nil
        ) throws(StressFailure) {
            do {
                try OptionError.check(option, value, in: range, unit: unit)
            } catch {
                throw StressFailure(error.description)
            }
        }
        if let dir = command.dir { try require(!dir.isEmpty, "--dir must not be empty") }
        directory = command.dir
        keep = command.keep
        seed = command.seed ?? SplitMix64.freshSeed()

        if command.childWriter {
            try require(command.dir != nil, "--child-writer needs --dir")
            mode = .childWriter(firstVersion: command.firstVersion ?? 1)
        } else if let cycles = command.crashCycles {
            try check("--crash-cycles", cycles, in: 1...10_000_000)
            mode = .crashCycles(cycles)
        }
        if mode != .load {
            let loadOnly: [(String, Bool)] = [
                ("--threads", command.threads != nil), ("--duration", command.duration != nil),
                ("--ops", command.ops != nil), ("--sync", command.sync), ("--reads", command.reads != nil),
                ("--writes", command.writes != nil), ("--deletes", command.deletes != nil),
                ("--scans", command.scans != nil), ("--mix", command.mix != nil), ("--report", command.report != nil),
            ]
            if let given = loadOnly.first(where: \.1) {
                throw StressFailure("\(given.0) does not apply to --crash-cycles")
            }
            keys = 1000
            memtableSize = 4 << 10
        }
        if let percent = command.expiryPercent {
            try require(mode != .load, "--expiry-percent applies only to --crash-cycles")
            try check("--expiry-percent", percent, in: 0...100)
            expiryPercent = percent
        }
        if let percent = command.rangeDeletePercent {
            try require(mode != .load, "--range-delete-percent applies only to --crash-cycles")
            try check("--range-delete-percent", percent, in: 0...100)
            rangeDeletePercent = percent
        }
        if command.firstVersion != nil && !command.childWriter {
            throw StressFailure("--first-version is only for --child-writer")
        }

        if let threads = command.threads {
            try check("--threads", threads, in: 1...1024)
            self.threads = threads
        }
        switch (command.duration, command.ops) {
        case (.some, .some):
            throw StressFailure("give --duration or --ops, not both")
        case (.some(let seconds), nil):
            try require(
                seconds > 0 && seconds <= 1e7,
                "--duration must be more than 0 and at most 10000000 seconds, got \(seconds)")
            limit = .seconds(seconds)
        case (nil, .some(let ops)):
            try check("--ops", ops, in: 1...Int.max)
            limit = .operations(ops)
        case (nil, nil):
            break
        }
        if let keys = command.keys {
            try check("--keys", keys, in: 1...StressData.maxKeys)
            self.keys = keys
        }
        if mode == .load {
            try require(
                keys >= threads, "--keys (\(keys)) must be at least --threads (\(threads)): each thread owns keys")
        }
        if let size = command.valueSize {
            try check("--value-size", size, in: 0...(16 << 20), unit: "bytes")
            valueSize = size
        }
        if let size = command.memtableSize {
            try check("--memtable-size", size, in: OptionError.memtableSizes, unit: "bytes")
            memtableSize = size
        }
        if let budget = command.memoryBudget {
            try check("--memory-budget", budget, in: (1 << 20)...(1 << 40), unit: "bytes")
            memoryBudget = budget
        }
        if let name = command.compression {
            do {
                compression = try OptionError.compression(name)
            } catch {
                throw StressFailure(error.description)
            }
        }
        sync = command.sync
        try applyMix(command)
        if let report = command.report {
            try require(!report.isEmpty, "--report needs a file name")
            if let problem = FileChecks.notWritable(report) { throw StressFailure("--report \(report): \(problem)") }
            reportPath = report
        }
    }

    private mutating func applyMix(_ command: StressCommand) throws(StressFailure) {
        let single = [command.reads, command.writes, command.deletes, command.scans]
        if let text = command.mix {
            guard single.allSatisfy({ $0 == nil }) else {
                throw StressFailure("give --mix or --reads/--writes/--deletes/--scans, not both")
            }
            mix = try StressMix.parse(text).get()
        } else if single.contains(where: { $0 != nil }) {
            let source = "--reads/--writes/--deletes/--scans (unset ones count as 0)"
            mix = try StressMix(percentages: single.map { $0 ?? 0 }).validated(as: source).get()
        }
    }
}
