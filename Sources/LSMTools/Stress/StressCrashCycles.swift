import LSM

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kill -9 loop: a child process makes synced writes and reports each one acknowledged; the parent kills it
/// with SIGKILL at a random moment, reopens the database itself and checks that every acknowledged write is
/// there with at least its acknowledged version; then again, on the same database, `cycles` times.
///
/// With ``StressConfiguration/expiryPercent``, some writes expire: the reread judges them by the wall clock as it
/// begins, and a key whose newest known write has expired by then (or whose write the kill cut short expired) may
/// read as absent, though never as an older value.
///
/// With ``StressConfiguration/rangeDeletePercent``, some writes delete a range of keys: a key whose newest
/// acknowledged write is such a deletion must be absent (until a newer write), and a range deletion the kill cut
/// short must have applied to all of its keys or to none.
///
/// Most kills fall while the child writes (so, with the small memtable, often during a flush or compaction);
/// one cycle in eight kills the child while it is still opening the database, to crash recovery itself.
struct StressCrashCycles {
    let config: StressConfiguration
    let cycles: Int
    let directory: String
    let out: OutputSink
    let err: OutputSink

    /// What the parent knows about each key: the version it must at least have (0: none required), when the write
    /// of that version expires (nil: never), and whether that write is a range deletion covering the key.
    private struct Floors {
        var versions: [UInt64]
        var expiries: [Timestamp?]
        var deleted: [Bool]
        /// The version the next child starts writing from: above every version acknowledged, announced or seen.
        var nextVersion: UInt64 = 1
    }

    /// A write of the child's: its key, its version and when it expires (nil: never); or, when `deleted`, a range
    /// deletion at that version covering the key.
    private struct Write {
        var key: Int
        var version: UInt64
        var expiry: Timestamp?
        var deleted = false
    }

    /// A range deletion of the child's: its keys and its version.
    private struct RangeDeletion {
        var keys: Range<Int>
        var version: UInt64

        var description: String {
            "range deletion of \(StressData.keyText(keys.lowerBound)) to \(StressData.keyText(keys.upperBound)) "
                + "at version \(version)"
        }
    }

    /// How one cycle's kill is timed.
    private enum Kill {
        /// This long after the child reported the database open.
        case afterReady(milliseconds: Int)
        /// This long after the child started opening the database.
        case duringOpen(milliseconds: Int)
    }

    /// What one child did before it died.
    private struct CycleLog {
        var acknowledged = 0
        /// How many of the acknowledged writes expire.
        var acknowledgedExpiring = 0
        /// How many of the acknowledged writes are range deletions.
        var acknowledgedRangeDeletions = 0
        /// The acknowledged write of the highest version per key, range deletions included.
        var acks: [Int: Write] = [:]
        /// The expiring write announced last, until its acknowledgement: after the kill, the one that may have
        /// landed unacknowledged.
        var announced: Write?
        /// The same for the range deletion announced last.
        var announcedRange: RangeDeletion?
        var killedAfterReady = true
        var millisecondsBeforeKill = 0
    }

