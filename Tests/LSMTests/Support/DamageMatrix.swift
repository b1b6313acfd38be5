#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// One way of damaging one file.
enum Damage: CustomStringConvertible {
    case flip(offset: Int, mask: UInt8)
    case truncate(to: Int)
    case zeroFill(from: Int)
    case delete
    case foreign
    /// Replaced by another file of this database, of the same kind, under this name.
    case renamed(from: String)

    var name: String {
        switch self {
        case .flip: "bit flip"
        case .truncate: "truncation"
        case .zeroFill: "zero-fill to end"
        case .delete: "deletion"
        case .foreign: "replaced by the other database's file"
        case .renamed: "replaced by another of its files, renamed"
        }
    }

    var description: String {
        switch self {
        case .flip(let offset, let mask): "flip 0x\(String(mask, radix: 16)) at \(offset)"
        case .truncate(let size): "truncate to \(size)"
        case .zeroFill(let offset): "zeros from \(offset)"
        case .delete: "delete"
        case .foreign: "replace by foreign"
        case .renamed(let other): "replace by \(other)"
        }
    }

    /// Where the damage starts, for damage at an offset.
    var offset: Int? {
        switch self {
        case .flip(let offset, _), .truncate(let offset), .zeroFill(let offset): offset
        case .delete, .foreign, .renamed: nil
        }
    }
}

/// Runs damage cases against one fixture and collects failures by cause.
struct DamageMatrix {
    private let fixture: DamageFixture
    private let title: String
    private let scratch: TemporaryDirectory
    private let started = MonotonicClock.seconds()
    private var caseNumber = 0
    private(set) var opened = 0
    private(set) var refused = 0
    private var droppedLastWrite = 0
    private var readCorruption = 0
    /// Failing cases by cause: each case's description, and the file and offset it damaged.
    private var failures: [String: [(detail: String, file: String, offset: Int?)]] = [:]
    private var causeOrder: [String] = []
    /// The case being run: its file and the damage's offset.
    private var current: (file: String, offset: Int?) = ("", nil)
    /// Cases refused although the damage lies in the last record of the newest log, where the rule would allow
    /// dropping that record (stricter than the rule: no write is lost, so not a failure; reported for the record).
    private(set) var refusedInTornTail: [Int] = []
    /// Observations that are not failures (printed): which file a refusing open names, and what it says.
    private var notes: [String: [String]] = [:]
    private var noteOrder: [String] = []

    init(_ fixture: DamageFixture, title: String) {
        self.fixture = fixture
        self.title = title
        scratch = TemporaryDirectory("damage", inMemory: true)
    }

    /// Every damage at every offset of `every` (the whole file, or a part), then deletion and replacement.
    mutating func run(file: String, kind: String, every offsets: [Int]) {
        var random = SplitMix64(seed: 7)
        run(file: file, kind: kind, flips: offsets, truncations: offsets, zeroFills: offsets, random: &random)
    }

    mutating func run(file: String, kind: String, flips: [Int], truncations: [Int], zeroFills: [Int],
                      random: inout SplitMix64) {
        for offset in flips {
            run(file: file, kind: kind, .flip(offset: offset, mask: 1 << UInt8(offset % 8)))
        }
        for offset in truncations { run(file: file, kind: kind, .truncate(to: offset)) }
        for offset in zeroFills { run(file: file, kind: kind, .zeroFill(from: offset)) }
        run(file: file, kind: kind, .delete)
        run(file: file, kind: kind, .foreign)
        let logs = [fixture.newestLog.name] + fixture.olderLogs.map(\.name)
        let tables = fixture.tables.map(\.name)
        for other in (logs.contains(file) ? logs : tables.contains(file) ? tables : []) where other != file {
            run(file: file, kind: kind, .renamed(from: other))
        }
    }

    /// Every byte of the log's file header and of its last three records; 40 random offsets and the record
    /// boundaries elsewhere.
    mutating func runLog(_ log: LogLayout, kind: String, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let tailStart = log.recordStarts[max(0, log.recordStarts.count - 3)]
        var offsets = Set(0..<RecordFileHeader.encodedLength)
        offsets.formUnion(tailStart..<log.size)
        for start in log.recordStarts {
            offsets.formUnion([start, start + 4, start + 8, start + 9, start + 12, start + 13])
        }
        if tailStart > RecordFileHeader.encodedLength {
            for _ in 0..<40 { offsets.insert(Int.random(in: RecordFileHeader.encodedLength..<tailStart, using: &random)) }
        }
        let sorted = offsets.filter { $0 < log.size }.sorted()
        run(file: log.name, kind: kind, flips: sorted, truncations: sorted, zeroFills: sorted, random: &random)
    }

