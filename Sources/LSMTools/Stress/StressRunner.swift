import Histogram
import LSM

/// The verifying load run: worker threads hammer one database while this thread samples them; then the
/// database is closed, reopened and checked key by key against what the workers remember.
struct StressRunner {
    let config: StressConfiguration
    let directory: String
    let out: OutputSink
    let err: OutputSink

    /// Everything a finished run measured, for the summary and the report.
    struct Outcome {
        var seconds: Double
        var totals: StressLatencies
        var samples: [StressSample]
        var finalStatistics: Statistics?
        var reopenSeconds: Double
        var keysChecked: Int
        var keysPresent: Int
        /// The library's check of the closed database.
        var check: CheckReport
    }

    /// Runs the load and the final check, prints the summary and writes the report.
    func run() -> StressEnding {
        out.line("lsm stress: \(parameters.map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
        // Nobody would see the result.
        if out.hasFailed { return .failed }
        let database: Database
        do {
            database = try Database.open(directory, options: config.databaseOptions)
        } catch {
            err.line("lsm stress: cannot open the database: \(error)")
            return .failed
        }
        let load: Load
        switch runWorkers(on: database) {
        case .success(let finished): load = finished
        case .failure(let failure):
            try? database.close()
            err.line("lsm stress: \(failure)")
            return .failed
        }
        let failures = load.workers.compactMap(\.failure)
        if !failures.isEmpty {
            report(failures)
            try? database.close()
            err.line("lsm stress: FAILED after \(StressFormat.count(load.totals.totalCount)) operations")
            return failures.contains { $0.cause == nil } ? .mismatch : .failed
        }
        let finalStatistics = try? database.statistics()
        do {
            try database.close()
        } catch {
            err.line("lsm stress: closing the database failed: \(error.conciseDescription)")
            return .failed
        }

        let reopenStart = MonotonicClock.nanoseconds()
        let checked: (keys: Int, present: Int)
        switch verifyReopened(load.workers) {
        case .success(let result): checked = result
        case .failure(let failure):
            err.line("lsm stress: \(failure)")
            err.line("lsm stress: FAILED: the reopened database does not hold what the workers wrote")
            return .mismatch
        }
        let reopenSeconds = MonotonicClock.seconds(from: reopenStart, to: MonotonicClock.nanoseconds())
        let report: CheckReport
        do {
            report = try Database.check(at: directory)
        } catch {
            err.line("lsm stress: the database check could not run: \(error)")
            return .mismatch
        }
        guard report.isClean else {
            for problem in report.problems.prefix(10) { err.line("lsm stress: database check: \(problem)") }
            err.line("lsm stress: FAILED: the database check found \(report.problems.count) problem(s)")
            return .mismatch
        }

        let outcome = Outcome(
            seconds: load.seconds, totals: load.totals, samples: load.samples, finalStatistics: finalStatistics,
            reopenSeconds: reopenSeconds, keysChecked: checked.keys, keysPresent: checked.present, check: report)
        for line in summary(outcome) { out.line(line) }
        if let reportPath = config.reportPath {
            let page = StressReport(parameters: parameters, summary: summaryTable(outcome), outcome: outcome).html()
            do {
                try FileTree.write(page, to: reportPath)
            } catch {
                let reason = error.errno.map(errnoText) ?? error.message
                err.line("lsm stress: \(reportPath): cannot write the report: \(reason)")
                return .failed
            }
            out.line("report: \(reportPath)")
        }
        return out.hasFailed ? .failed : .passed
    }

    /// Prints the workers' failures: every mismatch, but one engine error. Once a write fails the engine refuses
    /// every later one with a background error naming that failure, so the other workers' errors would repeat it;
    /// they are only counted.
    private func report(_ failures: [StressFailure]) {
        for failure in failures where failure.cause == nil { err.line("lsm stress: \(failure)") }
        let engineFailures = failures.filter { $0.cause != nil }
        let first = engineFailures.first { $0.cause?.code != .backgroundError } ?? engineFailures.first
        guard let first else { return }
        err.line("lsm stress: \(first)")
        let others = engineFailures.count - 1
        if others > 0 {
            err.line(
                "lsm stress: \(others) other thread\(others == 1 ? "" : "s") also stopped on an engine error (after "
                    + "a failed write the database refuses writes)")
        }
    }

    /// The load phase's result: the joined workers (with their expectations and any failure) and the measurements.
    private struct Load {
        var workers: [StressWorker]
        var samples: [StressSample]
        var totals: StressLatencies
        var seconds: Double
    }

    /// Starts one thread per worker, samples them until they finish, and joins them.
    private func runWorkers(on database: Database) -> Result<Load, StressFailure> {
        let signal = StressSignal()
        let workers = (0..<config.threads).map {
            StressWorker(index: $0, config: config, database: database, signal: signal)
        }
        let start = MonotonicClock.nanoseconds()
        var threads: [PosixThread] = []
        for worker in workers {
            let budget = budget(of: worker.index)
            guard let thread = try? PosixThread({ worker.run(budget: budget) }) else {
                signal.stop()
                threads.forEach { $0.join() }
                return .failure(StressFailure("cannot start worker thread \(worker.index + 1)"))
            }
            threads.append(thread)
        }
        var totals = StressLatencies()
        let samples = sample(workers, database: database, signal: signal, start: start, totals: &totals)
        threads.forEach { $0.join() }
        let seconds = MonotonicClock.seconds(from: start, to: MonotonicClock.nanoseconds())
        totals.add(collect(workers))
        return .success(Load(workers: workers, samples: samples, totals: totals, seconds: seconds))
    }

    /// The operations worker `index` runs in `--ops` mode (nil: until the duration is over).
    private func budget(of index: Int) -> Int? {
        guard case .operations(let total) = config.limit else { return nil }
        return total / config.threads + (index < total % config.threads ? 1 : 0)
    }

    /// The run's settings as name/value pairs, for the first line and the report.
    var parameters: [(String, String)] {
        let limit =
            switch config.limit {
            case .seconds(let seconds):
                (
                    "duration",
                    "\(seconds == seconds.rounded() ? String(Int(seconds)) : StressFormat.significant(seconds)) s"
                )
            case .operations(let ops): ("operations", StressFormat.count(ops))
            }
        return [
            ("threads", "\(config.threads)"), limit, ("keys", StressFormat.count(config.keys)),
            ("value size", StressFormat.bytes(config.valueSize)),
            config.memoryBudget.map { ("memory budget", StressFormat.bytes($0)) }
                ?? ("memtable size", StressFormat.bytes(config.memtableSize)),
            ("compression", config.compression.rawValue), ("sync", config.sync ? "yes" : "no"),
            ("mix", "\(config.mix) (reads:writes:deletes:scans %)"), ("seed", "\(config.seed)"),
            ("directory", directory),
        ]
    }

    // MARK: Sampling

    /// Collects the workers' latencies once per sample interval until they are all done (stopping them when the
    /// duration is over), printing a progress line per sample on a terminal. Returns the samples, the last
    /// covering the stretch up to the end.
    private func sample(
        _ workers: [StressWorker], database: Database, signal: StressSignal, start: UInt64,
        totals: inout StressLatencies
    ) -> [StressSample] {
        let progress: OutputSink? = err.isTerminal ? err : (out.isTerminal ? out : nil)
        let interval = UInt64(config.sampleInterval * 1e9)
        var samples: [StressSample] = []
        var sampleStart = start
        var done: UInt64 = 0
        while true {
            let finished = signal.finishedWorkers == workers.count
            let now = MonotonicClock.nanoseconds()
            if case .seconds(let seconds) = config.limit, now &- start >= UInt64(seconds * 1e9) { signal.stop() }
            if finished || now &- sampleStart >= interval {
                let latencies = collect(workers)
                totals.add(latencies)
                done += latencies.totalCount
                let sample = StressSample(
                    time: MonotonicClock.seconds(from: start, to: now),
                    duration: MonotonicClock.seconds(from: sampleStart, to: now),
                    counts: StressOperation.allCases.map { latencies.count($0) },
                    latency: StressPercentiles(latencies.combined), statistics: try? database.statistics())
                if sample.duration > 0 { samples.append(sample) }
                sampleStart = now
                if let progress, !finished { progress.line(progressLine(sample, done: done)) }
            }
            if finished { return samples }
            MonotonicClock.sleep(milliseconds: 10)
        }
    }

    private func collect(_ workers: [StressWorker]) -> StressLatencies {
        var latencies = StressLatencies()
        for worker in workers { latencies.add(worker.meter.collect()) }
        return latencies
    }

    private func progressLine(_ sample: StressSample, done: UInt64) -> String {
        let latency = zip(StressPercentiles.labels, sample.latency.values)
            .map { "\($0) \(StressFormat.latency($1))" }.joined(separator: " ")
        var line =
            "[\(TerminalText.padLeft(DecimalText.fixed(sample.time, 0), 4))s] "
            + "\(StressFormat.rate(sample.throughput)) ops/s | \(latency) | \(StressFormat.count(done)) ops"
        if let statistics = sample.statistics {
            line += " | memtable \(StressFormat.bytes(statistics.memtableBytes))"
            line += " +\(statistics.immutableMemtables) waiting"
            line += " | files/level \(StressFormat.levels(statistics.levelFileCounts))"
        }
        return line
    }

    // MARK: Final check

    /// Reopens the database and compares every key, by point read and by one full scan, with the workers'
    /// expectations. Returns the keys checked and how many are present.
    private func verifyReopened(_ workers: [StressWorker]) -> Result<(keys: Int, present: Int), StressFailure> {
        let size = config.valueSize
        func expectation(_ key: Int) -> UInt64 { workers[key % config.threads].expectations[key / config.threads] }
        /// Why `key` may not be missing from the scan, or nil when it may.
        func missing(_ key: Int) -> StressFailure? {
            StressData.mismatch(key: key, expected: expectation(key), got: nil, size: size).map {
                StressFailure("mismatch in scan after reopen (key missing): \($0)")
            }
        }
        var present = 0
        // The scan must list exactly the present keys: walk the key space alongside it.
        var nextKey = 0
        let reread = StressReread.run(config, directory: directory, time: WallClock.system.now()) { key, value, _ in
            if value != nil { present += 1 }
            return StressData.mismatch(key: key, expected: expectation(key), got: value, size: size).map {
                StressFailure("mismatch in read after reopen: \($0)")
            }
        } scanned: { key, value, _ in
            if let failure = (nextKey..<key).lazy.compactMap(missing).first { return failure }
            nextKey = key + 1
            return StressData.mismatch(key: key, expected: expectation(key), got: value, size: size).map {
                StressFailure("mismatch in scan after reopen: \($0)")
            }
        }
        if case .failure(let failure) = reread { return .failure(failure) }
        if let failure = (nextKey..<config.keys).lazy.compactMap(missing).first { return .failure(failure) }
        return .success((config.keys, present))
    }

    // MARK: Summary

    /// The latency table: a header row, then one row per operation kind that ran, then all of them together.
    func summaryTable(_ outcome: Outcome) -> [[String]] {
        var rows = [["operation", "count", "ops/s"] + StressPercentiles.labels]
        func row(_ name: String, _ histogram: Histogram<UInt64>) -> [String] {
            let percentiles = StressPercentiles(histogram)
            return [
                name, StressFormat.count(percentiles.count),
                StressFormat.rate(Double(percentiles.count) / max(outcome.seconds, 1e-9)),
            ]
                + percentiles.values.map(StressFormat.latency)
        }
        for operation in StressOperation.allCases where outcome.totals.count(operation) > 0 {
            rows.append(row(operation.name, outcome.totals.byOperation[operation.rawValue]))
        }
        rows.append(row("all", outcome.totals.combined))
        return rows
    }

    private func summary(_ outcome: Outcome) -> [String] {
        let total = outcome.totals.totalCount
        var lines = [
            "throughput: \(StressFormat.rate(Double(total) / max(outcome.seconds, 1e-9))) ops/s "
                + "(\(StressFormat.count(total)) operations in \(StressFormat.significant(outcome.seconds)) s "
                + "on \(config.threads) thread\(config.threads == 1 ? "" : "s"))"
        ]
        let table = summaryTable(outcome)
        let widths = table[0].indices.map { column in table.map { TerminalText.columns($0[column]) }.max() ?? 0 }
        for row in table {
            lines.append(
                row.enumerated().map { column, text in
                    column == 0
                        ? TerminalText.padRight(text, widths[column]) : TerminalText.padLeft(text, widths[column] + 2)
                }.joined())
        }
        if let statistics = outcome.finalStatistics {
            let bytes = statistics.levelBytes.reduce(0, +)
            lines.append(
                "database: \(statistics.flushCount) flushes, \(statistics.compactionCount) compactions, "
                    + "\(statistics.writeStallCount) write stalls, "
                    + "files/level \(StressFormat.levels(statistics.levelFileCounts)) "
                    + "(\(StressFormat.bytes(bytes)) in tables)")
            lines.append(
                "memory: \(StressFormat.bytes(statistics.memoryBytes)) held by the engine at the end (memtables "
                    + "\(StressFormat.bytes(statistics.memtablesBytes)), block cache "
                    + "\(StressFormat.bytes(statistics.blockCacheBytes)), \(statistics.openTables) open tables"
                    + (config.memoryBudget == nil ? "" : " holding \(StressFormat.bytes(statistics.openTableMetadataBytes))")
                    + ")" + (ProcessMemory.peakResidentBytes().map { "; peak RSS \(StressFormat.bytes($0))" } ?? ""))
        }
        lines.append(
            "reopen: closed, reopened and checked \(StressFormat.count(outcome.keysChecked)) keys "
                + "(\(StressFormat.count(outcome.keysPresent)) present) "
                + "in \(StressFormat.significant(outcome.reopenSeconds)) s"
        )
        lines.append(
            "check: \(outcome.check.tableCount) tables and \(outcome.check.logCount) logs verified, no problems "
                + "(\(outcome.check.warnings.count) warnings)")
        lines.append("result: ok, every read, scan and reopened key matched")
        return lines
    }
}
