#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// `Database.repair(at:)`: a database open refuses is rebuilt from what can be read, keeping every readable key,
/// moving what it does not use into `lost/`, deleting nothing; afterwards check is clean.
@Suite struct RepairTests {
    private static let fs = PosixFileSystem()

    /// A closed database of synced writes: tables in levels 0 and 1 (several blocks each) and writes still only
    /// in its log; and what it holds.
    private static func makeDatabase(in dir: TemporaryDirectory, name: String = "db") throws -> (String, ModelState) {
        let path = dir.appending(name)
        var options = Options()
        options.blockSize = 256
        let db = try Database.open(path, options: options)
        var model: ModelState = [:]
        func put(_ key: String, _ value: String) throws {
            try db.put(key.bytes, value.bytes, sync: true)
            model[key.bytes] = value.bytes
        }
        for i in 0..<120 { try put("key\(1000 + i)", "first \(i) " + String(repeating: "x", count: i % 30)) }
        try db.compact()
        for i in stride(from: 0, to: 120, by: 3) { try put("key\(1000 + i)", "second \(i)") }
        try db.delete("key1001".bytes, sync: true)
        model["key1001".bytes] = nil
        try db.flush()
        for i in 0..<10 { try put("late\(i)", "in the log \(i)") }
        try db.close()
        return (path, model)
    }

    private static func contents(_ path: String) throws -> ModelState {
        let db = try Database.open(path)
        defer { try? db.close() }
        return try databaseContents(db)
    }

    /// Every file of the directory (not of lost/) with its contents.
    private static func files(_ path: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for name in try fs.listDirectory(path) where !fs.isDirectory(FileNames.path(path, name)) {
            result[name] = try fs.readWholeFile(FileNames.path(path, name))
        }
        return result
    }

    /// Every file repair set aside must be in lost/ with its bytes unchanged.
    private static func expectNothingDeleted(_ before: [String: [UInt8]], _ path: String, _ report: RepairReport) throws {
        let lost = FileNames.path(path, Repairer.lostFolder)
        for (name, bytes) in before where name != FileNames.current && name != FileNames.lock && name != FileNames.eventLog {
            let kept = try? fs.readWholeFile(FileNames.path(path, name))
            let setAside = try? fs.readWholeFile(FileNames.path(lost, name))
            #expect(kept == bytes || setAside == bytes, "\(name) is neither in place nor in lost/")
        }
        #expect(Set(report.movedToLost).isSubset(of: Set(try fs.listDirectory(lost))))
    }

    @Test func aTruncatedManifestIsRebuiltWithEveryKey() throws {
        let dir = TemporaryDirectory("repair")
        defer { dir.remove() }
        let (path, model) = try Self.makeDatabase(in: dir)
        let manifest = FileNames.path(path, try Database.info(at: path).manifestName)
        #expect(truncate(manifest, 100) == 0)
        let refused = #expect(throws: LSMError.self) { try Database.open(path) }
        #expect(refused?.code == .corruption && refused?.message.contains("lsm repair") == true)
        #expect(try !Database.check(at: path).isClean)

        let before = try Self.files(path)
        let report = try Database.repair(at: path)
        try Self.expectNothingDeleted(before, path, report)
        #expect(report.keyCount == UInt64(model.count))
        #expect(try Database.check(at: path).isClean)
        #expect(try Self.contents(path) == model)
        // A second repair of a sound database keeps everything too.
        let again = try Database.repair(at: path)
        #expect(again.keyCount == UInt64(model.count) && again.tablesSalvaged == 0)
        #expect(try Self.contents(path) == model)
    }

    @Test func aMissingCurrentIsReportedWithTheRepairHintAndRebuilt() throws {
        let dir = TemporaryDirectory("repair")
        defer { dir.remove() }
        let (path, model) = try Self.makeDatabase(in: dir)
        try Self.fs.removeFile(FileNames.path(path, FileNames.current))
        let refused = #expect(throws: LSMError.self) { try Database.open(path) }
        #expect(refused?.code == .notADatabase)
        #expect(refused?.message.contains("CURRENT file is missing") == true)
        #expect(refused?.message.contains("lsm repair") == true)
        _ = try Database.repair(at: path)
        #expect(try Self.contents(path) == model)
        #expect(try Database.check(at: path).isClean)
    }

