import Testing
@testable import LSM


/// Bytewise (memcmp) order, written out here so the model does not borrow the engine's comparison it checks.
func bytewiseLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    for (x, y) in zip(a, b) where x != y { return x < y }
    return a.count < b.count
}

/// What a database should hold: every live key with its value.
typealias ModelState = [[UInt8]: [UInt8]]

/// What a database with values that expire should hold at one moment: every live key with its value, and the
/// expiry of each value that has one.
struct ExpiringModelState: Equatable {
    var values: ModelState = [:]
    var expiries: [[UInt8]: Timestamp] = [:]

    /// Records a put of `value` (nil: a deletion) that expires at `expiry` (nil: never), made at `now`: a value
    /// whose expiry is not after `now` reads as absent from the start.
    mutating func write(_ key: [UInt8], _ value: [UInt8]?, expiresAt expiry: Timestamp? = nil, now: Timestamp) {
        let live = expiry.map { $0 > now } ?? true
        values[key] = live ? value : nil
        expiries[key] = live ? expiry : nil
    }

    /// Records a range deletion: every key in `[start, end)` is gone, with its expiry.
    mutating func deleteRange(from start: [UInt8], to end: [UInt8]) {
        for key in values.keys.filter({ !bytewiseLess($0, start) && bytewiseLess($0, end) }) {
            values[key] = nil
            expiries[key] = nil
        }
    }

    /// The state as read at `now`: values whose expiry is at or before it are gone.
    func expired(at now: Timestamp) -> ExpiringModelState {
        var state = self
        for (key, expiry) in expiries where expiry <= now {
            state.values[key] = nil
            state.expiries[key] = nil
        }
        return state
    }
}

/// One key-value pair as a cursor yields it, with the value's expiry, comparable so whole scans can be checked at
/// once.
struct DatabaseModelEntry: Equatable, CustomStringConvertible {
    var key: [UInt8]
    var value: [UInt8]
    var expiry: Timestamp? = nil

    var description: String { "\(key) (\(value.count) value bytes\(expiry.map { ", expires \($0)" } ?? ""))" }
}

/// Everything the database holds (as of `snapshot`) with the expiry of each value that has one, read with a
/// forward cursor, which must yield keys in strictly increasing bytewise order.
func databaseContentsWithExpiries(_ db: Database, snapshot: Snapshot? = nil) throws -> ExpiringModelState {
    var contents = ExpiringModelState()
    var previous: [UInt8]?
    let cursor = try db.cursor(snapshot: snapshot)
    while let (key, value) = try cursor.next() {
        if let previous { try #require(bytewiseLess(previous, key), "cursor keys out of order") }
        previous = key
        contents.values[key] = value
        contents.expiries[key] = cursor.expiry
    }
    return contents
}

/// Everything the database holds (as of `snapshot`), as ``databaseContentsWithExpiries(_:snapshot:)`` reads it.
func databaseContents(_ db: Database, snapshot: Snapshot? = nil) throws -> ModelState {
    try databaseContentsWithExpiries(db, snapshot: snapshot).values
}

/// The randomized model test: a database driven by seeded random operations and checked, read by read, against an
/// in-memory dictionary. Tiny memtables and blocks push every write through flushes and multi-block tables; rounds
/// end with a clean reopen or a simulated power loss, so recovery is checked against the model too. Some values
/// expire, by a clock the test moves by hand. Range deletions, alone and in batches, remove every model key in
/// their range.
@Suite struct ModelTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func databaseMatchesModel(seed: UInt64) throws {
        let run = try ModelRun(seed: seed)
        defer { run.tearDown() }
        try run.run()
    }
}

/// How a round of the model test ends.
private enum RoundEnding: CaseIterable {
    /// `close()` and open again: the model is unchanged.
    case reopen
    /// Every write of the round is synced, then power is lost: the database must equal the model exactly.
    case crash
    /// Synced writes, then unsynced ones, then power loss: the database must equal the model as it was after the
    /// last synced write or after one of the unsynced writes that followed it.
    case crashAfterUnsyncedTail
}

