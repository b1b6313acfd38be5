import LSM
import Synchronization

/// Runs the benchmark sequence of `../shared/bench/README.md` on the engine, step for step as `peerbench.c` runs
/// it on the peers: same keys, values, seeds, operation counts and phases, a fresh directory per phase.
///
/// Workloads left out of the selection are skipped, except the writes a later selected workload of the same phase
/// reads (``BenchWorkload/preparesLaterWorkloads``), which run unreported.
struct BenchRunner {
    /// The directory holding a subdirectory per phase.
    let root: String
    /// Entries per phase (NUM).
    let num: Int
    /// Writer threads of fillsync_Nthreads.
    let threads: Int
    /// How the engine stores data blocks (peerbench.c runs the peers without compression).
    let compression: Compression
    let selected: Set<BenchWorkload>
    let reporter: BenchReporter
    let progress: BenchProgress

    /// The engine's options, set explicitly to the choices `peerbench.c` makes for LevelDB (its defaults plus a
    /// 10-bit bloom filter): a 4 MiB write buffer, 2 MiB tables, an 8 MiB block cache, 4 KiB blocks. RocksDB's
    /// larger write buffer is its default, not a choice of the benchmark. Level shapes stay the engine's defaults;
    /// compression is the run's choice.
    var engineOptions: Options {
        var options = Options()
        options.compression = compression
        options.memtableSize = 4 << 20
        options.targetFileSize = 2 << 20
        options.blockCacheBytes = 8 << 20
        options.blockSize = 4096
        options.bloomBitsPerKey = 10
        return options
    }

    /// Runs the selected workloads in sequence order, reporting each as it ends, until the report cannot be
    /// written. Returns the message of the first check that failed (a key missing or found where it must not be),
    /// nil when all passed.
    func run() throws(LSMError) -> String? {
        for phase in BenchWorkload.Phase.allCases {
            let workloads = BenchWorkload.allCases.filter { $0.phase == phase }
            guard let last = workloads.lastIndex(where: selected.contains) else { continue }
            let directory = root + "/" + phase.directoryName
            try FileTree.remove(directory)
            try FileTree.makeDirectories(directory)
            var database = PhaseDatabase(try Database.open(directory, options: engineOptions), phase: phase)
            for workload in workloads[...last] {
                let isSelected = selected.contains(workload)
                guard isSelected || workload.preparesLaterWorkloads else { continue }
                let result = try run(workload, on: &database)
                if isSelected { reporter.report(result) }
                // Nobody would see the rest.
                if reporter.outputFailed {
                    try close(&database)
                    return nil
                }
                if let failure = result.failure {
                    try close(&database)
                    return failure
                }
                if workload == .fillSequential {
                    // Reopen, so the reads see the store as a restart leaves it.
                    try close(&database)
                    database = PhaseDatabase(try Database.open(directory, options: engineOptions), phase: phase)
                }
            }
            try close(&database)
        }
        return nil
    }

    /// A phase's database and whether it is still open (size rows close it before measuring the directory).
    private struct PhaseDatabase {
        let database: Database
        let phase: BenchWorkload.Phase
        var isOpen = true

        init(_ database: Database, phase: BenchWorkload.Phase) {
            self.database = database
            self.phase = phase
        }
    }

    /// Closes the phase's database if it is open, first showing people what the engine did since it was opened.
    private func close(_ database: inout PhaseDatabase) throws(LSMError) {
        guard database.isOpen else { return }
        if reporter.wantsStatistics {
            reporter.statistics(try database.database.statistics(), label: database.phase.directoryName)
        }
        try database.database.close()
        database.isOpen = false
    }

