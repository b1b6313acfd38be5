import LSM
import Synchronization

/// What the threads of a load run share: the signal to stop (duration over, or a failure somewhere) and how many
/// workers have finished.
final class StressSignal: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Int>(0)

    func stop() { stopped.store(true, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    func workerFinished() { finished.add(1, ordering: .releasing) }
    var finishedWorkers: Int { finished.load(ordering: .acquiring) }
}

/// One thread of a load run: it owns the keys `k` with `k % threads == index`, is the only writer of them,
/// remembers the last thing it did to each, and checks every read and scan against that memory.
final class StressWorker: @unchecked Sendable {
    // Safety: the mutable state is used by the worker's own thread while it runs, and by the runner only after
    // joining that thread.

    let index: Int
    /// Latencies not yet collected by the sampler.
    let meter = StressMeter()
    private let config: StressConfiguration
    private let database: Database
    private let signal: StressSignal
    private var random: SplitMix64
    /// The expectation for each owned key (slot `s` is key `s * threads + index`): 0 when never written, the
    /// version of the last put, or the version of the last delete with ``StressData/deletedFlag`` set.
    private(set) var expectations: [UInt64]
    private var nextVersion: UInt64 = 1
    private(set) var operationsDone = 0
    /// The first mismatch or engine error this worker met; it stops there.
    private(set) var failure: StressFailure?

    init(index: Int, config: StressConfiguration, database: Database, signal: StressSignal) {
        self.index = index
        self.config = config
        self.database = database
        self.signal = signal
        random = SplitMix64(seed: config.seed, stream: UInt64(index))
        expectations = Array(repeating: 0, count: (config.keys - index + config.threads - 1) / config.threads)
    }

    /// Runs operations until `budget` are done (when given) or the run is stopped.
    func run(budget: Int?) {
        defer { signal.workerFinished() }
        while !signal.isStopped {
            if let budget, operationsDone >= budget { break }
            let operation = config.mix.operation(forRoll: Int(random.next() % 100))
            let problem: StressFailure? =
                switch operation {
                case .read: read()
                case .write: write()
                case .delete: delete()
                case .scan: scan()
                }
            operationsDone += 1
            if let problem {
                failure = problem
                signal.stop()
                return
            }
        }
    }

    // MARK: Operations

    private func randomSlot() -> Int { Int(random.next() % UInt64(expectations.count)) }
    private func key(slot: Int) -> Int { slot * config.threads + index }

    /// Runs `body`, the engine call of one `operation` on `key` (`name` in messages), and records its latency;
    /// returns the engine's failure, if any.
    private func timed(
        _ operation: StressOperation, _ name: String, key: Int, _ body: () throws(LSMError) -> Void
    ) -> StressFailure? {
        let started = MonotonicClock.nanoseconds()
        do {
            try body()
        } catch {
            return engineFailure(name, key, error)
        }
        meter.record(operation, nanoseconds: MonotonicClock.nanoseconds() &- started)
        return nil
    }

    private func read() -> StressFailure? {
        let key = key(slot: randomSlot())
        let keyBytes = StressData.key(key)
        var got: [UInt8]?
        if let failure = timed(.read, "get", key: key, { () throws(LSMError) in got = try database.get(keyBytes) }) {
            return failure
        }
        return check(key: key, got: got, during: "read")
    }

    private func write() -> StressFailure? {
        let slot = randomSlot()
        let key = key(slot: slot)
        let version = takeVersion()
        let keyBytes = StressData.key(key)
        let value = StressData.value(key: key, version: version, size: config.valueSize)
        let failure = timed(.write, "put", key: key) { () throws(LSMError) in
            try database.put(keyBytes, value, sync: config.sync)
        }
        if failure == nil { expectations[slot] = version }
        return failure
    }

    private func delete() -> StressFailure? {
        let slot = randomSlot()
        let key = key(slot: slot)
        let version = takeVersion()
        let keyBytes = StressData.key(key)
        let failure = timed(.delete, "delete", key: key) { () throws(LSMError) in
            try database.delete(keyBytes, sync: config.sync)
        }
        if failure == nil { expectations[slot] = version | StressData.deletedFlag }
        return failure
    }

    /// The version of this worker's next write or delete.
    private func takeVersion() -> UInt64 {
        defer { nextVersion += 1 }
        return nextVersion
    }

    /// Scans up to 100 consecutive keys, forward or in reverse, then checks the order, that every key belongs to
    /// the range and holds an intact value of itself, and that this thread's keys in the range are exactly as it
    /// left them (none missing, none resurrected).
    private func scan() -> StressFailure? {
        let span = 1 + Int(random.next() % UInt64(min(config.keys, 100)))
        let start = Int(random.next() % UInt64(config.keys))
        let end = start + span
        let reverse = random.next() & 1 == 1
        let lower = StressData.key(start)
        let upper = StressData.key(end)
        var entries: [(key: [UInt8], value: [UInt8])] = []
        entries.reserveCapacity(span)
        let scanned = timed(.scan, reverse ? "reverse scan" : "scan", key: start) { () throws(LSMError) in
            let cursor = try database.cursor(from: lower, to: upper, reverse: reverse)
            while entries.count <= span, let entry = try cursor.next() { entries.append(entry) }
        }
        if let scanned { return scanned }

        let what = "\(reverse ? "reverse scan" : "scan") [\(StressData.keyText(start)), \(StressData.keyText(end)))"
        var owned: [Int: [UInt8]] = [:]
        var previous: [UInt8]?
        for entry in entries {
            if let previous {
                let ordered =
                    reverse
                    ? entry.key.lexicographicallyPrecedes(previous) : previous.lexicographicallyPrecedes(entry.key)
                if !ordered {
                    return StressFailure(
                        "\(what) by thread \(index): keys out of order: \(Quoting.format(entry.key)) came after "
                            + Quoting.format(previous))
                }
            }
            previous = entry.key
            guard let key = StressData.keyIndex(entry.key), key >= start, key < end else {
                return StressFailure(
                    "\(what) by thread \(index): returned key \(Quoting.format(entry.key)) outside the range")
            }
            if key % config.threads == index {
                owned[key] = entry.value
            } else if StressData.version(of: entry.value, key: key, size: config.valueSize) == nil {
                return StressFailure(
                    "mismatch in \(what) by thread \(index): key \(StressData.keyText(key)) (another thread's): "
                        + "expected an intact value of that key, "
                        + "got \(StressData.describe(entry.value, size: config.valueSize))"
                )
            }
        }
        var key = start + (index - start % config.threads + config.threads) % config.threads
        while key < min(end, config.keys) {
            if let problem = check(key: key, got: owned[key], during: what) { return problem }
            key += config.threads
        }
        return nil
    }

    // MARK: Checking

    /// The failure to report when `got` is not what this thread last did to `key`, or nil when it matches.
    private func check(key: Int, got: [UInt8]?, during what: String) -> StressFailure? {
        let state = expectations[key / config.threads]
        guard let difference = StressData.mismatch(key: key, expected: state, got: got, size: config.valueSize) else {
            return nil
        }
        return StressFailure("mismatch in \(what) by thread \(index): \(difference)")
    }

    private func engineFailure(_ operation: String, _ key: Int, _ error: LSMError) -> StressFailure {
        StressFailure(
            "thread \(index): \(operation) \(StressData.keyText(key)) failed: \(error.conciseDescription)",
            cause: error)
    }
}