/// A snapshot and the model as it was when the snapshot was taken.
private struct ModelSnapshot {
    var snapshot: Snapshot
    var state: ModelState
    var expiries: [[UInt8]: Timestamp]
    var sortedKeys: [[UInt8]]
}

/// One seed's run: the database, the model, and the random choices driving them.
private final class ModelRun {
    static let operationsPerRound = 1500

    let seed: UInt64
    var random: SplitMix64
    var fixture: CrashFixture
    var db: Database
    var model: ModelState = [:]
    /// The expiry of each value of the model that has one. Values leave the model (and this) when the clock reaches
    /// their expiry, so the model is always what reads at the clock's time must find.
    var expiries: [[UInt8]: Timestamp] = [:]
    /// The database's clock, moved only by the test.
    let clock = TestClock()
    /// The model's keys in bytewise order, rebuilt lazily after writes.
    var sortedKeysCache: [[UInt8]]?
    var snapshots: [ModelSnapshot] = []
    /// The small key space: numbered text keys, and binary keys around 0x00 and 0xFF, including the empty key.
    let keys: [[UInt8]]
    /// Whether writes must be synced (every write of a round that ends in a crash is).
    var syncWrites = false
    var round = 0
    var operation = 0

    init(seed: UInt64) throws {
        self.seed = seed
        random = SplitMix64(seed: seed &* 0x1000_0001)
        var options = Options()
        options.memtableSize = 256 << (seed % 4 + 1)
        options.blockSize = 256
        options.maxImmutableMemtables = Int.random(in: 1...2, using: &random)
        // Tiny level targets, so compactions run all the time and reach several levels.
        options.level0CompactionTrigger = 2
        options.level0SlowdownTrigger = 4
        options.level0StopTrigger = 8
        options.level1MaxBytes = 4096 << (seed % 3)
        options.levelSizeMultiplier = Int(seed % 2) + 3
        options.targetFileSize = 1024 << (seed % 2)
        options.clock = clock.wallClock
        // Toggled at every restart, so tables with compressed blocks and raw ones mix (see ``restartOptions()``).
        options.compression = seed % 2 == 0 ? .lz4 : .none
        fixture = CrashFixture("model", options: options)

        var keys: [[UInt8]] = [[], [0x00], [0x00, 0x00], [0x00, 0xFF], [0xFF], [0xFF, 0x00], [0xFF, 0xFF], [0x7F], [0x80]]
        for i in 0..<280 { keys.append(Array("k\(i * 7 % 1000)".utf8)) }
        keys.append(Array("k7".utf8) + [0x00])
        keys.append(Array("k7".utf8) + [0xFF])
        keys.append(Array("k7".utf8) + [0x00, 0x00])
        keys.append([UInt8](repeating: 0x61, count: 200))
        self.keys = keys

        db = try fixture.openDatabase()
    }

    func tearDown() {
        snapshots = []
        try? db.close()
        fixture.remove()
    }

    /// Where a failed check happened, so the seed, round and operation can be replayed.
    var location: Comment { "seed \(seed), round \(round), operation \(operation), clock \(clock.now)" }

    /// The model with its expiries.
    var expiringModel: ExpiringModelState {
        get { ExpiringModelState(values: model, expiries: expiries) }
        set {
            model = newValue.values
            expiries = newValue.expiries
            sortedKeysCache = nil
        }
    }