    mutating func runUndamaged() {
        run(file: FileNames.current, kind: "none", nil)
    }

    /// Records one issue per cause, and prints what ran.
    func finish() {
        let seconds = MonotonicClock.seconds() - started
        print("DamageMatrix \(title): \(caseNumber) cases in \((seconds * 10).rounded() / 10) s: "
              + "\(opened) opened (\(droppedLastWrite) without the torn last write, \(readCorruption) with reads "
              + "refused as corruption), \(refused) refused; \(failures.values.reduce(0) { $0 + $1.count }) failing")
        if !refusedInTornTail.isEmpty {
            print("DamageMatrix \(title): refused although the damage is in the newest log's last record (stricter "
                  + "than the torn-tail rule, nothing lost): offsets \(ranges(refusedInTornTail))")
        }
        for note in noteOrder {
            // One example for each file named.
            var examples: [String: String] = [:]
            for detail in notes[note]! {
                let named = String(detail.prefix { $0 != ":" })
                if examples[named] == nil { examples[named] = detail }
            }
            print("DamageMatrix \(title) note: \(note): \(notes[note]!.count) case(s), e.g.\n  "
                  + examples.keys.sorted().map { examples[$0]! }.joined(separator: "\n  "))
        }
        for cause in causeOrder {
            let cases = failures[cause]!
            // Examples that differ in more than the offset: the first case of each outcome.
            var seen = Set<String>()
            let distinct = cases.filter { seen.insert(String($0.detail.split(separator: "(", maxSplits: 1).last ?? "")).inserted }
            let shown = distinct.prefix(8).map(\.detail).joined(separator: "\n  ")
            var files: [String] = []
            for file in Set(cases.map(\.file)).sorted() {
                let offsets = cases.filter { $0.file == file }.compactMap(\.offset)
                files.append("\(file)" + (offsets.isEmpty ? "" : " at offsets \(ranges(offsets))"))
            }
            let text = "\(cause): \(cases.count) case(s), in \(files.joined(separator: "; "))\n  \(shown)"
                + (distinct.count > 8 ? "\n  ..." : "")
            Issue.record("\(text)")
        }
        scratch.remove()
    }

    /// `offsets` as ascending runs: "44, 48-57, 63".
    private func ranges(_ offsets: [Int]) -> String {
        var runs: [String] = []
        var start: Int?
        var previous = 0
        for offset in Set(offsets).sorted() {
            if let first = start, offset != previous + 1 {
                runs.append(first == previous ? "\(first)" : "\(first)-\(previous)")
                start = offset
            } else if start == nil {
                start = offset
            }
            previous = offset
        }
        if let first = start { runs.append(first == previous ? "\(first)" : "\(first)-\(previous)") }
        return runs.joined(separator: ", ")
    }

    private mutating func note(_ what: String, _ detail: String) {
        if notes[what] == nil { noteOrder.append(what) }
        notes[what, default: []].append(detail)
    }

    private mutating func fail(_ cause: String, _ detail: String) {
        if failures[cause] == nil { causeOrder.append(cause) }
        failures[cause, default: []].append((detail, current.file, current.offset))
    }

    /// The files with `damage` applied to `name`.
    private func damaged(_ name: String, _ damage: Damage?) -> DatabaseFiles {
        var files = fixture.files
        guard let damage, var bytes = files[name] else { return files }
        switch damage {
        case .flip(let offset, let mask): bytes[offset] ^= mask
        case .truncate(let size): bytes.removeLast(bytes.count - size)
        case .zeroFill(let offset): for i in offset..<bytes.count { bytes[i] = 0 }
        case .delete:
            files[name] = nil
            return files
        case .foreign: bytes = fixture.foreign[name]!
        case .renamed(let other): bytes = fixture.files[other]!
        }
        files[name] = bytes
        return files
    }

    /// Whether the damage lies in the last record of the newest log: the one place where losing the last write is
    /// a torn tail rather than a loss.
    private func mayLoseLastWrite(_ name: String, _ damage: Damage?) -> Bool {
        guard name == fixture.newestLog.name, let offset = damage?.offset else { return false }
        return offset >= fixture.newestLog.recordStarts.last!
    }

