import Testing
@testable import LSM

/// Cursors the Swift way: forEach, map, Array(cursor), prefix scans and bounds from any bytes.
@Suite struct CursorIterationTests {
    private struct Stop: Error {}

    /// Keys a..e plus "user:" keys, some of them flushed to a table so iteration merges a memtable and tables.
    private func fill(_ db: Database) throws {
        for key in ["a", "b", "c", "d", "e"] { try db.put(key, key.uppercased()) }
        try db.flush()
        for id in [3, 1, 2] { try db.put("user:\(id)", "u\(id)") }
        try db.put("user;", "after the prefix")
        try db.put("user", "before the prefix")
        try db.delete("c")
    }

    @Test func forEachLendsEveryEntryInOrder() throws {
        try withTemporaryDatabase("cursor-foreach") { db in
            try fill(db)
            var seen: [String] = []
            try db.cursor(from: "b", to: "e").forEach { key, value in
                seen.append(String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
            }
            #expect(seen == ["b=B", "d=D"])
            var reversed: [String] = []
            try db.cursor(from: "b", to: "e", reverse: true).forEach { key, _ in
                reversed.append(String(decoding: key, as: UTF8.self))
            }
            #expect(reversed == ["d", "b"])
        }
    }

    @Test func forEachRethrowsAndStopsWhereTheBodyThrew() throws {
        try withTemporaryDatabase("cursor-foreach-throws") { db in
            try fill(db)
            let cursor = try db.cursor(to: "z")
            var visited = 0
            #expect(throws: Stop.self) {
                try cursor.forEach { key, _ in
                    visited += 1
                    if key.elementsEqual("b".utf8) { throw Stop() }
                }
            }
            #expect(visited == 2)
            // The cursor goes on after the entry the body threw on.
            #expect(try cursor.next().map { String(decoding: $0.key, as: UTF8.self) } == "d")
        }
    }

    @Test func mapCollectsTransformedEntries() throws {
        try withTemporaryDatabase("cursor-map") { db in
            try fill(db)
            let values = try db.cursor(prefix: "user:").map { _, value in String(decoding: value, as: UTF8.self) }
            #expect(values == ["u1", "u2", "u3"])
            let sizes = try db.cursor(from: "a", to: "c").map { key, value in key.count + value.count }
            #expect(sizes == [2, 2])
        }
    }

    @Test func arrayOfCursorHoldsEveryRemainingEntry() throws {
        try withTemporaryDatabase("cursor-array") { db in
            try fill(db)
            let cursor = try db.cursor(from: "a", to: "user")
            _ = try cursor.next()
            #expect(describe(try Array(cursor)) == ["b=B", "d=D", "e=E"])
            #expect(try Array(cursor).isEmpty)
            #expect(try Array(db.cursor()).count == 9)
        }
    }

    @Test func prefixCursorSeesOnlyItsPrefixBothWays() throws {
        try withTemporaryDatabase("cursor-prefix") { db in
            try fill(db)
            let users = ["user:1=u1", "user:2=u2", "user:3=u3"]
            #expect(describe(try Array(db.cursor(prefix: "user:"))) == users)
            #expect(describe(try Array(db.cursor(prefix: "user:", reverse: true))) == users.reversed())
            #expect(describe(try Array(db.cursor(prefix: "user"))).count == 5)
            #expect(try Array(db.cursor(prefix: "x")).isEmpty)
            // A prefix whose last bytes are 0xFF, and one of only 0xFF bytes (no upper bound).
            try db.put([0x75, 0xFF], [1])
            try db.put([0x75, 0xFF, 0x00], [2])
            try db.put([0xFF], [3])
            try db.put([0xFF, 0xFF, 0x01], [4])
            #expect(try Array(db.cursor(prefix: [0x75, 0xFF] as [UInt8])).map(\.value) == [[1], [2]])
            #expect(try Array(db.cursor(prefix: [0xFF, 0xFF] as [UInt8])).map(\.value) == [[4]])
            #expect(try Array(db.cursor(prefix: [0xFF, 0xFF] as [UInt8], reverse: true)).map(\.value) == [[4]])
        }
    }

    @Test func prefixCursorHonoursItsSnapshot() throws {
        try withTemporaryDatabase("cursor-prefix-snapshot") { db in
            try fill(db)
            let snapshot = try db.snapshot()
            try db.put("user:4", "u4")
            try db.delete("user:1")
            #expect(try db.cursor(prefix: "user:", snapshot: snapshot).map { key, _ in key.last! } == Array("123".utf8))
            #expect(try db.cursor(prefix: "user:").map { key, _ in key.last! } == Array("234".utf8))
        }
    }

    @Test func boundsFromAnyBytes() throws {
        try withTemporaryDatabase("cursor-bounds") { db in
            try fill(db)
            #expect(describe(try Array(db.cursor(from: "b"[...], to: "d"[...]))) == ["b=B"])
            #expect(describe(try Array(db.cursor(from: "d"))).first == "d=D")
            #expect(describe(try Array(db.cursor(to: "b", reverse: true))) == ["a=A"])
            let lower = Array("a".utf8)[...]
            let upper = Array("b".utf8)[...]
            let cursor = try db.cursor(from: lower.span.bytes, to: upper.span.bytes)
            #expect(describe(try Array(cursor)) == ["a=A"])
        }
    }

    @Test func prefixRangeCoversExactlyThePrefix() {
        func range(_ prefix: [UInt8]) -> [UInt8]? { Database.range(prefix: prefix).upper }
        #expect(range(Array("user:".utf8)) == Array("user;".utf8))
        #expect(range([0x61, 0xFF, 0xFF]) == [0x62])
        #expect(range([0xFF, 0xFF]) == nil)
        #expect(range([]) == nil)
        #expect(Database.range(prefix: "ab").lower == Array("ab".utf8))
    }
}