    func run() throws {
        let endings = RoundEnding.allCases.shuffled(using: &random)
        for (index, ending) in endings.enumerated() {
            round = index
            syncWrites = ending != .reopen
            for i in 0..<Self.operationsPerRound {
                operation = i
                try randomOperation()
            }
            let stats = try db.statistics()
            #expect(stats.compactionCount > 0, "no compaction ran in \(location)")
            switch ending {
            case .reopen:
                try reopen()
            case .crash:
                try crashAndReopen(candidates: [expiringModel])
            case .crashAfterUnsyncedTail:
                syncWrites = false
                var candidates = [expiringModel]
                for _ in 0..<Int.random(in: 1...40, using: &random) {
                    if Int.random(in: 0..<4, using: &random) == 0 {
                        try randomRangeDeletion()
                    } else {
                        try randomWrite()
                    }
                    if Int.random(in: 0..<8, using: &random) == 0 { advanceClock() }
                    candidates.append(expiringModel)
                }
                try crashAndReopen(candidates: candidates)
            }
            try #require(try databaseContentsWithExpiries(db) == expiringModel, location)
        }
        try db.close()
    }

    // MARK: Operations

    private func randomOperation() throws {
        let dice = Int.random(in: 0..<1000, using: &random)
        switch dice {
        case 0..<500: try randomWrite()
        case 500..<740: try checkGet(snapshot: nil)
        case 740..<780: advanceClock()
        case 780..<830: try checkScan(reverse: false, snapshot: nil)
        case 830..<870: try checkScan(reverse: true, snapshot: nil)
        case 870..<920: try checkSnapshotRead()
        case 920..<994: try changeSnapshots()
        case 994: try checkCheckpoint()
        case 995..<998: try db.flush()
        default: try compactRandomRange()
        }
    }

    /// A checkpoint opened on its own (with the real file system, as a backup is) holds exactly the model.
    private func checkCheckpoint() throws {
        let destination = TemporaryDirectory("model-checkpoint")
        defer { destination.remove() }
        let path = destination.appending("copy")
        try db.checkpoint(to: path)
        var options = Options()
        options.clock = clock.wallClock
        let copy = try Database.open(path, options: options)
        defer { try? copy.close() }
        #expect(try databaseContentsWithExpiries(copy) == expiringModel, location)
    }

    /// A manual compaction of everything or of a random key range; contents must not change.
    private func compactRandomRange() throws {
        if Bool.random(using: &random) {
            try db.compact()
        } else {
            let a = keys.randomElement(using: &random)!
            let b = keys.randomElement(using: &random)!
            try db.compact(from: bytewiseLess(a, b) ? a : b, to: bytewiseLess(a, b) ? b : a)
        }
    }

