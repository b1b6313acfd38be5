import Testing
@testable import LSM

/// `Options.compactionFilter`: values the application retires leave the disk at compaction, older versions stay
/// hidden, and snapshots keep what they saw.
@Suite struct CompactionFilterTests {
    /// The collections the application has deleted, which its filter consults.
    private final class DeletedCollections: Sendable {
        let names = Locked<Set<String>>([])
        let asked = Locked<[(level: Int, key: String, value: String)]>([])

        var filter: CompactionFilter {
            CompactionFilter(name: "deleted-collections") { [self] entry in
                let key = String(decoding: entry.key, as: UTF8.self)
                asked.withLock { $0.append((entry.level, key, String(decoding: entry.value, as: UTF8.self))) }
                let collection = String(key.prefix(while: { $0 != ":" }))
                return names.withLock { $0.contains(collection) } ? .remove : .keep
            }
        }
    }

    private static func open(_ dir: TemporaryDirectory, _ deleted: DeletedCollections) throws -> Database {
        var options = Options()
        options.compactionFilter = deleted.filter
        return try Database.open(dir.path, options: options)
    }

    @Test func removedValuesLeaveAndOlderVersionsBelowStayHidden() throws {
        let dir = TemporaryDirectory("filter")
        defer { dir.remove() }
        let deleted = DeletedCollections()
        let db = try Self.open(dir, deleted)
        for i in 0..<100 {
            try db.put("gone:\(i)", "old")
            try db.put("kept:\(i)", "v")
        }
        // The old versions go to the deepest level, then newer ones sit above them.
        try db.compact()
        for i in 0..<100 where i % 2 == 0 { try db.put("gone:\(i)", "new") }
        try db.delete("kept:99")
        try db.flush()
        deleted.names.withLock { _ = $0.insert("gone") }
        deleted.asked.withLock { $0.removeAll() }
        try db.compact()

        for i in 0..<100 {
            #expect(try db.get("gone:\(i)") == nil, "gone:\(i)")
            #expect(try db.get("kept:\(i)") == (i == 99 ? nil : "v"), "kept:\(i)")
        }
        #expect(try db.estimatedKeyCount() == 99, "the removed values and their tombstones are gone from the tables")
        let asked = deleted.asked.withLock { $0 }
        #expect(asked.contains { $0.key == "gone:0" && $0.value == "new" }, "the newest value of a key is asked about")
        #expect(!asked.contains { $0.key == "gone:0" && $0.value == "old" }, "never an older version of it")
        #expect(!asked.contains { $0.key == "kept:99" }, "nor a deleted key")
        #expect(asked.allSatisfy { $0.level >= 1 && $0.level < Version.levelCount })
        try db.close()

        // The decision is durable: the values do not come back at the next open.
        let reopened = try Self.open(dir, DeletedCollections())
        #expect(try reopened.get("gone:1") == nil && reopened.get("kept:1") == "v")
        try reopened.close()
    }

    @Test func aSnapshotKeepsWhatItSawUntilItIsReleased() throws {
        let dir = TemporaryDirectory("filter-snapshot")
        defer { dir.remove() }
        let deleted = DeletedCollections()
        let db = try Self.open(dir, deleted)
        try db.put("tmp:a", "1")
        try db.put("tmp:b", "2")
        let snapshot = try db.snapshot()
        try db.put("tmp:b", "3")
        deleted.names.withLock { _ = $0.insert("tmp") }
        try db.compact()
        // tmp:a and the first tmp:b are visible to the snapshot, so they stay; tmp:b = 3 is past it and goes.
        #expect(try db.get("tmp:a", snapshot: snapshot) == "1")
        #expect(try db.get("tmp:b", snapshot: snapshot) == "2")
        #expect(try db.get("tmp:a") == "1", "a value a snapshot reads is not asked about")
        #expect(try db.get("tmp:b") == nil, "removed: no older version shows through")
        snapshot.release()
        try db.compact()
        #expect(try db.get("tmp:a") == nil && db.get("tmp:b") == nil)
        try db.close()
    }

    @Test func optionsCompareFiltersByName() {
        var a = Options()
        a.compactionFilter = CompactionFilter(name: "x") { _ in .keep }
        var b = Options()
        b.compactionFilter = CompactionFilter(name: "x") { _ in .remove }
        var c = Options()
        c.compactionFilter = CompactionFilter(name: "y") { _ in .keep }
        #expect(a == b && a != c && a != Options())
    }
}
