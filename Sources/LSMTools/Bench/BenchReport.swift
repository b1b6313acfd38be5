#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// What one workload measured, as `peerbench.c`'s `report` takes it.
struct BenchResult {
    var name: String
    var ops: Int
    var seconds: Double
    /// Bytes the engine wrote to its log and tables during the workload, 0 where the peers report 0.
    var bytesWritten: Int64
    /// Bytes on disk for size rows, -1 elsewhere.
    var databaseBytes: Int64
    /// A remark for people (how many keys a read found), left out of JSON.
    var note: String?
    /// Set when the workload saw what it must not (a key missing); reported after the row, then the run stops.
    var failure: String?
}

/// Prints results: one JSON line per workload exactly as `peerbench.c` prints it, or db_bench-like lines for people.
final class BenchReporter {
    private let out: OutputSink
    private let json: Bool
    private let nameWidth: Int

    /// Bytes one operation moves, by `peerbench.c`'s count: key plus value, for every kind of operation.
    static let bytesPerOp = Double(BenchKey.length + BenchValue.length)

    init(out: OutputSink, json: Bool, nameWidth: Int) {
        self.out = out
        self.json = json
        self.nameWidth = max(12, nameWidth)
    }

    /// The db_bench-like preamble of the human-readable form (JSON output has none).
    func header(num: Int, threads: Int, compression: Compression, directory: String) {
        guard !json else { return }
        out.line("Keys:       \(BenchKey.length) bytes each")
        out.line("Values:     \(BenchValue.length) bytes each")
        out.line("Compression: \(compression.rawValue)")
        out.line("Entries:    \(num) per phase; \(threads) threads for fillsync_\(threads)threads")
        out.line("Directory:  \(directory)")
        out.line(String(repeating: "-", count: 48))
    }

    /// Whether a write of the results failed, so the run should stop.
    var outputFailed: Bool { out.hasFailed }

    func report(_ result: BenchResult) {
        out.line(json ? jsonLine(result) : humanLine(result))
    }

    /// Whether ``statistics(_:label:)`` prints anything: only the human-readable form carries engine statistics.
    var wantsStatistics: Bool { !json }

    /// One indented line, when a phase's database closes, on what the engine did since it opened: tables per
    /// level, flushes, compactions, write amplification and stalls, for people reading the timings.
    func statistics(_ statistics: Statistics, label: String) {
        guard !json else { return }
        let levels = statistics.levelFileCounts.map(String.init).joined(separator: "/")
        out.line("  [\(label) at close: tables per level \(levels); \(statistics.flushCount) flushes, "
            + "\(statistics.compactionCount) compactions + \(statistics.trivialMoveCount) moves in "
            + Self.format("%.1f", statistics.compactionSeconds) + " s; write amplification "
            + Self.format("%.1f", statistics.writeAmplification) + "; \(statistics.writeStallCount) stalls "
            + Self.format("%.1f", statistics.writeStallSeconds) + " s, \(statistics.writeSlowdownCount) slowdowns "
            + Self.format("%.1f", statistics.writeSlowdownSeconds) + " s]")
    }

    /// `{"engine":"lsm",...}` with the number formats of `peerbench.c`'s printf.
    func jsonLine(_ result: BenchResult) -> String {
        let megabytes = Double(result.ops) * Self.bytesPerOp / 1_048_576.0
        let ops = Double(result.ops)
        return "{\"engine\":\"lsm\",\"benchmark\":\"\(result.name)\",\"ops\":\(result.ops)"
            + ",\"seconds\":\(Self.format("%.6f", result.seconds))"
            + ",\"micros_per_op\":\(Self.format("%.4f", result.seconds * 1e6 / ops))"
            + ",\"ops_per_sec\":\(Self.format("%.1f", ops / result.seconds))"
            + ",\"mb_per_sec\":\(Self.format("%.2f", megabytes / result.seconds))"
            + ",\"bytes_written\":\(result.bytesWritten),\"db_bytes\":\(result.databaseBytes)}"
    }

    /// `fillseq      :    1.234 micros/op;   89.1 MB/s`, or the bytes on disk for a size row.
    func humanLine(_ result: BenchResult) -> String {
        let label = TerminalText.padRight(result.name, nameWidth) + " : "
        if result.databaseBytes >= 0 {
            return label + Self.format("%11.1f", Double(result.databaseBytes) / 1_048_576.0) + " MB on disk"
        }
        let megabytes = Double(result.ops) * Self.bytesPerOp / 1_048_576.0
        var line = label + Self.format("%11.3f", result.seconds * 1e6 / Double(result.ops)) + " micros/op;"
            + Self.format("%7.1f", megabytes / result.seconds) + " MB/s"
        if result.bytesWritten > 0 {
            line += ";" + Self.format("%8.1f", Double(result.bytesWritten) / 1_048_576.0) + " MB written"
        }
        if let note = result.note { line += " (\(note))" }
        return line
    }

    /// `value` formatted by C's printf with `specification` (one floating-point conversion).
    static func format(_ specification: String, _ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, specification, arguments) }
        }
        guard count > 0 else { return "" }
        return String(decoding: buffer.prefix(min(Int(count), buffer.count - 1)).map { UInt8(bitPattern: $0) },
                      as: UTF8.self)
    }
}