    private func run(_ workload: BenchWorkload, on phaseDatabase: inout PhaseDatabase) throws(LSMError) -> BenchResult {
        let name = workload.name(threads: threads)
        let count = UInt64(num)
        let database = phaseDatabase.database
        // One line per workload: what it runs, with the seeds and checks of peerbench.c.
        switch workload {
        case .sizeAfterFillSequential, .sizeAfterRandom:
            try close(&phaseDatabase)
            let bytes = try FileTree.bytes(database.path)
            return BenchResult(name: name, ops: num, seconds: 1, bytesWritten: 0, databaseBytes: bytes)
        case .fillSequential: return try fillSequential(name, database)
        case .readRandom: return try read(name, database, seed: 301, expectFound: num) { $0 % count }
        case .readMissing: return try read(name, database, seed: 302, expectFound: 0) { count + $0 % count }
        case .readSequential: return try readSequential(name, database)
        case .seekRandom: return try seekRandom(name, database)
        case .readRandomTwoThreads: return try readRandomTwoThreads(name, database)
        case .fillRandom: return try randomPuts(name, database, seed: 401, firstValue: 0)
        case .overwrite: return try randomPuts(name, database, seed: 402, firstValue: count)
        case .readRandomAfterOverwrite: return try read(name, database, seed: 403) { $0 % count }
        case .readWhileWriting: return try readWhileWriting(name, database)
        case .deleteRandom: return try deleteRandom(name, database)
        case .fillSync: return try fillSync(name, database)
        case .fillSyncThreads: return try fillSyncThreads(name, database)
        }
    }

    /// Synced puts of fillsync, and of each thread of fillsync_Nthreads: `max(NUM/500, 200)`.
    private var syncedPuts: Int { max(num / 500, 200) }

    /// Times `count` operations of `body` (given the operation's index), with progress.
    private func timed(
        _ name: String, count: Int, _ body: (Int) throws(LSMError) -> Void
    ) throws(LSMError) -> BenchResult {
        progress.start(name, total: count)
        defer { progress.finish() }
        let start = MonotonicClock.nanoseconds()
        for index in 0..<count {
            try body(index)
            progress.tick(index)
        }
        let seconds = MonotonicClock.seconds(from: start, to: MonotonicClock.nanoseconds())
        return BenchResult(name: name, ops: count, seconds: seconds, bytesWritten: 0, databaseBytes: -1)
    }

    /// The row `workload` returns, with the bytes `database` wrote to its files meanwhile.
    private func countingWrites(
        of database: Database, _ workload: () throws(LSMError) -> BenchResult
    ) throws(LSMError) -> BenchResult {
        let before = try bytesWritten(by: database)
        var row = try workload()
        row.bytesWritten = try bytesWritten(by: database) - before
        return row
    }

    /// Bytes `database` has written to its log and tables, by its statistics. The peers report `wchar` of
    /// `/proc/self/io`, which counts the same bytes for them; it would miss ours, as log appends are copied into a
    /// mapping of the log rather than written with a system call.
    private func bytesWritten(by database: Database) throws(LSMError) -> Int64 {
        let statistics = try database.statistics()
        return Int64(statistics.logBytesWritten + statistics.flushBytesWritten + statistics.compactionBytesWritten)
    }

    /// Like ``timed(_:count:_:)``, handing `body` the key of number `keyNumber(draw)` too, a draw per
    /// operation from splitmix64 seeded with `seed` (by default below NUM, as `peerbench.c` draws random keys).
    private func timedOnRandomKeys(
        _ name: String, seed: UInt64, count: Int, keyNumber: ((UInt64) -> UInt64)? = nil,
        _ body: (_ key: [UInt8], _ index: Int) throws(LSMError) -> Void
    ) throws(LSMError) -> BenchResult {
        var random = SplitMix64(seed: seed)
        var key = BenchKey()
        let keys = UInt64(num)
        return try timed(name, count: count) { (index: Int) throws(LSMError) in
            let draw = random.next()
            key.set(keyNumber?(draw) ?? draw % keys)
            try body(key.bytes, index)
        }
    }

    /// Unsynced puts of key number `i` with value number `i`, for i in 0..<NUM.
    private func fillSequential(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        var key = BenchKey()
        var value = BenchValue()
        return try countingWrites(of: database) { () throws(LSMError) in
            try timed(name, count: num) { (index: Int) throws(LSMError) in
                key.set(UInt64(index))
                value.set(UInt64(index))
                try database.put(key.bytes, value.bytes)
            }
        }
    }

    /// NUM unsynced puts of random keys, drawn from splitmix64 seeded with `seed`, the i-th with value number
    /// `firstValue + i` (fillrandom, then overwrite).
    private func randomPuts(
        _ name: String, _ database: Database, seed: UInt64, firstValue: UInt64
    ) throws(LSMError) -> BenchResult {
        var value = BenchValue()
        return try countingWrites(of: database) { () throws(LSMError) in
            try timedOnRandomKeys(name, seed: seed, count: num) { key, index throws(LSMError) in
                value.set(firstValue + UInt64(index))
                try database.put(key, value.bytes)
            }
        }
    }