    private mutating func run(file name: String, kind: String, _ damage: Damage?) {
        caseNumber += 1
        current = (name, damage?.offset)
        let label = "\(kind) \(name) \(damage.map { "\($0)" } ?? "undamaged")"
        let cause = "\(kind), \(damage?.name ?? "no damage")"
        let dir = scratch.appending("case\(caseNumber)")
        defer { removeCopy(dir) }
        do {
            try writeCopy(damaged(name, damage), to: dir)
        } catch {
            return fail("\(cause): setting up the copy failed", "\(label): \(error)")
        }
        let before = databaseFiles(in: dir)

        var checkReport: CheckReport?
        var checkError: LSMError?
        do {
            checkReport = try Database.check(at: dir)
        } catch {
            checkError = error
        }
        if databaseFiles(in: dir) != before { fail("\(cause): check changed files", label) }
        if let checkError, checkError.code != .notADatabase {
            fail("\(cause): check threw \(checkError.code) instead of reporting", "\(label): \(checkError)")
        }

        let db: Database
        do {
            db = try Database.open(dir, options: fixture.options)
        } catch {
            refused += 1
            let after = databaseFiles(in: dir)
            if after != before {
                fail("\(cause): open threw \(error.code) but changed files", "\(label): \(describeChanges(before, after)) (\(error))")
            }
            if error.code != .corruption && error.code != .notADatabase {
                fail("\(cause): open threw \(error.code), not corruption", "\(label): \(error)")
            } else if error.code == .corruption && error.path == nil {
                fail("\(cause): open's corruption names no file", "\(label): \(error)")
            }
            if let checkReport, checkReport.isClean {
                fail("\(cause): open refused the database but check is clean",
                     "\(label): open threw \(error); check warnings \(checkReport.warnings)")
            }
            if let checkError, (checkError.code == .notADatabase) != (error.code == .notADatabase) {
                fail("\(cause): check threw \(checkError.code) but open threw \(error.code)", "\(label): \(error)")
            }
            if mayLoseLastWrite(name, damage), let offset = damage?.offset { refusedInTornTail.append(offset) }
            let named = error.path.map(FileNames.lastComponent) ?? "no file"
            if named != name && error.code == .corruption {
                note("\(cause): the open's error names another file than the damaged one",
                     "names \(named): \(label): \(error.message)")
            } else if damage.map({ $0.offset == nil }) ?? false {
                note("\(cause): open's error", "names \(named): \(label): \(error.message)")
            }
            return
        }
        opened += 1
        if let checkError {
            fail("\(cause): open succeeded but check threw", "\(label): \(checkError)")
        }
        if let checkReport {
            let notTables = checkReport.problems.filter { !($0.path ?? "").hasSuffix(".sst") }
            if !notTables.isEmpty {
                fail("\(cause): open succeeded although check reports damage outside tables", "\(label): \(notTables)")
            }
        }
        let mayLose = mayLoseLastWrite(name, damage)
        let checked = checkReport.map { "check before the open: \($0.problems.count) problem(s), \($0.warnings.count) warning(s)" }
            ?? "check threw"
        let (sawCorruption, recovered) = verifyContents(db, label: "\(label) (\(checked))", cause: cause,
                                                        mayLoseLastWrite: mayLose)
        if sawCorruption { readCorruption += 1 }
        do {
            try db.close()
        } catch {
            fail("\(cause): close failed", "\(label): \(error)")
        }
        do {
            let report = try Database.check(at: dir)
            if sawCorruption && report.isClean {
                fail("\(cause): reads met corruption but check after open and close is clean", label)
            } else if !sawCorruption && !report.isClean {
                fail("\(cause): check after a successful open, clean reads and close reports problems",
                     "\(label): \(report.problems)")
            }
        } catch {
            fail("\(cause): check after a successful open and close threw", "\(label): \(error)")
        }
        if !sawCorruption, let recovered { verifyReopen(dir, expected: fixture.states[recovered], label: label, cause: cause) }
    }

    /// Opens the database again: it holds what the first open recovered, takes a synced write, and keeps it
    /// through another reopen (no write is lost behind a dropped tail).
    private mutating func verifyReopen(_ dir: String, expected: ModelState, label: String, cause: String) {
        do {
            let db = try Database.open(dir, options: fixture.options)
            let first = try databaseContents(db)
            let marker = (Array("zz-after-recovery".utf8), Array(label.utf8))
            try db.put(marker.0, marker.1, sync: true)
            try db.close()
            let again = try Database.open(dir, options: fixture.options)
            let second = try databaseContents(again)
            try again.close()
            var withMarker = expected
            withMarker[marker.0] = marker.1
            if first != expected {
                fail("\(cause): a second open does not see what the first recovered", label)
            } else if second != withMarker {
                fail("\(cause): a write after recovery was lost at the next open", label)
            }
        } catch {
            fail("\(cause): reopening after a successful open failed", "\(label): \(error)")
        }
    }

