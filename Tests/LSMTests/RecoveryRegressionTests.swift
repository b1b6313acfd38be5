#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// Each way an adversary once made recovery lose acknowledged writes, trap or guess (issue 9's findings), as a
/// regression test: the damage is now refused as corruption, with nothing on disk changed, and check agrees.
@Suite struct RecoveryRegressionTests {
    private static let fs = PosixFileSystem()

    /// Three synced puts, each flushed into its own table (the reproduction), closed; or with `crashed`,
    /// the files as a crash leaves them (copied while the database was open, so its newest log is not closed).
    private static func threeFlushes(in dir: TemporaryDirectory, name: String = "db", crashed: Bool = false) throws
        -> String
    {
        let path = dir.appending(name)
        let live = crashed ? dir.appending(name + "-live") : path
        let db = try Database.open(live)
        for (key, value) in [("a", "1"), ("b", "2"), ("c", "3")] {
            try db.put(key, value, sync: true)
            try db.flush()
        }
        if crashed {
            try fs.createDirectory(path)
            for file in try fs.listDirectory(live) where file != FileNames.lock {
                try fs.writeWholeFile(try fs.readWholeFile(FileNames.path(live, file)), to: FileNames.path(path, file))
            }
        }
        try db.close()
        return path
    }

    /// Every file in `path` with its size and contents (the first MiB of a huge sparse one).
    private static func snapshot(_ path: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try fs.listDirectory(path) {
            let file = try fs.openReadable(FileNames.path(path, name))
            var contents = try file.readExactly(at: 0, count: Int(min(file.size, 1 << 20)))
            contents.appendFixed64(file.size)
            files[name] = contents
        }
        return files
    }

