#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// A database's files, by name, as they were on disk.
typealias DatabaseFiles = [String: [UInt8]]

/// Every file in `directory` but `LOCK` (which opening rewrites), with its bytes: what a test compares before and
/// after an operation that must change no file. A file that cannot be read counts as empty.
func databaseFiles(in directory: String) -> DatabaseFiles {
    let fs = PosixFileSystem()
    var files: DatabaseFiles = [:]
    for name in (try? fs.listDirectory(directory)) ?? [] where name != FileNames.lock {
        files[name] = (try? fs.readWholeFile(FileNames.path(directory, name))) ?? []
    }
    return files
}

/// Copies every file of a database but `LOCK` into the empty directory `destination`, keeping only the first
/// `cut` bytes of the file named `cutting`, if any. Copied while the database is open, the files are what a crash
/// would leave.
func copyDatabase(from source: String, to destination: String, cutting: String? = nil, at cut: Int = 0) throws {
    let fs = PosixFileSystem()
    for name in try fs.listDirectory(source) where name != FileNames.lock {
        var bytes = try fs.readWholeFile(source + "/" + name)
        if name == cutting { bytes.removeLast(bytes.count - cut) }
        try fs.writeWholeFile(bytes, to: destination + "/" + name)
    }
}

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
        // Small outputs and level targets, so compactions leave several tables over levels 1 and 2 (level 1 holds
        // 2,000 bytes: a tenth of level1MaxBytes, as long as the levels below hold less than it).
        options.targetFileSize = 600
        options.level1MaxBytes = 20_000
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
                let opened = try Table(file: file, fileNumber: table.number, blockCache: nil)
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