    /// A put (a third of them expiring, at a moment or after a duration), a delete, a range deletion or a batch of
    /// them, applied to the database and then to the model. Now and then a range deletion's start is above its end:
    /// the write must fail with `invalidArgument` and leave the database as it was, batch and all.
    private func randomWrite() throws {
        let dice = Int.random(in: 0..<100, using: &random)
        var next = expiringModel
        let now = clock.now
        if dice < 59 {
            let key = randomKey()
            let value = randomValue()
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                let expiry = clock.later(randomExpiryDelay())
                try db.put(key, value, expiresAt: expiry, sync: syncWrites)
                next.write(key, value, expiresAt: expiry, now: now)
            case 1:
                let delay = randomExpiryDelay()
                try db.put(key, value, expiresAfter: .milliseconds(delay), sync: syncWrites)
                next.write(key, value, expiresAt: clock.later(delay), now: now)
            default:
                try db.put(key, value, sync: syncWrites)
                next.write(key, value, now: now)
            }
        } else if dice < 82 {
            let key = randomKey()
            try db.delete(key, sync: syncWrites)
            next.write(key, nil, now: now)
        } else if dice < 84 {
            try randomRangeDeletion()
            return
        } else {
            var batch = WriteBatch()
            var put: [[UInt8]] = []
            var inverted = false
            for _ in 0..<Int.random(in: 1...10, using: &random) {
                let key = randomKey()
                switch Int.random(in: 0..<16, using: &random) {
                case 0..<7:
                    let value = randomValue()
                    batch.put(key, value)
                    next.write(key, value, now: now)
                    put.append(key)
                case 7..<10:
                    let value = randomValue()
                    let expiry = clock.later(randomExpiryDelay())
                    batch.put(key, value, expiresAt: expiry)
                    next.write(key, value, expiresAt: expiry, now: now)
                    put.append(key)
                case 10..<15:
                    batch.delete(key)
                    next.write(key, nil, now: now)
                default:
                    // Sometimes over exactly a key this batch put before it, which it deletes.
                    var (start, end) = randomRange(over: next.values.keys.sorted(by: bytewiseLess))
                    if !put.isEmpty && Int.random(in: 0..<3, using: &random) == 0 {
                        start = put.randomElement(using: &random)!
                        end = start + [0x00]
                    }
                    if start != end && Int.random(in: 0..<20, using: &random) == 0 {
                        batch.deleteRange(from: end, to: start)
                        inverted = true
                    } else {
                        batch.deleteRange(from: start, to: end)
                        next.deleteRange(from: start, to: end)
                    }
                }
            }
            if inverted {
                try expectRefused { () throws(LSMError) in try db.write(batch, sync: syncWrites) }
                return
            }
            try db.write(batch, sync: syncWrites)
        }
        expiringModel = next
    }

    /// A `deleteRange` call, applied to the database and then to the model; one in ten has its start above its end
    /// and must be refused.
    private func randomRangeDeletion() throws {
        let (start, end) = randomRange(over: sortedModelKeys())
        if start != end && Int.random(in: 0..<10, using: &random) == 0 {
            try expectRefused { () throws(LSMError) in try db.deleteRange(from: end, to: start, sync: syncWrites) }
            return
        }
        // Both forms: the bytes of arrays, and of slices through the generic one.
        if Bool.random(using: &random) {
            try db.deleteRange(from: start, to: end, sync: syncWrites)
        } else {
            try db.deleteRange(from: start[...], to: end[...], sync: syncWrites)
        }
        var next = expiringModel
        next.deleteRange(from: start, to: end)
        expiringModel = next
    }

    /// Runs a write with an inverted range: it must fail with `invalidArgument` and write nothing.
    private func expectRefused(_ write: () throws(LSMError) -> Void) throws {
        let error = try #require(throws: LSMError.self, location) { try write() }
        try #require(error.code == .invalidArgument, location)
        try #require(
            try databaseContentsWithExpiries(db) == expiringModel, "\(location): a refused write changed the database")
    }

    /// A range to delete, `sortedKeys` being the live keys in order: mostly from a live key over up to four of them,
    /// ending on the next live key (which stays) or just past the last one covered; some between two neighbouring
    /// live keys, covering none of them; some between two random keys (often large); some empty; rarely the whole
    /// key space.
    private func randomRange(over sortedKeys: [[UInt8]]) -> (start: [UInt8], end: [UInt8]) {
        let count = sortedKeys.count
        switch Int.random(in: 0..<200, using: &random) {
        case 0..<90 where count > 0:
            let first = Int.random(in: 0..<count, using: &random)
            let last = min(count - 1, first + Int.random(in: 0...3, using: &random))
            let end = last + 1 < count && Bool.random(using: &random) ? sortedKeys[last + 1] : sortedKeys[last] + [0x00]
            return (sortedKeys[first], end)
        case 90..<160 where count > 1:
            let index = Int.random(in: 0..<(count - 1), using: &random)
            return (sortedKeys[index] + [0x00], sortedKeys[index + 1])
        case 160..<190:
            let key = randomKey()
            return (key, key)
        case 199:
            return ([], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        default:
            let a = randomKey()
            let b = randomKey()
            return bytewiseLess(a, b) ? (a, b) : (b, a)
        }
    }

    /// Moves the clock on: by nothing, by 1 ms, to exactly the next expiry or 1 ms before it, a little, or past
    /// many expiries. Values that expire by the new time leave the model.
    private func advanceClock() {
        let now = clock.now
        let nextExpiry = expiries.values.min().map { now.milliseconds(until: $0) }
        let delta: Int64 =
            switch Int.random(in: 0..<10, using: &random) {
            case 0: 0
            case 1: 1
            case 2, 3: nextExpiry ?? 1
            case 4: nextExpiry.map { $0 - 1 } ?? 0
            case 5...7: Int64.random(in: 2...100, using: &random)
            default: Int64.random(in: 100...5000, using: &random)
            }
        clock.advance(delta)
        expiringModel = expiringModel.expired(at: clock.now)
    }

    /// A get, or a get with the expiry, compared with the model (or with the snapshot's, often for a key the
    /// snapshot holds that is gone since).
    private func checkGet(snapshot index: Int?) throws {
        let snapshot = index.map { snapshots[$0] }
        // Deleted since, by key or by range, or expired.
        let gone = snapshot.map { $0.sortedKeys.filter { model[$0] == nil } } ?? []
        let key = !gone.isEmpty && Bool.random(using: &random) ? gone.randomElement(using: &random)! : randomKey()
        let expected = snapshot.map { $0.state[key] } ?? model[key]
        let expectedExpiry = snapshot.map { $0.expiries[key] } ?? expiries[key]
        if Bool.random(using: &random) {
            try #require(try db.get(key, snapshot: snapshot?.snapshot) == expected, location)
        } else {
            let got = try db.getWithExpiry(key, snapshot: snapshot?.snapshot)
            try #require(got?.value == expected && got?.expiresAt == expectedExpiry, location)
        }
    }

    private func checkSnapshotRead() throws {
        guard !snapshots.isEmpty else { return }
        let index = Int.random(in: 0..<snapshots.count, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0, 1: try checkGet(snapshot: index)
        case 2: try checkScan(reverse: false, snapshot: index)
        default: try checkScan(reverse: true, snapshot: index)
        }
    }

    /// Takes a snapshot (recording the model with it) or releases one.
    private func changeSnapshots() throws {
        if snapshots.count < 4 && Bool.random(using: &random) {
            let snapshot = try db.snapshot()
            try #require(snapshot.time == clock.now, location)
            snapshots.append(
                ModelSnapshot(snapshot: snapshot, state: model, expiries: expiries, sortedKeys: sortedModelKeys()))
        } else if !snapshots.isEmpty {
            snapshots.remove(at: Int.random(in: 0..<snapshots.count, using: &random)).snapshot.release()
        }
    }

    /// Reads part of a cursor with random bounds, a random seek before or during the scan, and sometimes a write or a
    /// move of the clock in the middle (which the cursor must not see), comparing every entry and its expiry with
    /// the model.
    private func checkScan(reverse: Bool, snapshot index: Int?) throws {
        let lower = Bool.random(using: &random) ? randomKey() : nil
        let upper = Bool.random(using: &random) ? randomKey() : nil
        let state = index.map { snapshots[$0].state } ?? model
        let stateExpiries = index.map { snapshots[$0].expiries } ?? expiries
        let sortedKeys = index.map { snapshots[$0].sortedKeys } ?? sortedModelKeys()
        var inRange = sortedKeys.filter { key in
            (lower.map { !bytewiseLess(key, $0) } ?? true) && (upper.map { bytewiseLess(key, $0) } ?? true)
        }
        if reverse { inRange.reverse() }
        let all = inRange.map { DatabaseModelEntry(key: $0, value: state[$0]!, expiry: stateExpiries[$0]) }

        let cursor = try db.cursor(from: lower, to: upper, reverse: reverse, snapshot: index.map { snapshots[$0].snapshot })
        var expected = ArraySlice(all)
        if Int.random(in: 0..<10, using: &random) < 3 {
            expected = seek(cursor, in: all, reverse: reverse)
        }
        let limit = Int.random(in: 0..<8, using: &random) == 0 ? Int.max : Int.random(in: 1...20, using: &random)
        var read = 0
        var seekAt = Int.random(in: 0..<8, using: &random) == 0 ? Int.random(in: 0...10, using: &random) : -1
        var writeAt = Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 0...10, using: &random) : -1
        var clockAt = Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 0...10, using: &random) : -1
        while read < limit {
            if read == seekAt {
                expected = seek(cursor, in: all, reverse: reverse)
                seekAt = -1
            }
            if read == writeAt {
                try randomWrite()
                writeAt = -1
            }
            if read == clockAt {
                advanceClock()
                clockAt = -1
            }
            let got = try cursor.next().map { DatabaseModelEntry(key: $0.key, value: $0.value, expiry: cursor.expiry) }
            try #require(got == expected.first, location)
            if got == nil { break }
            expected = expected.dropFirst()
            read += 1
        }
    }

    /// Seeks `cursor` to a random key and returns what it must yield next, as a suffix of `all`.
    private func seek(_ cursor: Cursor, in all: [DatabaseModelEntry], reverse: Bool) -> ArraySlice<DatabaseModelEntry> {
        let target = randomKey()
        cursor.seek(to: target)
        let start = all.firstIndex { entry in
            reverse ? !bytewiseLess(target, entry.key) : !bytewiseLess(entry.key, target)
        }
        return all[(start ?? all.count)...]
    }

    // MARK: Restarts

    private func reopen() throws {
        snapshots = []
        restartOptions()
        db = try fixture.reopen(db)
    }

    /// Switches compression on or off for the next open: tables written before stay as they are, and compactions
    /// merge them with tables of the other kind.
    private func restartOptions() {
        fixture.options.compression = fixture.options.compression == .lz4 ? .none : .lz4
    }

    /// Loses power and reopens (see ``CrashFixture/crashAndReopen(_:)``), and requires the contents and expiries to
    /// equal one of `candidates` as read now (values that expired since a candidate was recorded are gone from it),
    /// which becomes the model.
    private func crashAndReopen(candidates: [ExpiringModelState]) throws {
        snapshots = []
        restartOptions()
        db = try fixture.crashAndReopen(db)
        let recovered = try databaseContentsWithExpiries(db)
        let match = candidates.lastIndex { $0.expired(at: clock.now) == recovered }
        try #require(
            match != nil, "\(location): recovered \(recovered.values.count) keys, matching no prefix of the writes")
        expiringModel = recovered
    }

    // MARK: Random data

    private func sortedModelKeys() -> [[UInt8]] {
        if let sortedKeysCache { return sortedKeysCache }
        let sorted = model.keys.sorted(by: bytewiseLess)
        sortedKeysCache = sorted
        return sorted
    }

    /// Mostly a key of the key space; sometimes a short key of random bytes from around its edges.
    private func randomKey() -> [UInt8] {
        if Int.random(in: 0..<10, using: &random) > 0 { return keys.randomElement(using: &random)! }
        let alphabet: [UInt8] = [0x00, 0x01, 0x6B, 0x30, 0x37, 0x7F, 0x80, 0xFE, 0xFF]
        return (0..<Int.random(in: 0...4, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
    }

    /// Milliseconds from now to a new value's expiry: sometimes already reached, mostly within the next few moves of
    /// the clock, sometimes far beyond them.
    private func randomExpiryDelay() -> Int64 {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: Int64.random(in: -3...0, using: &random)
        case 1..<5: Int64.random(in: 1...100, using: &random)
        case 5..<9: Int64.random(in: 1...3000, using: &random)
        default: Int64.random(in: 3000...600_000, using: &random)
        }
    }

    /// Mostly short values, up to 300 bytes, occasionally 5 KiB (larger than a block and most memtables). A third
    /// repeat a few random bytes, so that compression finds blocks worth compressing.
    private func randomValue() -> [UInt8] {
        let dice = Int.random(in: 0..<100, using: &random)
        let count = dice == 0 ? 5 << 10 : dice < 60 ? Int.random(in: 0...24, using: &random) : Int.random(in: 0...300, using: &random)
        if Int.random(in: 0..<3, using: &random) == 0 {
            let length = Int.random(in: 1...6, using: &random)
            let pattern = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            return (0..<count).map { pattern[$0 % pattern.count] }
        }
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }
}
