#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// Damage to every kind of file of a database (storage format 2), at many offsets, each on a fresh copy.
///
/// The database is built of synced writes: tables in levels 0 and 1, two closed logs whose flush failed (it was held
/// at a gate, then failed) and the newest log, closed by a clean close, so the manifest records three live logs. A second database is
/// built by the same operations, so it has the same file names (and sizes) but another identity. Each case applies
/// one damage (a bit flip, a truncation, zeros from an offset to the end, deletion, or replacement by the other
/// database's file of the same name) to one file of a copy, then:
/// - `Database.check(at:)` changes nothing, and reports a problem (or throws `.notADatabase`) whenever the open
///   refuses the database; a clean report means the open must succeed;
/// - an open that throws throws `.corruption` naming a file (`.notADatabase` without `CURRENT`) and changes no file
///   (a `LOCK` may appear);
/// - an open that succeeds returns exactly the acknowledged writes, from a full scan and a get of every key, except
///   that the last write may be missing when the damage lies in the last record of the newest log; a read may
///   throw `.corruption` (a damaged or foreign table is read lazily) but never return a wrong value; and after a
///   close, `check` is clean unless a read met the damage.
///
/// Failing cases are grouped by cause, one issue per group, with the cases (file, damage, offset) that show it.
@Suite struct DamageMatrixTests {
    @Test func damagedCurrentFile() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "CURRENT")
        let size = fixture.files[FileNames.current]!.count
        matrix.run(file: FileNames.current, kind: "CURRENT", every: Array(0..<size))
        matrix.finish()
    }

    @Test func damagedManifest() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "manifest")
        let size = fixture.files[fixture.manifestName]!.count
        matrix.run(file: fixture.manifestName, kind: "manifest", every: Array(0..<size))
        matrix.finish()
    }

    @Test func damagedNewestLog() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "newest log")
        matrix.runLog(fixture.newestLog, kind: "newest log", seed: 1)
        matrix.finish()
    }

    @Test func damagedOlderLogs() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "older logs")
        for (index, log) in fixture.olderLogs.enumerated() {
            matrix.runLog(log, kind: "older log", seed: 2 + UInt64(index))
        }
        matrix.finish()
    }

    @Test func damagedTables() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "tables")
        for (index, table) in fixture.tables.enumerated() {
            var random = SplitMix64(seed: 100 + UInt64(index))
            let size = fixture.files[table.name]!.count
            var offsets = Set(table.boundaries.filter { $0 < size })
            for _ in 0..<40 { offsets.insert(Int.random(in: 0..<size, using: &random)) }
            var truncations = Set(table.boundaries.filter { $0 < size })
            for _ in 0..<10 { truncations.insert(Int.random(in: 0..<size, using: &random)) }
            matrix.run(file: table.name, kind: "table (level \(table.level))", flips: offsets.sorted(),
                       truncations: truncations.sorted(), zeroFills: offsets.sorted(), random: &random)
        }
        matrix.finish()
    }

    /// The undamaged copy opens to exactly the model, and its check is clean: the baseline every case departs from.
    @Test func undamagedCopyOpensToTheModel() throws {
        let fixture = try DamageFixture.shared.get()
        print("DamageMatrix fixture: \(fixture.states.count - 1) synced writes; files "
              + fixture.files.keys.sorted().map { "\($0) (\(fixture.files[$0]!.count) bytes)" }.joined(separator: ", ")
              + "; tables \(fixture.tables.map { "\($0.name)@L\($0.level)" }); closed logs \(fixture.olderLogs.map(\.name)) holding writes "
              + "\(fixture.olderLogs.map(\.writes)), newest \(fixture.newestLog.name) holding writes "
              + "\(fixture.newestLog.writes) in records at \(fixture.newestLog.recordStarts); "
              + "other database's files of another size: "
              + "\(fixture.files.keys.filter { fixture.foreign[$0]!.count != fixture.files[$0]!.count }.sorted()), "
              + "identical: \(fixture.files.keys.filter { fixture.foreign[$0]! == fixture.files[$0]! }.sorted())")
        var matrix = DamageMatrix(fixture, title: "undamaged")
        matrix.runUndamaged()
        #expect(matrix.refused == 0 && matrix.opened == 1)
        matrix.finish()
        #expect(fixture.olderLogs.count >= 1, "at least one closed log is live")
        #expect(fixture.tableLevels.count >= 2, "tables in two or more levels: \(fixture.tableLevels)")
    }
}