    /// Runs the cycles, printing a line for each and a summary.
    func run() -> StressEnding {
        out.line(
            "lsm stress: \(cycles) crash cycle\(cycles == 1 ? "" : "s"), \(StressFormat.count(config.keys)) keys, "
                + "\(StressFormat.bytes(config.valueSize)) values, "
                + "\(StressFormat.bytes(config.memtableSize)) memtable, compression \(config.compression.rawValue), "
                + (config.expiryPercent > 0 ? "\(config.expiryPercent)% of writes expiring, " : "")
                + (config.rangeDeletePercent > 0
                    ? "\(config.rangeDeletePercent)% of writes deleting up to \(StressChildWriter.longestRange) keys, "
                    : "")
                + "seed \(config.seed), in \(directory)")
        var floors = Floors(
            versions: Array(repeating: 0, count: config.keys), expiries: Array(repeating: nil, count: config.keys),
            deleted: Array(repeating: false, count: config.keys))
        var random = SplitMix64(seed: config.seed, stream: 1 << 32)
        var totalAcknowledged = 0
        var totalExpiring = 0
        var totalRangeDeletions = 0
        var killsDuringOpen = 0
        var openMilliseconds = 20
        var warnings = 0
        for cycle in 1...cycles {
            // The first cycle creates the database; a kill during creation loses nothing acknowledged, so it is
            // not what the loop looks for.
            let kill: Kill =
                cycle > 1 && random.next() % 8 == 0
                ? .duringOpen(milliseconds: Int(random.next() % UInt64(max(1, openMilliseconds))))
                : .afterReady(milliseconds: 1 + Int(random.next() % UInt64(config.crashWindowMilliseconds)))
            let log: CycleLog
            switch runChild(
                cycle: cycle, firstVersion: floors.nextVersion, kill: kill, openMilliseconds: &openMilliseconds)
            {
            case .success(let result): log = result
            case .failure(let failure):
                err.line("lsm stress: cycle \(cycle): \(failure)")
                return .failed
            }
            for (key, ack) in log.acks where ack.version > floors.versions[key] {
                floors.versions[key] = ack.version
                floors.expiries[key] = ack.expiry
                floors.deleted[key] = ack.deleted
            }
            let newest = max(
                log.acks.values.map(\.version).max() ?? 0, log.announced?.version ?? 0,
                log.announcedRange?.version ?? 0)
            floors.nextVersion = max(floors.nextVersion, newest + 1)
            totalAcknowledged += log.acknowledged
            totalExpiring += log.acknowledgedExpiring
            totalRangeDeletions += log.acknowledgedRangeDeletions
            if !log.killedAfterReady { killsDuringOpen += 1 }

            switch checkFiles(after: "the kill") {
            case .success(let count): warnings += count
            case .failure(let failure):
                err.line("lsm stress: cycle \(cycle): \(failure)")
                err.line("lsm stress: FAILED in cycle \(cycle) of \(cycles)")
                return .mismatch
            }
            let present: Int
            let expired: Int
            let deleted: Int
            let shape: String
            switch verify(&floors, unacknowledged: log.announced, unacknowledgedRange: log.announcedRange) {
            case .success(let result): (present, expired, deleted, shape) = result
            case .failure(let failure):
                err.line("lsm stress: cycle \(cycle): \(failure)")
                err.line("lsm stress: FAILED in cycle \(cycle) of \(cycles)")
                return .mismatch
            }
            let when = log.killedAfterReady ? "after \(log.millisecondsBeforeKill) ms of writing" : "while opening"
            out.line(
                "cycle \(cycle)/\(cycles): killed \(when), "
                    + "\(StressFormat.count(log.acknowledged)) writes acknowledged; "
                    + "files check clean; reopened: \(StressFormat.count(config.keys)) keys checked, "
                    + "\(StressFormat.count(present)) present, "
                    + (config.expiryPercent > 0 ? "\(StressFormat.count(expired)) expired, " : "")
                    + (config.rangeDeletePercent > 0 ? "\(StressFormat.count(deleted)) deleted by range, " : "")
                    + "files/level \(shape): ok")
            // Nobody would see the rest.
            if out.hasFailed { return .failed }
        }
        if case .failure(let failure) = checkFiles(after: "the last cycle") {
            err.line("lsm stress: \(failure)")
            return .mismatch
        }
        var kinds: [String] = []
        if config.expiryPercent > 0 { kinds.append("\(StressFormat.count(totalExpiring)) expiring") }
        if config.rangeDeletePercent > 0 { kinds.append("\(StressFormat.count(totalRangeDeletions)) range deletions") }
        out.line(
            "crash cycles: \(cycles) passed (\(killsDuringOpen) killed while opening), "
                + "\(StressFormat.count(totalAcknowledged)) acknowledged writes checked"
                + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))") + ", none lost")
        out.line(
            "database check: clean after every kill and at the end (\(warnings) warning\(warnings == 1 ? "" : "s"): "
                + "torn log tails and files an interrupted flush or compaction left)")
        return out.hasFailed ? .failed : .passed
    }

    /// Runs the library's full check (every checksum, the manifest, key order) on the files as they are; returns
    /// the number of warnings, or a failure naming the first problems.
    private func checkFiles(after moment: String) -> Result<Int, StressFailure> {
        let report: CheckReport
        do {
            report = try Database.check(at: directory)
        } catch {
            return .failure(StressFailure("database check after \(moment) could not run: \(error)"))
        }
        guard report.isClean else {
            let shown = report.problems.prefix(5).map(\.description).joined(separator: "; ")
            return .failure(
                StressFailure(
                    "database check after \(moment) found \(report.problems.count) problem(s): \(shown)"))
        }
        return .success(report.warnings.count)
    }

    // MARK: The child

    /// Runs one writer child until the kill, collecting its acknowledgements.
    private func runChild(
        cycle: Int, firstVersion: UInt64, kill: Kill, openMilliseconds: inout Int
    ) -> Result<CycleLog, StressFailure> {
        let arguments = [
            "stress", "--child-writer", "--dir", directory, "--seed", "\(config.seed &+ UInt64(cycle))",
            "--keys", "\(config.keys)", "--value-size", "\(config.valueSize)",
            "--memtable-size", "\(config.memtableSize)", "--compression", config.compression.rawValue,
            "--first-version", "\(firstVersion)", "--expiry-percent", "\(config.expiryPercent)",
            "--range-delete-percent", "\(config.rangeDeletePercent)",
        ]
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(config.childExecutable, arguments: arguments)
        } catch {
            return .failure(StressFailure(error.message))
        }
        var log = CycleLog()
        let spawned = MonotonicClock.nanoseconds()
        var openingAt: UInt64?
        var readyAt: UInt64?
        var deadline: UInt64?
        var killed = false
        var protocolError: String?

        func handle(_ line: String) {
            let words = line.split(separator: " ")
            if words.count == 3, words[0] == "ack", let key = Int(words[1]), let version = UInt64(words[2]),
                key >= 0, key < config.keys, version >= firstVersion
            {
                log.acknowledged += 1
                if let range = log.announcedRange, range.keys.lowerBound == key, range.version == version {
                    log.announcedRange = nil
                    log.acknowledgedRangeDeletions += 1
                    for covered in range.keys where version > log.acks[covered]?.version ?? 0 {
                        log.acks[covered] = Write(key: covered, version: version, deleted: true)
                    }
                    return
                }
                var ack = Write(key: key, version: version)
                if let announced = log.announced, announced.key == key, announced.version == version {
                    ack.expiry = announced.expiry
                    log.announced = nil
                    log.acknowledgedExpiring += 1
                }
                if version > log.acks[key]?.version ?? 0 { log.acks[key] = ack }
            } else if words.count == 4, words[0] == "expiring", let key = Int(words[1]),
                let version = UInt64(words[2]), let expiry = Int64(words[3]), key >= 0, key < config.keys,
                version >= firstVersion
            {
                log.announced = Write(key: key, version: version, expiry: Timestamp(millisecondsSinceEpoch: expiry))
            } else if words.count == 4, words[0] == "deleting", let start = Int(words[1]), let end = Int(words[2]),
                let version = UInt64(words[3]), start >= 0, start < end, end <= config.keys, version >= firstVersion
            {
                log.announcedRange = RangeDeletion(keys: start..<end, version: version)
            } else if line == "opening" {
                openingAt = MonotonicClock.nanoseconds()
                if case .duringOpen(let milliseconds) = kill, !killed {
                    deadline = MonotonicClock.nanoseconds() + UInt64(milliseconds) * 1_000_000
                }
            } else if line == "ready" {
                readyAt = MonotonicClock.nanoseconds()
                if let openingAt { openMilliseconds = Int((MonotonicClock.nanoseconds() - openingAt) / 1_000_000) }
                if case .afterReady(let milliseconds) = kill, !killed {
                    deadline = MonotonicClock.nanoseconds() + UInt64(milliseconds) * 1_000_000
                }
            } else if protocolError == nil {
                protocolError = "the writer child printed an unexpected line: \(line)"
            }
        }

        // Read until the kill is due, then kill; acknowledgements already in the pipe still count.
        while !child.outputClosed && !killed {
            let now = MonotonicClock.nanoseconds()
            if let deadline, now >= deadline {
                child.kill()
                killed = true
                if let readyAt { log.millisecondsBeforeKill = Int((now - readyAt) / 1_000_000) }
                break
            }
            if deadline == nil && now - spawned > 120_000_000_000 {
                child.kill()
                _ = child.finish()
                return .failure(StressFailure("the writer child did not open the database within 120 s"))
            }
            let wait = deadline.map { Int(($0 - min($0, now)) / 1_000_000) + 1 } ?? 100
            for line in child.readLines(waitingUpTo: min(wait, 100)) { handle(line) }
        }
        let ending = child.finish()
        for line in child.readLines(waitingUpTo: 0) { handle(line) }
        if let protocolError { return .failure(StressFailure(protocolError)) }
        guard killed, ending == .killed(signal: SIGKILL) else {
            let detail = child.errorText.split(separator: "\n").last.map { ": \($0)" } ?? ""
            return .failure(StressFailure("the writer child \(ending) before it was killed\(detail)"))
        }
        log.killedAfterReady = readyAt != nil
        return .success(log)
    }

    // MARK: Checking

    /// Reopens the database, its clock stopped at the wall clock's time as the reread begins, and checks every key:
    /// an acknowledged key holds an intact value of at least its floor version, with the expiry that write had,
    /// unless that write has expired or is a range deletion, when it may be absent (and a range deletion's older
    /// values may not show). `unacknowledged`, the expiring write the kill may have cut short, may have landed, and
    /// have made its key absent if it has expired. `unacknowledgedRange`, the range deletion the kill may have cut
    /// short, applied to all of its keys or to none: a key it covers that lost a value it must hold says it applied,
    /// a value older than it says it did not, and both at once is a failure. Any other key is absent or holds an
    /// intact value of itself that does not expire, and no value read has expired. What the reread showed becomes
    /// the new floors (what a clean reopen showed must never go back). Returns the number of keys present, of keys
    /// absent because their newest write expired, of keys absent because a range deletion covers them, and the
    /// table files per level.
    private func verify(
        _ floors: inout Floors, unacknowledged: Write?, unacknowledgedRange: RangeDeletion?
    ) -> Result<(present: Int, expired: Int, deleted: Int, levels: String), StressFailure> {
        let size = config.valueSize
        let time = WallClock.system.now()
        var next = floors
        // What the point read of each key found.
        var seen = [Write?](repeating: nil, count: config.keys)
        var present = 0
        var expired = 0
        var deleted = 0
        var listed = 0
        // A key of the cut-short range deletion that shows it applied (with the version it lost), and one that shows
        // it did not (with the version it holds).
        var applied: (key: Int, lost: UInt64)?
        var notApplied: (key: Int, holds: UInt64)?
        let reread = StressReread.run(config, directory: directory, time: time) { key, got, expiry in
            let floor = floors.versions[key]
            let floorExpiry = floors.expiries[key]
            let cut = unacknowledged?.key == key ? unacknowledged : nil
            let cutRange = unacknowledgedRange.map { $0.keys.contains(key) } ?? false
            let name = StressData.keyText(key)
            guard let got else {
                let cutExpired = cut?.expiry.map { $0 <= time } ?? false
                if let cut, cutExpired {
                    // The cut-short write landed and expired: nothing older may show again.
                    next.versions[key] = cut.version
                    next.expiries[key] = cut.expiry
                    next.deleted[key] = false
                } else if floor > 0, !floors.deleted[key], floorExpiry.map({ $0 > time }) ?? true {
                    // Only the cut-short range deletion can have removed it.
                    guard cutRange else {
                        return StressFailure(
                            "lost acknowledged write: key \(name) version \(floor)\(Self.expiring(floorExpiry)): "
                                + "got nil" + (floorExpiry == nil ? "" : " at \(time)"))
                    }
                    applied = applied ?? (key, floor)
                    deleted += 1
                    return nil
                }
                if floors.deleted[key] && !cutExpired {
                    deleted += 1
                } else if cutExpired || floor > 0 {
                    expired += 1
                }
                return nil
            }
            guard let version = StressData.version(of: got, key: key, size: size) else {
                return StressFailure("corrupt value: key \(name): got \(StressData.describe(got, size: size))")
            }
            if version < floor && floors.deleted[key] {
                return StressFailure(
                    "deleted value came back: key \(name) deleted by range at version \(floor): got version \(version)")
            }
            if version < floor {
                return StressFailure("lost acknowledged write: key \(name) version \(floor): got version \(version)")
            }
            // The range deletion is the newest write: any value of a key it covers is older.
            if cutRange { notApplied = notApplied ?? (key, version) }
            let written = version == floor ? floorExpiry : version == cut?.version ? cut?.expiry : nil
            guard expiry == written else {
                let wrote = Self.expiring(written, or: "without one")
                let read = Self.expiring(expiry, or: "without one")
                return StressFailure("wrong expiry: key \(name) version \(version) was written\(wrote), read\(read)")
            }
            if let expiry, expiry <= time {
                return StressFailure(
                    "expired value read: key \(name) version \(version)\(Self.expiring(expiry)): read at \(time)")
            }
            seen[key] = Write(key: key, version: version, expiry: expiry)
            next.versions[key] = version
            next.expiries[key] = expiry
            next.deleted[key] = false
            present += 1
            return nil
        } scanned: { key, value, expiry in
            // A full scan must agree with the point reads.
            listed += 1
            guard let read = seen[key], StressData.version(of: value, key: key, size: size) == read.version,
                expiry == read.expiry
            else {
                let get = seen[key].map { "version \($0.version)\(Self.expiring($0.expiry))" } ?? "nil"
                return StressFailure(
                    "scan after reopen disagrees with get for key \(StressData.keyText(key)): scan has "
                        + "\(StressData.describe(value, size: size))\(Self.expiring(expiry)), get had \(get)")
            }
            return nil
        }
        let statistics: Statistics?
        switch reread {
        case .success(let final): statistics = final
        case .failure(let failure): return .failure(failure)
        }
        guard listed == present else {
            return .failure(StressFailure("scan after reopen listed \(listed) keys, point reads found \(present)"))
        }
        if let range = unacknowledgedRange, let applied {
            if let notApplied {
                return .failure(
                    StressFailure(
                        "\(range.description), cut short by the kill, applied to only some of its keys: "
                            + "\(StressData.keyText(applied.key)) lost version \(applied.lost), "
                            + "\(StressData.keyText(notApplied.key)) holds version \(notApplied.holds)"))
            }
            for key in range.keys {
                next.versions[key] = range.version
                next.expiries[key] = nil
                next.deleted[key] = true
            }
        }
        floors = next
        floors.nextVersion = max(floors.nextVersion, (floors.versions.max() ?? 0) + 1)
        return .success((present, expired, deleted, StressFormat.levels(statistics?.levelFileCounts ?? [])))
    }

    /// ` expiring at T` for a value that expires; for one that does not, ` ` and `none`, or nothing when `none` is
    /// nil: for messages.
    private static func expiring(_ expiry: Timestamp?, or none: String? = nil) -> String {
        expiry.map { " expiring at \($0)" } ?? none.map { " " + $0 } ?? ""
    }
}
