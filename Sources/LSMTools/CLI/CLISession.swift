import LSM

/// The interpreter behind `lsm cli`: reads lines, runs each against an open database and prints redis-cli-style
/// replies (`OK`, a value, `(nil)`, `KEY VALUE` rows, or `(error) ...`).
///
/// A failing line never ends the session; it is counted in ``failures`` so a script's exit status can report it.
final class CLISession {
    private let database: Database
    private let input: any CLIInput
    private let out: OutputSink
    private let prompt: String?
    /// How many lines printed `(error)`.
    private(set) var failures = 0

    /// The prompt of an interactive session.
    static let prompt = "lsm> "

    /// A session reading `input` and replying on `out`; `prompt` is written before each line (nil for scripts,
    /// and for an input that shows it itself).
    init(database: Database, input: any CLIInput, out: OutputSink, prompt: String?) {
        self.database = database
        self.input = input
        self.out = out
        self.prompt = prompt
    }

    /// Runs lines until the end of the input, `quit`, or a failed write to `out` (no reply could be seen).
    /// Returns why the input could not be read to its end, or nil.
    func run() -> CLILineReader.Failure? {
        while !out.hasFailed {
            if let prompt { out.write(prompt) }
            let line: [UInt8]?
            do {
                line = try input.nextLine()
            } catch {
                return error
            }
            guard let line else {
                // Leave the terminal's cursor at the start of a line after ^D.
                if prompt != nil { out.line() }
                return nil
            }
            if !execute(line) { return nil }
        }
        return nil
    }

    /// Runs one line (blank lines and `#` comments do nothing); returns false when the line asks to quit.
    func execute(_ line: [UInt8]) -> Bool {
        do throws(CLIError) {
            guard let words = try Self.words(line) else { return true }
            let request = try CLIRequest.parse(words)
            if request == .quit { return false }
            try perform(request)
        } catch {
            failures += 1
            out.line("(error) \(error.message)")
        }
        return true
    }

    /// The words of `line`, or nil for a blank line or a comment.
    private static func words(_ line: [UInt8]) throws(CLIError) -> [[UInt8]]? {
        let firstVisible = line.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
        guard let firstVisible, firstVisible != UInt8(ascii: "#") else { return nil }
        // Quoting works on text; a line that is not UTF-8 would be altered by decoding, so it is refused and the
        // bytes are to be written as escapes instead.
        guard let text = String(validating: line, as: UTF8.self) else {
            throw CLIError(message: "the line is not valid UTF-8; write such bytes as \\xHH inside double quotes")
        }
        do {
            return try Quoting.split(text)
        } catch {
            throw CLIError(message: error.description)
        }
    }

    private func perform(_ request: CLIRequest) throws(CLIError) {
        switch request {
        case .put(let key, let value, nil):
            try engine { () throws(LSMError) in try database.put(key, value) }
            out.line("OK")
        case .put(let key, let value, let milliseconds?):
            try engine { () throws(LSMError) in
                try database.put(key, value, expiresAfter: .milliseconds(milliseconds))
            }
            out.line("OK")
        case .get(let key):
            let value = try engine { () throws(LSMError) in try database.get(key) }
            out.line(value.map(Self.show) ?? "(nil)")
        case .delete(let key):
            try engine { () throws(LSMError) in try database.delete(key) }
            out.line("OK")
        case .deleteRange(let start, let end):
            try engine { () throws(LSMError) in try database.deleteRange(from: start, to: end) }
            out.line("OK")
        case .ttl(let key):
            let entry = try engine { () throws(LSMError) in try database.getWithExpiry(key) }
            guard let entry else { return out.line("-2") }
            guard let expiry = entry.expiresAt else { return out.line("-1") }
            // Rounded to the nearest second, as Redis's TTL rounds.
            let left = max(0, database.options.clock.now().milliseconds(until: expiry))
            out.line(String(left / 1000 + (left % 1000 >= 500 ? 1 : 0)))
        case .persist(let key):
            let entry = try engine { () throws(LSMError) in try database.getWithExpiry(key) }
            guard let entry, entry.expiresAt != nil else { return out.line("0") }
            try engine { () throws(LSMError) in try database.put(key, entry.value) }
            out.line("1")
        case .scan(let range):
            try scan(range)
        case .batch(let batch):
            try engine { () throws(LSMError) in try database.write(batch) }
            out.line("OK")
        case .flush:
            try engine { () throws(LSMError) in try database.flush() }
            out.line("OK")
        case .compact:
            try engine { () throws(LSMError) in try database.compact() }
            out.line("OK")
        case .stats:
            let statistics = try engine { () throws(LSMError) in try database.statistics() }
            printStatistics(statistics)
            let keys = try engine { () throws(LSMError) in try database.estimatedKeyCount() }
            out.line("estimated live keys: \(keys)")
        case .help:
            printHelp()
        case .quit:
            break  // execute(_:) ends the session before performing it
        }
    }

