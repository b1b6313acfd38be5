import Histogram
import LSM

/// Latency histograms of a stretch of a run, one per operation kind, in nanoseconds.
struct StressLatencies: Sendable {
    private(set) var byOperation: [Histogram<UInt64>]

    init() {
        // Auto-resizing, three significant digits: exact enough for p99.9 from nanoseconds to minutes.
        byOperation = StressOperation.allCases.map { _ in Histogram<UInt64>(numberOfSignificantValueDigits: .three) }
    }

    mutating func record(_ operation: StressOperation, nanoseconds: UInt64) {
        byOperation[operation.rawValue].record(nanoseconds)
    }

    /// Adds another stretch's latencies to these.
    mutating func add(_ other: StressLatencies) {
        for index in byOperation.indices { byOperation[index].add(other.byOperation[index]) }
    }

    /// Operations of one kind recorded.
    func count(_ operation: StressOperation) -> UInt64 { byOperation[operation.rawValue].totalCount }

    /// Operations of every kind recorded.
    var totalCount: UInt64 { byOperation.reduce(0) { $0 + $1.totalCount } }

    /// All kinds in one histogram.
    var combined: Histogram<UInt64> {
        var all = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        for histogram in byOperation { all.add(histogram) }
        return all
    }
}

/// The percentiles the tool reports of a histogram.
struct StressPercentiles: Sendable {
    static let labels = ["p50", "p90", "p99", "p99.9", "max"]
    private static let points = [50.0, 90.0, 99.0, 99.9]

    /// Latencies in nanoseconds, in the order of ``labels``.
    var values: [UInt64]
    var count: UInt64

    init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        values = count == 0 ? [0, 0, 0, 0, 0] : Self.points.map { histogram.valueAtPercentile($0) } + [histogram.max]
    }
}

/// Latencies recorded by one worker since the sampler last collected them.
///
/// The worker records under a lock it almost never has to wait for; the sampler swaps the histograms out once
/// per sample interval, so each sample's percentiles are of that interval alone.
final class StressMeter: Sendable {
    private let pending = Locked(StressLatencies())

    func record(_ operation: StressOperation, nanoseconds: UInt64) {
        pending.withLock { $0.record(operation, nanoseconds: nanoseconds) }
    }

    /// The latencies recorded since the last call, leaving the meter empty.
    func collect() -> StressLatencies {
        let fresh = StressLatencies()
        return pending.withLock { latencies in
            let taken = latencies
            latencies = fresh
            return taken
        }
    }
}

/// What the sampler saw over one interval of a run: operations, latency percentiles and the database's shape.
struct StressSample: Sendable {
    /// Seconds from the start of the run to the end of the interval.
    var time: Double
    /// The interval's length in seconds.
    var duration: Double
    /// Operations finished in the interval, per kind.
    var counts: [UInt64]
    /// Latency percentiles of every operation in the interval.
    var latency: StressPercentiles
    /// The database's shape at the end of the interval (nil if it could not be read).
    var statistics: Statistics?

    /// Operations per second over the interval.
    var throughput: Double { duration > 0 ? Double(counts.reduce(0, +)) / duration : 0 }

    /// Operations per second of one kind.
    func throughput(_ operation: StressOperation) -> Double {
        duration > 0 ? Double(counts[operation.rawValue]) / duration : 0
    }
}