    /// Scans and gets every key; records wrong or lost values. Returns whether a read threw `.corruption`, and
    /// the index of the model state the reads showed, when they showed one.
    private mutating func verifyContents(_ db: Database, label: String, cause: String, mayLoseLastWrite: Bool)
        -> (sawCorruption: Bool, state: Int?)
    {
        let states = fixture.states
        let n = states.count - 1
        var allowed = [n]
        if mayLoseLastWrite { allowed.append(n - 1) }
        var sawCorruption = false

        var scanned: [([UInt8], [UInt8])] = []
        var scanComplete = false
        do {
            let cursor = try db.cursor()
            while let (key, value) = try cursor.next() { scanned.append((key, value)) }
            scanComplete = true
        } catch {
            if error.code == .corruption { sawCorruption = true } else {
                fail("\(cause): scan threw \(error.code)", "\(label): \(error)")
            }
        }
        // Which of the allowed states the scan shows (all of them, when it stopped at corruption with a prefix
        // consistent with them).
        func consistent(_ state: ModelState) -> Bool {
            if scanComplete {
                return scanned.count == state.count && scanned.allSatisfy { state[$0.0] == $0.1 }
            }
            guard scanned.allSatisfy({ state[$0.0] == $0.1 }) else { return false }
            guard let last = scanned.last?.0 else { return true }
            return state.keys.filter { !bytewiseLess(last, $0) }.count == scanned.count
        }
        var candidates = allowed.filter { consistent(states[$0]) }
        if candidates.isEmpty {
            if let k = states.indices.last(where: { consistent(states[$0]) }) {
                fail("\(cause): open succeeded but acknowledged synced writes are lost",
                     "\(label): scan shows the state after write \(k) of \(n) (\(n - k) write(s) lost)")
                return (sawCorruption, scanComplete ? k : nil)
            }
            fail("\(cause): scan returned wrong values", "\(label): \(scanned.count) entries, "
                 + (scanComplete ? "complete" : "cut short by corruption"))
            return (sawCorruption, nil)
        }
        if candidates.count > 1, scanComplete, candidates.contains(n - 1) {
            // Both states agree with the scan only when the last write changed nothing; take the full one.
            candidates = [n]
        }

        var wrong: [String] = []
        for key in fixture.keys {
            let value: [UInt8]?
            do {
                value = try db.get(key)
            } catch {
                if error.code == .corruption { sawCorruption = true } else {
                    fail("\(cause): get threw \(error.code)", "\(label): \(error)")
                }
                continue
            }
            candidates = candidates.filter { states[$0][key] == value }
            if candidates.isEmpty {
                wrong.append("\(String(decoding: key, as: UTF8.self)) = "
                             + "\(value.map { String(decoding: $0, as: UTF8.self) } ?? "nil"), expected "
                             + "\(states[n][key].map { String(decoding: $0, as: UTF8.self) } ?? "nil")")
                break
            }
        }
        if !wrong.isEmpty {
            fail("\(cause): get returned a wrong value", "\(label): \(wrong.joined(separator: "; "))")
            return (sawCorruption, nil)
        }
        if candidates == [n - 1] { droppedLastWrite += 1 }
        return (sawCorruption, candidates.count == 1 ? candidates[0] : nil)
    }

    // MARK: Files

    private func writeCopy(_ files: DatabaseFiles, to dir: String) throws(LSMError) {
        guard mkdir(dir, 0o755) == 0 else { throw LSMError(.ioError, "mkdir failed", path: dir) }
        let fs = PosixFileSystem()
        for (name, bytes) in files {
            try fs.writeWholeFile(bytes, to: FileNames.path(dir, name))
        }
    }

    private func removeCopy(_ dir: String) {
        if let names = try? PosixFileSystem().listDirectory(dir) {
            for name in names { unlink(FileNames.path(dir, name)) }
        }
        rmdir(dir)
    }

    private func describeChanges(_ before: DatabaseFiles, _ after: DatabaseFiles) -> String {
        let created = Set(after.keys).subtracting(before.keys).sorted()
        let removed = Set(before.keys).subtracting(after.keys).sorted()
        let changed = before.keys.filter { after[$0] != nil && after[$0] != before[$0] }.sorted()
        return "created \(created), removed \(removed), changed \(changed)"
    }
}