// MARK: - The damaged database

/// A database's files, by name, as they were on disk.
typealias DatabaseFiles = [String: [UInt8]]

/// Where the records of a log lie.
struct LogLayout: Sendable {
    var name: String
    /// Offset of each record's header.
    var recordStarts: [Int]
    var size: Int
    /// The writes its records hold, in order (record i holds write `writes.lowerBound + i`, numbered from 1 as
    /// the fixture's states are).
    var writes: ClosedRange<Int> = 1...1
}

/// A table and the offsets where its structure changes (block starts and ends, trailers, footer fields).
struct TableLayout: Sendable {
    var name: String
    var level: Int
    var boundaries: [Int]
}

/// Two databases built by the same synced writes, their files captured as a power loss would leave them, and the
/// model: the database's contents after each write.
struct DamageFixture: Sendable {
    var options: Options
    var files: DatabaseFiles
    var foreign: DatabaseFiles
    /// `states[i]` is the content after the first `i` writes; every write is one log record.
    var states: [ModelState]
    /// Every key ever written, and two never written.
    var keys: [[UInt8]]
    var manifestName: String
    var newestLog: LogLayout
    /// Closed logs the manifest records as live, oldest first.
    var olderLogs: [LogLayout]
    var tables: [TableLayout]
    /// The level of each table.
    var tableLevels: Set<Int>

    static let shared: Result<DamageFixture, LSMError> = Result { () throws(LSMError) in try build() }

    static var options: Options {
        var options = Options()
        options.memtableSize = 1024
        options.blockSize = 256
        options.maxImmutableMemtables = 3
        // Small outputs and level targets, so compactions leave several tables over levels 1 and 2.
        options.targetFileSize = 600
        options.level1MaxBytes = 2000
        return options
    }

    private static func build() throws(LSMError) -> DamageFixture {
        let scratch = TemporaryDirectory("damage-fixture", inMemory: true)
        defer { scratch.remove() }
        let a = try BuiltDatabase(at: scratch.appending("a"), options: options)
        let b = try BuiltDatabase(at: scratch.appending("b"), options: options)
        guard a.files.keys.sorted() == b.files.keys.sorted(), a.states == b.states else {
            throw LSMError(.invalidArgument, "the two databases differ: \(a.files.keys.sorted()) vs \(b.files.keys.sorted())")
        }
        var keys = Set<[UInt8]>()
        for state in a.states { keys.formUnion(state.keys) }
        keys.formUnion(a.deletedKeys)
        keys.insert(Array("absent".utf8))
        keys.insert(Array("zzz-never-written".utf8))
        return DamageFixture(
            options: options, files: a.files, foreign: b.files, states: a.states, keys: keys.sorted(by: bytewiseLess),
            manifestName: a.manifestName, newestLog: a.newestLog, olderLogs: a.olderLogs, tables: a.tables,
            tableLevels: Set(a.tables.map(\.level)))
    }
}

/// One database built by the fixture's operations.
private struct BuiltDatabase {
    var files: DatabaseFiles = [:]
    var states: [ModelState] = [[:]]
    var deletedKeys = Set<[UInt8]>()
    /// The sequence numbers of each write (write i at index i - 1).
    var sequences: [ClosedRange<UInt64>] = []
    var manifestName = ""
    var newestLog = LogLayout(name: "", recordStarts: [], size: 0)
    var olderLogs: [LogLayout] = []
    var tables: [TableLayout] = []