    /// NUM gets of key number `keyNumber(draw)`, drawing from splitmix64 seeded with `seed`; counts the keys found,
    /// which must come to `expectFound` when it is given.
    private func read(
        _ name: String, _ database: Database, seed: UInt64, expectFound: Int? = nil,
        keyNumber: @escaping (UInt64) -> UInt64
    ) throws(LSMError) -> BenchResult {
        var found = 0
        var row = try timedOnRandomKeys(name, seed: seed, count: num, keyNumber: keyNumber) {
            key, _ throws(LSMError) in
            if try database.get(key) != nil { found += 1 }
        }
        row.note = "\(found) of \(num) found"
        if let expectFound, found != expectFound {
            // Worded as peerbench.c words it.
            row.failure = expectFound == 0 ? "\(name) found \(found)" : "\(name) found \(found) of \(num)"
        }
        return row
    }

    /// One forward pass over the whole store (at most NUM+1 entries, as the peers' scan limit).
    private func readSequential(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        progress.start(name, total: num)
        defer { progress.finish() }
        let start = MonotonicClock.nanoseconds()
        let cursor = try database.cursor()
        var seen = 0
        while seen < num + 1, try cursor.next(borrowing: { _, _ in }) {
            seen += 1
            progress.tick(seen)
        }
        var row = BenchResult(
            name: name, ops: seen, seconds: MonotonicClock.seconds(from: start, to: MonotonicClock.nanoseconds()),
            bytesWritten: 0, databaseBytes: -1)
        if seen != num { row.failure = "readseq saw \(seen) of \(num)" }
        return row
    }

    /// NUM/10 times: a new cursor from a random existing key, reading up to 10 entries.
    private func seekRandom(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        try timedOnRandomKeys(name, seed: 303, count: num / 10) { key, _ throws(LSMError) in
            let cursor = try database.cursor(from: key)
            var read = 0
            while read < 10, try cursor.next(borrowing: { _, _ in }) { read += 1 }
        }
    }

    /// NUM/2 deletes of random keys.
    private func deleteRandom(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        try countingWrites(of: database) { () throws(LSMError) in
            try timedOnRandomKeys(name, seed: 405, count: num / 2) { key, _ throws(LSMError) in
                try database.delete(key)
            }
        }
    }

    /// Synced puts of random keys on this thread.
    private func fillSync(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        var value = BenchValue()
        return try timedOnRandomKeys(name, seed: 501, count: syncedPuts) {
            key, index throws(LSMError) in
            value.set(UInt64(index))
            try database.put(key, value.bytes, sync: true)
        }
    }

    /// What one worker thread did, read by the main thread after joining it.
    private final class WorkerOutcome: @unchecked Sendable {
        // Safety: written only by the worker thread, read only after `PosixThread.join()`.
        /// Operations done (puts), or keys found (gets).
        var count = 0
        var error: LSMError?
        /// When the worker returned, on ``MonotonicClock``.
        var finishedAt: UInt64 = 0
    }

    /// Counters the worker threads share with the main thread.
    private final class SharedCounters: Sendable {
        let stop = Atomic<Bool>(false)
        let operations = Atomic<Int>(0)
        let finishedThreads = Atomic<Int>(0)
    }

    /// NUM gets on this thread while one writer thread puts random keys without pause; the writer stops when the
    /// reads are done. Only the reads are timed.
    private func readWhileWriting(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        let shared = SharedCounters()
        let writer = WorkerOutcome()
        let count = UInt64(num)
        let thread = try PosixThread {
            var random = SplitMix64(seed: 77)
            var key = BenchKey()
            var value = BenchValue()
            var index: UInt64 = 0
            while !shared.stop.load(ordering: .relaxed) {
                key.set(random.next() % count)
                value.set(index)
                index += 1
                do throws(LSMError) {
                    try database.put(key.bytes, value.bytes)
                } catch {
                    writer.error = error
                    return
                }
            }
            writer.count = Int(index)
        }
        let row: BenchResult
        do {
            row = try read(name, database, seed: 404) { $0 % count }
        } catch {
            shared.stop.store(true, ordering: .relaxed)
            thread.join()
            throw error
        }
        shared.stop.store(true, ordering: .relaxed)
        thread.join()
        if let error = writer.error { throw error }
        var result = row
        result.note = "\(writer.count) puts by the writer meanwhile"
        return result
    }