    /// Opening fails with `.corruption` (naming a file), changes no file, and check reports a problem.
    private static func expectRefused(_ path: String, naming file: String? = nil, _ comment: Comment? = nil) throws {
        let before = try snapshot(path)
        let error = #expect(throws: LSMError.self, comment) { try Database.open(path) }
        #expect(error?.code == .corruption, comment)
        if let file { #expect(error?.path == file, comment) }
        var after = try snapshot(path)
        if before[FileNames.lock] == nil { after[FileNames.lock] = nil }
        #expect(after == before, comment)
        #expect(try !Database.check(at: path).isClean, comment)
    }

    // MARK: Finding 1: a damaged manifest

    @Test func aCutShortManifestIsRefusedNotEmptied() throws {
        let dir = TemporaryDirectory("regress")
        defer { dir.remove() }
        let path = try Self.threeFlushes(in: dir)
        let manifest = FileNames.path(path, try Database.info(at: path).manifestName)
        let bytes = try Self.fs.readWholeFile(manifest)
        let reader = try RecordReader(file: try Self.fs.openReadable(manifest), tailRule: .mustBeWhole)
        var offsets: [UInt64] = []
        while let record = try reader.next() { offsets.append(record.offset) }
        try #require(offsets.count >= 3)
        // The issue's `truncate -s 40`, and cuts before each edit but the last: each loses an edit that files on
        // disk depend on (a flush's, after which its log was deleted).
        var cases: [(String, [UInt8])] = [("truncated to 40", Array(bytes[..<40]))]
        for offset in offsets.dropFirst().dropLast() {
            cases.append(("cut at \(offset)", Array(bytes[..<Int(offset)])))
        }
        for (name, damaged) in cases {
            try Self.fs.writeWholeFile(damaged, to: manifest)
            try Self.expectRefused(path, "\(name)")
        }
        // The last edit records the clean close (the newest log's final size): losing it, cut, zeroed or flipped,
        // loses no write, so the open succeeds with everything and check only warns of the torn edit.
        let last = Int(offsets.last!)
        var flipped = bytes
        flipped[bytes.count - 3] ^= 0x10
        let harmless = [("last edit cut", Array(bytes[..<last])),
                        ("last edit zeroed", Array(bytes[..<last]) + [UInt8](repeating: 0, count: bytes.count - last)),
                        ("last edit flipped", flipped)]
        for (name, damaged) in harmless {
            let copy = TemporaryDirectory("regress-copy")
            defer { copy.remove() }
            for file in try Self.fs.listDirectory(path) where file != FileNames.lock {
                try Self.fs.writeWholeFile(try Self.fs.readWholeFile(FileNames.path(path, file)), to: copy.appending(file))
            }
            try Self.fs.writeWholeFile(damaged, to: copy.appending(FileNames.lastComponent(of: manifest)))
            let report = try Database.check(at: copy.path)
            #expect(report.isClean && report.warnings.count <= 1, "\(name)")
            let db = try Database.open(copy.path)
            #expect(try db.get("a") == "1" && db.get("b") == "2" && db.get("c") == "3", "\(name)")
            try db.close()
        }
        try Self.fs.writeWholeFile(bytes, to: manifest)
        let db = try Database.open(path)
        #expect(try db.get("a") == "1" && db.get("b") == "2" && db.get("c") == "3")
        try db.close()
    }

    // MARK: Finding 2: log damage outside a true crash tail

    /// A closed database whose four synced puts are only in its log; the database's path and the log's.
    private static func fourPutsInTheLog(in dir: TemporaryDirectory) throws -> (path: String, log: String) {
        let path = dir.appending("db")
        let db = try Database.open(path)
        for i in 0..<4 { try db.put("k\(i)", "v\(i)", sync: true) }
        try db.close()
        return (path, FileNames.path(path, try #require(try Database.info(at: path).logs.last).name))
    }

    @Test func aLengthDamagedToReachPastTheEndIsCorruption() throws {
        let dir = TemporaryDirectory("regress")
        defer { dir.remove() }
        let (path, log) = try Self.fourPutsInTheLog(in: dir)
        var bytes = try Self.fs.readWholeFile(log)
        // The second record's length (each record: 13-byte header + 16-byte batch).
        let second = RecordFileHeader.encodedLength + 29
        bytes[second + 7] = 0x7F
        try Self.fs.writeWholeFile(bytes, to: log)
        try Self.expectRefused(path, naming: log)
    }

    @Test func deletingTheLogThatHoldsUnflushedWritesIsCorruption() throws {
        let dir = TemporaryDirectory("regress")
        defer { dir.remove() }
        let (path, log) = try Self.fourPutsInTheLog(in: dir)
        try Self.fs.removeFile(log)
        try Self.expectRefused(path, naming: log)
    }

    @Test func anOlderLogMustBeWholeAndItsRecordedSize() throws {
        let fixture = CrashFixture("regress")
        defer { fixture.remove() }
        let path = fixture.path
        let db = try fixture.openDatabase()
        for i in 0..<6 { try db.put("k\(i)", "v\(i)", sync: true) }
        // The flush after the memtable switch fails to create its table (the second open after the new log's), so
        // the switched-out log stays live, closed, beside the newest one.
        fixture.fileSystem.injectFault(.init(kind: .open, afterCount: 1))
        let failed = #expect(throws: LSMError.self) { try db.flush() }
        #expect(failed?.code == .backgroundError)
        try db.close()
        let live = try Database.info(at: path).logs.filter(\.isLive)
        try #require(live.count == 2 && live.allSatisfy { $0.closedSize == $0.size })
        let older = FileNames.path(path, live[0].name)
        let bytes = try Self.fs.readWholeFile(older)
        // Its last record damaged (which in the newest log would be a torn tail), cut short, or zeroed at its end.
        var flipped = bytes
        flipped[bytes.count - 2] ^= 0x01
        let cases = [("last record flipped", flipped), ("cut short", Array(bytes.dropLast(5))),
                     ("tail zeroed", Array(bytes.dropLast(5)) + [0, 0, 0, 0, 0]),
                     ("grown", bytes + [0, 0, 0])]
        for (name, damaged) in cases {
            try Self.fs.writeWholeFile(damaged, to: older)
            try Self.expectRefused(path, naming: older, "\(name)")
        }
        try Self.fs.writeWholeFile(bytes, to: older)
        let reopened = try Database.open(path)
        #expect(try reopened.get("k5") == "v5" && reopened.get("k0") == "v0")
        try reopened.close()
    }

    // MARK: Finding 4: files of another database

    @Test func aManifestLogOrTableFromAnotherDatabaseIsRefused() throws {
        let dir = TemporaryDirectory("regress")
        defer { dir.remove() }
        let path = try Self.threeFlushes(in: dir)
        let other = try Self.threeFlushes(in: dir, name: "other")
        let info = try Database.info(at: path)
        let otherID = try Database.info(at: other).databaseID
        #expect(info.databaseID != nil && info.databaseID != otherID)
        let live = try #require(info.logs.last).name
        let table = try #require(info.tables.first).name
        for name in [info.manifestName, live, table] {
            let mine = try Self.fs.readWholeFile(FileNames.path(path, name))
            // The same operations make files of the same names and sizes; only the identity differs.
            let theirs = try Self.fs.readWholeFile(FileNames.path(other, name))
            #expect(mine.count == theirs.count, "\(name)")
            try Self.fs.writeWholeFile(theirs, to: FileNames.path(path, name))
            if name == table {
                // Tables are checked when first read: the open succeeds, the read is refused, check reports it.
                let db = try Database.open(path)
                let error = #expect(throws: LSMError.self) { try databaseContents(db) }
                #expect(error?.code == .corruption && error?.message.contains("another database") == true)
                try db.close()
                let report = try Database.check(at: path)
                #expect(report.problems.contains { $0.message.contains("copied in from another database") })
            } else {
                try Self.expectRefused(path, "\(name)")
            }
            try Self.fs.writeWholeFile(mine, to: FileNames.path(path, name))
        }
    }

    // MARK: Finding 5: crashes on crafted input

    /// Appends a record holding `batch` (with its sequence stamped) to the newest log of the crashed database,
    /// right after its last record (over the zeros of the space it reserved).
    private static func appendRecord(_ batch: WriteBatch, sequence: UInt64, to path: String) throws -> String {
        let log = FileNames.path(path, try #require(try Database.info(at: path).logs.last).name)
        let reader = try RecordReader(file: try fs.openReadable(log), tailRule: .lastRecordMayBeTorn)
        while try reader.next() != nil {}
        #expect(truncate(log, off_t(reader.validLength)) == 0)
        let writer = RecordWriter(file: try fs.openWritable(log, truncate: false))
        try writer.addRecord(batch.logRecord(sequence: sequence))
        try writer.close()
        return log
    }

    @Test func aBatchSequenceAtTheTopOfUInt64IsCorruptionNotATrap() throws {
        let dir = TemporaryDirectory("regress")
        defer { dir.remove() }
        let path = try Self.threeFlushes(in: dir, crashed: true)
        var batch = WriteBatch()
        batch.put("x", "y")
        let log = try Self.appendRecord(batch, sequence: UInt64.max, to: path)
        let file = try LogFile.open(log)
        let error = #expect(throws: LSMError.self) { while try file.next() != nil {} }
        #expect(error?.code == .corruption && error?.message.contains("largest sequence number") == true)
        try Self.expectRefused(path, naming: log)
    }

    @Test func hugeSparseFilesAreReadWithBoundedMemory() throws {
        let dir = TemporaryDirectory("regress")
        defer { dir.remove() }
        let path = try Self.threeFlushes(in: dir, crashed: true)
        let info = try Database.info(at: path)
        let manifest = FileNames.path(path, info.manifestName)
        let log = FileNames.path(path, try #require(info.logs.last).name)
        // Zeros after the last record of the newest log and manifest are a torn tail, however many.
        #expect(truncate(manifest, 64 << 30) == 0)
        #expect(truncate(log, 64 << 30) == 0)
        #expect(try Database.check(at: path).isClean)
        let db = try Database.open(path)
        #expect(try db.get("c") == "3")
        try db.close()
        // A 64 GiB CURRENT is refused without reading it.
        let current = FileNames.path(path, FileNames.current)
        #expect(truncate(current, 64 << 30) == 0)
        try Self.expectRefused(path, naming: current)
    }

    // MARK: Finding 8: sequence exhaustion

    @Test func writesPastTheLastSequenceAreRefusedAndTheDatabaseStaysOpenable() throws {
        let dir = TemporaryDirectory("regress")
        defer { dir.remove() }
        let path = try Self.threeFlushes(in: dir, crashed: true)
        var batch = WriteBatch()
        batch.put("near", "the end")
        _ = try Self.appendRecord(batch, sequence: maxSequenceNumber - 2, to: path)

        let db = try Database.open(path)
        try db.put("one", "fits", sync: true)
        var two = WriteBatch()
        two.put("two", "entries")
        two.put("three", "entries")
        let refused = #expect(throws: LSMError.self) { try db.write(two, sync: true) }
        #expect(refused?.code == .sequenceExhausted)
        try db.put("last", "fits", sync: true)
        let after = #expect(throws: LSMError.self) { try db.put("more", "no room") }
        #expect(after?.code == .sequenceExhausted)
        #expect(try db.get("last") == "fits" && db.get("two") == nil)
        try db.close()

        #expect(try Database.check(at: path).isClean)
        let reopened = try Database.open(path)
        #expect(try reopened.get("near") == "the end" && reopened.get("one") == "fits" && reopened.get("last") == "fits")
        #expect(try reopened.statistics().lastSequence == maxSequenceNumber)
        try reopened.compact()
        #expect(try reopened.get("a") == "1" && reopened.get("last") == "fits")
        try reopened.close()
    }
}
