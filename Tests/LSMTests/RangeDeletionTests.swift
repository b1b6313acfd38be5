import Testing
@testable import LSM

/// `deleteRange(from:to:)`: one write hides a whole range from gets, cursors in both directions and later
/// snapshots, in the memtable, in tables of every level and across reopening; compaction then drops the covered
/// entries and the range deletion itself.
@Suite struct RangeDeletionTests {
    private static func key(_ i: Int) -> [UInt8] { Array("k\(1000 + i)".utf8) }

    /// The keys a cursor returns, forward or in reverse.
    private static func keys(_ db: Database, reverse: Bool = false, snapshot: Snapshot? = nil) throws -> [String] {
        let cursor = try db.cursor(reverse: reverse, snapshot: snapshot)
        var keys: [String] = []
        while let (key, _) = try cursor.next() { keys.append(String(decoding: key, as: UTF8.self)) }
        return keys
    }

    private static func names(_ range: some Sequence<Int>) -> [String] {
        range.map { String(decoding: key($0), as: UTF8.self) }
    }

    /// Puts keys 0..<100, deletes 20..<50 by range, then checks reads, wherever the data and deletion live.
    private func checkHidden(_ db: Database, _ stage: String) throws {
        for i in 0..<100 {
            let expected: [UInt8]? = (20..<50).contains(i) ? nil : Array("v\(i)".utf8)
            #expect(try db.get(Self.key(i)) == expected, "\(stage): key \(i)")
        }
        let visible = Self.names(Array(0..<20) + Array(50..<100))
        #expect(try Self.keys(db) == visible, "\(stage): forward")
        #expect(try Self.keys(db, reverse: true) == visible.reversed(), "\(stage): reverse")
    }

    @Test func aRangeIsHiddenInTheMemtableTablesAndAfterReopening() throws {
        let dir = TemporaryDirectory("range")
        defer { dir.remove() }
        var db = try Database.open(dir.path)
        for i in 0..<100 { try db.put(Self.key(i), Array("v\(i)".utf8)) }
        try db.deleteRange(from: Self.key(20), to: Self.key(50))
        try checkHidden(db, "memtable")
        try db.close()
        db = try Database.open(dir.path)
        try checkHidden(db, "replayed log, flushed at open")
        try db.close()

        // Data in the deepest level, the range deletion alone in a newer table above it.
        let other = TemporaryDirectory("range-levels")
        defer { other.remove() }
        db = try Database.open(other.path)
        for i in 0..<100 { try db.put(Self.key(i), Array("v\(i)".utf8)) }
        try db.compact()
        try db.deleteRange(from: Self.key(20), to: Self.key(50))
        try checkHidden(db, "range deletion in the memtable over tables")
        try db.flush()
        try checkHidden(db, "range deletion in a table over deeper tables")
        try db.close()
        db = try Database.open(other.path)
        try checkHidden(db, "reopened")
        try db.compact()
        try checkHidden(db, "compacted")
        #expect(try db.estimatedKeyCount() == 70, "the covered entries left the tables")
        let tables = try Database.info(at: other.path).tables
        #expect(tables.allSatisfy { $0.rangeDeletionCount == 0 }, "and so did the range deletion, at the base level")
        try db.close()
    }