    /// Synced writes with every flush and compaction awaited, so the tree's shape and the file numbers depend only
    /// on the operations: tables compacted into level 1 and flushed to level 0; then, with table creation held, a
    /// memtable switch, more writes, a second switch and a few writes in the newest log. Then the held flush fails
    /// and the database is closed, and its files are read.
    init(at path: String, options: Options) throws(LSMError) {
        let fs = GatedFileSystem()
        let db = try Database.open(path, options: options, fileSystem: fs)
        var random = SplitMix64(seed: 0xDA4A_6E00)
        func write() throws(LSMError) {
            var batch = WriteBatch()
            var next = states.last!
            let shape = Int.random(in: 0..<100, using: &random)
            let count = shape < 12 ? 3 : 1
            for j in 0..<count {
                let key = Array("key-\(Int.random(in: 10..<40, using: &random))".utf8)
                if (shape < 12 && j == 2) || (shape >= 12 && shape < 24 && next[key] != nil) {
                    batch.delete(key)
                    next[key] = nil
                    deletedKeys.insert(key)
                } else {
                    let value = Array("value-\(states.count)-\(j)-".utf8)
                        + [UInt8](repeating: UInt8(ascii: "a") + UInt8(states.count % 26),
                                  count: Int.random(in: 4...40, using: &random))
                    batch.put(key, value)
                    next[key] = value
                }
            }
            let first = try db.statistics().lastSequence + 1
            try db.write(batch, sync: true)
            states.append(next)
            sequences.append(first...(first + UInt64(batch.count) - 1))
        }
        for _ in 0..<45 {
            try write()
            db.waitForBackgroundWork()
        }
        try db.compact()
        for _ in 0..<30 {
            try write()
            db.waitForBackgroundWork()
        }
        // Flushes from here on wait at the gate: each memtable switch leaves a closed log that stays live.
        fs.hold()
        var switches = 0
        for _ in 0..<200 where switches < 2 {
            try write()
            let waiting = try db.statistics().immutableMemtables
            if waiting > switches {
                switches = waiting
                if switches == 1 && !fs.waitForArrivals(1) {
                    throw LSMError(.ioError, "the flush never reached the gate")
                }
            }
        }
        for _ in 0..<4 { try write() }
        let waiting = try db.statistics().immutableMemtables
        // The held flush fails, which keeps the two switched-out logs live; the close then records the newest log
        // as closed with its size, as every clean close does.
        fs.release(failing: true)
        try db.close()
        let info = try Database.info(at: path)
        let posix = PosixFileSystem()
        for name in try posix.listDirectory(path) where name != FileNames.lock && name != FileNames.eventLog {
            files[name] = try posix.readWholeFile(FileNames.path(path, name))
        }
        guard switches == 2, waiting == 2 else {
            throw LSMError(.invalidArgument, "expected two memtables waiting for their flush, found \(waiting)")
        }

        manifestName = info.manifestName
        let live = info.logs.filter(\.isLive)
        guard live.count == 3, live.allSatisfy({ $0.closedSize == UInt64(files[$0.name]?.count ?? -1) }) else {
            throw LSMError(.invalidArgument, "expected three logs closed with their sizes, found \(info.logs)")
        }
        var layouts: [LogLayout] = []
        for log in live {
            let bytes = files[log.name]!
            guard let starts = recordStarts(bytes) else {
                throw LSMError(.invalidArgument, "log \(log.name) does not parse")
            }
            layouts.append(LogLayout(name: log.name, recordStarts: starts, size: bytes.count))
        }
        let recordCount = layouts.reduce(0) { $0 + $1.recordStarts.count }
        guard recordCount < states.count - 1, layouts.last!.recordStarts.count >= 4 else {
            throw LSMError(.invalidArgument, "unexpected log records: \(layouts.map(\.recordStarts.count))")
        }
        // Every write is one record, and the live logs hold the last writes in commit order: check it record by
        // record from the sequence numbers and entry counts in each batch's header.
        var write = states.count - recordCount
        var sequence = sequences[write - 1].lowerBound
        for index in layouts.indices {
            let bytes = files[layouts[index].name]!
            layouts[index].writes = write...(write + layouts[index].recordStarts.count - 1)
            for start in layouts[index].recordStarts {
                let payload = start + RecordFileFormat.version2.recordHeaderSize
                let first = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[payload + $1]) << (8 * $1) }
                let count = (0..<4).reduce(0) { $0 | Int(bytes[payload + 8 + $1]) << (8 * $1) }
                guard first == sequence, first...(first + UInt64(count) - 1) == sequences[write - 1] else {
                    throw LSMError(.invalidArgument, "record at \(start) of \(layouts[index].name) is not write \(write)")
                }
                sequence += UInt64(count)
                write += 1
            }
        }
        guard write == states.count else { throw LSMError(.invalidArgument, "the logs do not end at the last write") }
        olderLogs = Array(layouts.dropLast())
        newestLog = layouts.last!
        for level in info.levels {
            for table in level.tables {
                let file = try posix.openReadable(FileNames.path(path, table.name))
                let opened = try Table.open(file: file, fileNumber: table.number, blockCache: nil)
                var handles = [opened.footer.indexHandle, opened.footer.propertiesHandle]
                if opened.footer.filterHandle.size > 0 { handles.append(opened.footer.filterHandle) }
                handles += try opened.indexEntries().map(\.handle)
                var boundaries = Set<Int>()
                for handle in handles {
                    let start = Int(handle.offset), end = Int(handle.offset + handle.size)
                    boundaries.formUnion([start, start + 1, end - 1, end, end + 1, end + Block.trailerSize - 1])
                }
                let footer = Int(file.size) - Footer.encodedLength
                boundaries.formUnion([footer, footer + 16, footer + 32, footer + 48, footer + 52, footer + 56,
                                      Int(file.size) - 1])
                tables.append(TableLayout(name: table.name, level: level.level, boundaries: boundaries.sorted()))
            }
        }
    }
}