    /// Runs `body`, turning an engine error into the line the user sees.
    private func engine<T>(_ body: () throws(LSMError) -> T) throws(CLIError) -> T {
        do {
            return try body()
        } catch {
            throw CLIError(message: error.conciseDescription)
        }
    }

    /// Prints `KEY VALUE` rows; they are gathered into large writes, since a scan may print millions of them.
    private func scan(_ range: CLIScanRange) throws(CLIError) {
        var pending = ""
        defer { out.write(pending) }
        let cursor = try engine { () throws(LSMError) in
            try database.cursor(from: range.start, to: range.end, reverse: range.reverse)
        }
        var printed = 0
        while range.limit.map({ printed < $0 }) ?? true {
            guard let entry = try engine({ () throws(LSMError) in try cursor.next() }) else { return }
            pending += Self.show(entry.key) + " " + Self.show(entry.value) + "\n"
            printed += 1
            if pending.utf8.count >= 64 << 10 {
                out.write(pending)
                pending = ""
                if out.hasFailed { return }
            }
        }
    }

    private func printStatistics(_ stats: Statistics) {
        func seconds(_ value: Double) -> String { "\(Self.rounded(value, digits: 3)) s" }
        for level in 0..<min(stats.levelFileCounts.count, stats.levelBytes.count) {
            out.line("level \(level): \(stats.levelFileCounts[level]) files, \(stats.levelBytes[level]) bytes")
        }
        out.line("total: \(stats.levelFileCounts.reduce(0, +)) files, \(stats.levelBytes.reduce(0, +)) bytes")
        out.line("memtable: \(stats.memtableBytes) bytes, \(stats.immutableMemtables) waiting for flush")
        out.line("last sequence: \(stats.lastSequence)")
        out.line("flushes: \(stats.flushCount), \(stats.flushBytesWritten) bytes written")
        out.line(
            "compactions: \(stats.compactionCount) (and \(stats.trivialMoveCount) trivial moves), "
                + "\(stats.compactionBytesRead) bytes read, \(stats.compactionBytesWritten) bytes written, "
                + seconds(stats.compactionSeconds))
        out.line("write stalls: \(stats.writeStallCount), \(seconds(stats.writeStallSeconds))")
        out.line("write slowdowns: \(stats.writeSlowdownCount), \(seconds(stats.writeSlowdownSeconds))")
        out.line(
            "bytes written: \(stats.userBytesWritten) by the application, \(stats.logBytesWritten) to logs; "
                + "write amplification \(Self.rounded(stats.writeAmplification, digits: 2))")
        out.line("live snapshots: \(stats.liveSnapshots)")
    }

    /// `value` rounded to `digits` decimals, for figures a person reads.
    private static func rounded(_ value: Double, digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }

    private func printHelp() {
        let width = CLIRequest.usages.map(\.synopsis.count).max() ?? 0
        for usage in CLIRequest.usages {
            let synopsis = usage.synopsis
            let aliases = usage.names.dropFirst().map { " (or \($0))" }.joined()
            out.line(synopsis + String(repeating: " ", count: width - synopsis.count + 2) + usage.summary + aliases)
        }
        out.line("Keys and values are words or double-quoted strings with \\\", \\\\, \\n, \\r, \\t and \\xHH escapes.")
    }

    /// `bytes` as ``Quoting/format(_:)`` writes it, but quoted when it would begin with `(`, so a stored value
    /// `(nil)` cannot pass for a missing key nor a key `(error)` for a failed command.
    static func show(_ bytes: [UInt8]) -> String {
        let text = Quoting.format(bytes)
        return text.hasPrefix("(") ? "\"\(text)\"" : text
    }
}