    @Test func aDamagedTableBlockLosesOnlyThatBlocksKeys() throws {
        let dir = TemporaryDirectory("repair")
        defer { dir.remove() }
        let (path, model) = try Self.makeDatabase(in: dir)
        let deepest = try #require(try Database.info(at: path).levels.last { !$0.tables.isEmpty })
        let tablePath = FileNames.path(path, deepest.tables[0].name)
        let table = try TableFile.open(tablePath)
        let blocks = try table.indexEntries()
        try #require(blocks.count >= 3)
        // The keys of the second block, which the damage loses (their newest versions may live elsewhere).
        var lostKeys = Set<[UInt8]>()
        let entries = table.entries()
        while let entry = try entries.next() {
            if entry.blockOffset == blocks[1].block.offset { lostKeys.insert(entry.key.userKey) }
        }
        var bytes = try Self.fs.readWholeFile(tablePath)
        bytes[Int(blocks[1].block.offset) + 10] ^= 0x20
        try Self.fs.writeWholeFile(bytes, to: tablePath)
        #expect(try !Database.check(at: path).isClean)

        let report = try Database.repair(at: path)
        #expect(report.tablesSalvaged == 1)
        #expect(report.movedToLost.contains(deepest.tables[0].name))
        let repaired = try Self.contents(path)
        for (key, value) in repaired { #expect(model[key] == value, "\(key) has a value the database never held") }
        let missing = Set(model.keys).subtracting(repaired.keys)
        #expect(!missing.isEmpty && missing.isSubset(of: lostKeys))
        #expect(try Database.check(at: path).isClean)
    }

    @Test func logRecordsAfterDamageAreKept() throws {
        let dir = TemporaryDirectory("repair")
        defer { dir.remove() }
        let (path, model) = try Self.makeDatabase(in: dir)
        let log = FileNames.path(path, try #require(try Database.info(at: path).logs.last).name)
        var bytes = try Self.fs.readWholeFile(log)
        // The first record's payload: its write (late0) is lost, the nine after it are not.
        bytes[RecordFileHeader.encodedLength + 13 + 14] ^= 0x01
        try Self.fs.writeWholeFile(bytes, to: log)
        let refused = #expect(throws: LSMError.self) { try Database.open(path) }
        #expect(refused?.code == .corruption && refused?.path == log)

        let report = try Database.repair(at: path)
        #expect(report.logRecordsRead == 9 && report.logBytesSkipped > 0)
        var expected = model
        expected["late0".bytes] = nil
        #expect(try Self.contents(path) == expected)
    }

    @Test func filesOfAnotherDatabaseAreSetAsideUnread() throws {
        let dir = TemporaryDirectory("repair")
        defer { dir.remove() }
        let (path, model) = try Self.makeDatabase(in: dir)
        let (other, _) = try Self.makeDatabase(in: dir, name: "other")
        let foreign = try #require(try Database.info(at: other).tables.first)
        let stray = FileNames.path(path, FileNames.table(900))
        try Self.fs.writeWholeFile(try Self.fs.readWholeFile(FileNames.path(other, foreign.name)), to: stray)
        try Self.fs.removeFile(FileNames.path(path, FileNames.current))

        let report = try Database.repair(at: path)
        #expect(report.notes.contains { $0.hasPrefix("000900.sst: belongs to database") })
        #expect(report.movedToLost.contains("000900.sst"))
        #expect(try Self.contents(path) == model)
    }

    @Test func anOpenDatabaseOrADirectoryWithoutOneIsRefused() throws {
        let dir = TemporaryDirectory("repair")
        defer { dir.remove() }
        let (path, _) = try Self.makeDatabase(in: dir)
        let db = try Database.open(path)
        let locked = #expect(throws: LSMError.self) { try Database.repair(at: path) }
        #expect(locked?.code == .databaseLocked)
        try db.close()
        let empty = dir.appending("empty")
        try Self.fs.createDirectory(empty)
        let nothing = #expect(throws: LSMError.self) { try Database.repair(at: empty) }
        #expect(nothing?.code == .notADatabase)
        let missing = #expect(throws: LSMError.self) { try Database.repair(at: dir.appending("missing")) }
        #expect(missing?.code == .notADatabase)
    }
}