    @Test func laterWritesShowAndSnapshotsKeepWhatTheySaw() throws {
        let dir = TemporaryDirectory("range-snapshot")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        for i in 0..<100 { try db.put(Self.key(i), Array("v\(i)".utf8)) }
        let before = try db.snapshot()
        try db.deleteRange(from: Self.key(20), to: Self.key(50))
        try db.put(Self.key(30), Array("again".utf8))
        let after = try db.snapshot()
        for round in 0..<2 {
            #expect(try db.get(Self.key(30)) == Array("again".utf8), "round \(round)")
            #expect(try db.get(Self.key(31)) == nil)
            #expect(try db.get(Self.key(31), snapshot: before) == Array("v31".utf8))
            #expect(try Self.keys(db, snapshot: before) == Self.names(0..<100))
            #expect(try Self.keys(db, reverse: true, snapshot: after)
                        == Self.names(Array(0..<20) + [30] + Array(50..<100)).reversed())
            // Through a flush and a full compaction, the snapshots keep their views.
            try db.flush()
            try db.compact()
        }
        before.release()
        after.release()
        try db.compact()
        #expect(try db.estimatedKeyCount() == 71)
        try db.close()
    }

    @Test func inABatchTheRangeDeletionIsAtomicWithTheRest() throws {
        let dir = TemporaryDirectory("range-batch")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        for i in 0..<10 { try db.put(Self.key(i), [1]) }
        var batch = WriteBatch()
        batch.deleteRange(from: Self.key(0), to: Self.key(10))
        batch.put(Self.key(5), [2])
        batch.deleteRange(from: "a", to: "a")
        #expect(batch.count == 2, "an empty range adds nothing")
        try db.write(batch)
        #expect(try Self.keys(db) == Self.names([5]))
        #expect(try db.get(Self.key(5)) == [2], "a put after the range deletion in the batch is newer")

        var inverted = WriteBatch()
        inverted.put("x", "y")
        inverted.deleteRange(from: "b", to: "a")
        #expect(throws: LSMError.self) { try db.write(inverted) }
        #expect(throws: LSMError.self) { try db.deleteRange(from: Array("b".utf8), to: Array("a".utf8)) }
        #expect(try db.get("x") == nil, "nothing of a refused batch is written")
        try db.close()
    }

    @Test func aTableRecordsItsRangeDeletionsAndEveryDamagedByteOfThemIsFound() throws {
        let dir = TemporaryDirectory("range-table")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        try db.put("m", "1")
        try db.deleteRange(from: "a", to: "c")
        try db.deleteRange(from: "b", to: "z")
        try db.flush()
        let info = try Database.info(at: dir.path)
        let table = try #require(info.tables.first)
        #expect(table.rangeDeletionCount == 2 && table.entryCount == 1)
        #expect(table.smallest.userKey == Array("a".utf8) && table.smallest.kind == .rangeDeletion)
        #expect(table.largest.userKey == Array("z".utf8) && table.largest.sequence == 0)
        let path = dir.path + "/" + table.name
        let file = try TableFile.open(path)
        #expect(file.rangeDeletions == [
            .init(start: Array("a".utf8), end: Array("c".utf8), sequence: 2),
            .init(start: Array("b".utf8), end: Array("z".utf8), sequence: 3),
        ])
        try file.verify()
        #expect(try Database.check(at: dir.path).problems.isEmpty)
        try db.close()

        // Each byte of the range deletion block (contents and trailer) is covered by its checksum.
        let handle = try #require(file.table.properties.rangeDeletionHandle)
        let original = try PosixFileSystem().readWholeFile(path)
        for offset in Int(handle.offset)..<Int(handle.offset + handle.size) + Block.trailerSize {
            var damaged = original
            damaged[offset] ^= 0x40
            try PosixFileSystem().writeSyncedFile(path) { (file) throws(LSMError) in try file.append(damaged) }
            #expect(throws: LSMError.self, "byte \(offset)") { _ = try TableFile.open(path) }
        }
        try PosixFileSystem().writeSyncedFile(path) { (file) throws(LSMError) in try file.append(original) }
        #expect(try Database.check(at: dir.path).problems.isEmpty)
    }

    @Test func compactionOutputsDoNotEndInsideARangeDeletion() throws {
        let dir = TemporaryDirectory("range-split")
        defer { dir.remove() }
        var options = Options()
        options.targetFileSize = 4096
        options.memtableSize = 64 << 10
        var db = try Database.open(dir.path, options: options)
        var model: [String: String] = [:]
        let value = String(repeating: "x", count: 100)
        for i in 0..<2000 {
            try db.put(Self.key(i), Array(value.utf8))
            model[String(decoding: Self.key(i), as: UTF8.self)] = value
        }
        // A snapshot keeps every covered entry, so outputs are full of them and must still not split a range.
        let snapshot = try db.snapshot()
        for start in stride(from: 100, to: 1900, by: 300) {
            try db.deleteRange(from: Self.key(start), to: Self.key(start + 150))
            for i in start..<(start + 150) { model[String(decoding: Self.key(i), as: UTF8.self)] = nil }
        }
        try db.compact()
        let info = try Database.info(at: dir.path)
        #expect(info.levels.dropFirst().flatMap(\.tables).count > 2, "the compaction wrote several tables")
        try db.close()
        db = try Database.open(dir.path, options: options)
        #expect(try Self.keys(db) == model.keys.sorted())
        #expect(try Database.check(at: dir.path).problems.isEmpty)
        _ = snapshot
        try db.close()
    }
}