    /// Two threads at once, each NUM/2 gets of random existing keys (seeds 311 and 312); every key must be found.
    private func readRandomTwoThreads(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        let perThread = num / 2
        let count = UInt64(num)
        let (seconds, outcomes) = try onThreads(name, count: 2, total: 2 * perThread) { threadIndex, outcome, shared in
            var random = SplitMix64(seed: 311 + UInt64(threadIndex))
            var key = BenchKey()
            for _ in 0..<perThread {
                key.set(random.next() % count)
                do throws(LSMError) {
                    if try database.get(key.bytes) != nil { outcome.count += 1 }
                } catch {
                    outcome.error = error
                    return
                }
                shared.operations.add(1, ordering: .relaxed)
            }
        }
        let found = outcomes.reduce(0) { $0 + $1.count }
        var row = BenchResult(name: name, ops: 2 * perThread, seconds: seconds, bytesWritten: 0, databaseBytes: -1)
        row.note = "\(found) of \(2 * perThread) found"
        if found != 2 * perThread { row.failure = "readrandom_2threads found \(found) of \(2 * perThread)" }
        return row
    }

    /// `threads` threads at once, each doing ``syncedPuts`` synced puts of random keys (seeds 1000, 1001, ...), so
    /// the engine can commit them in groups.
    private func fillSyncThreads(_ name: String, _ database: Database) throws(LSMError) -> BenchResult {
        let perThread = syncedPuts
        let count = UInt64(num)
        let (seconds, _) = try onThreads(name, count: threads, total: perThread * threads) {
            threadIndex, outcome, shared in
            var random = SplitMix64(seed: 1000 + UInt64(threadIndex))
            var key = BenchKey()
            var value = BenchValue()
            for index in 0..<perThread {
                key.set(random.next() % count)
                value.set(UInt64(index))
                do throws(LSMError) {
                    try database.put(key.bytes, value.bytes, sync: true)
                } catch {
                    outcome.error = error
                    return
                }
                outcome.count += 1
                shared.operations.add(1, ordering: .relaxed)
            }
        }
        return BenchResult(name: name, ops: perThread * threads, seconds: seconds, bytesWritten: 0, databaseBytes: -1)
    }

    /// Runs `body` on `threadCount` threads at once, given the thread's index, its outcome and the shared counters
    /// (where it counts operations for the progress line, `total` in all). Returns the seconds from the start to the
    /// end of the last thread, and each thread's outcome; throws the first error a thread recorded, or the one
    /// starting a thread failed with.
    private func onThreads(
        _ name: String, count threadCount: Int, total: Int,
        _ body: @escaping @Sendable (_ threadIndex: Int, WorkerOutcome, SharedCounters) -> Void
    ) throws(LSMError) -> (seconds: Double, outcomes: [WorkerOutcome]) {
        let shared = SharedCounters()
        var outcomes: [WorkerOutcome] = []
        var started: [PosixThread] = []
        progress.start(name, total: total)
        defer { progress.finish() }
        let start = MonotonicClock.nanoseconds()
        var startFailure: LSMError?
        for threadIndex in 0..<threadCount {
            let outcome = WorkerOutcome()
            do throws(LSMError) {
                started.append(try PosixThread {
                    defer {
                        outcome.finishedAt = MonotonicClock.nanoseconds()
                        shared.finishedThreads.add(1, ordering: .releasing)
                    }
                    body(threadIndex, outcome, shared)
                })
            } catch {
                startFailure = error
                break
            }
            outcomes.append(outcome)
        }
        // Polling for progress must not stretch the timing: the workload ends when its last thread does.
        while progress.isEnabled && shared.finishedThreads.load(ordering: .acquiring) < started.count {
            progress.show(shared.operations.load(ordering: .relaxed))
            MonotonicClock.sleep(milliseconds: 50)
        }
        for thread in started { thread.join() }
        let seconds = MonotonicClock.seconds(from: start, to: outcomes.map(\.finishedAt).max() ?? start)
        if let startFailure { throw startFailure }
        if let error = outcomes.lazy.compactMap(\.error).first { throw error }
        return (seconds, outcomes)
    }
}