/// Offsets of the record headers of a log in format version 2, or nil when the framing does not add up.
private func recordStarts(_ log: [UInt8]) -> [Int]? {
    var starts: [Int] = []
    var offset = RecordFileHeader.encodedLength
    let headerSize = RecordFileFormat.version2.recordHeaderSize
    while offset + headerSize <= log.count {
        starts.append(offset)
        let length = (0..<4).reduce(0) { $0 | Int(log[offset + 4 + $1]) << (8 * $1) }
        offset += headerSize + length
    }
    return offset == log.count ? starts : nil
}

// MARK: - Running the cases

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
    private let started = monotonicSeconds()
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
        let seconds = monotonicSeconds() - started
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
        let before = snapshot(dir)

        var checkReport: CheckReport?
        var checkError: LSMError?
        do {
            checkReport = try Database.check(at: dir)
        } catch {
            checkError = error
        }
        if snapshot(dir) != before { fail("\(cause): check changed files", label) }
        if let checkError, checkError.code != .notADatabase {
            fail("\(cause): check threw \(checkError.code) instead of reporting", "\(label): \(checkError)")
        }

        let db: Database
        do {
            db = try Database.open(dir, options: fixture.options)
        } catch {
            refused += 1
            let after = snapshot(dir)
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
            let file = try fs.openWritable(FileNames.path(dir, name), truncate: true)
            try file.append(bytes)
            try file.close()
        }
    }

    private func removeCopy(_ dir: String) {
        if let names = try? PosixFileSystem().listDirectory(dir) {
            for name in names { unlink(FileNames.path(dir, name)) }
        }
        rmdir(dir)
    }

    /// Every file but `LOCK`, with its bytes.
    private func snapshot(_ dir: String) -> DatabaseFiles {
        let fs = PosixFileSystem()
        var files: DatabaseFiles = [:]
        for name in (try? fs.listDirectory(dir)) ?? [] where name != FileNames.lock {
            files[name] = (try? fs.readWholeFile(FileNames.path(dir, name))) ?? []
        }
        return files
    }

    private func describeChanges(_ before: DatabaseFiles, _ after: DatabaseFiles) -> String {
        let created = Set(after.keys).subtracting(before.keys).sorted()
        let removed = Set(before.keys).subtracting(after.keys).sorted()
        let changed = before.keys.filter { after[$0] != nil && after[$0] != before[$0] }.sorted()
        return "created \(created), removed \(removed), changed \(changed)"
    }
}
