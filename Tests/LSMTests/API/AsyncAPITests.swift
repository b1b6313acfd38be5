import Testing
@testable import LSM

/// The async forms and the AsyncSequence over a range.
@Suite struct AsyncAPITests {
    /// Runs `body` in a task cancelled before it starts; the code of the error it ends with, nil when it succeeds.
    private func codeWhenCancelled<T: Sendable>(
        _ body: @escaping @Sendable () async throws -> T
    ) async -> LSMError.Code? {
        let result = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await body()
        }.result
        if case .failure(let error) = result { return (error as? LSMError)?.code }
        return nil
    }

    /// Runs `body` with a database holding 300 keys k000...k299 with values v0...v299, every tenth deleted, partly
    /// flushed into tables; then closes it.
    private func withFilledDatabase(
        _ name: String, options: Options = Options(), _ body: (Database) async throws -> Void
    ) async throws {
        let dir = TemporaryDirectory(name)
        defer { dir.remove() }
        let db = try await Database.open(dir.path, options: options)
        var batch = WriteBatch()
        for i in 0..<150 { batch.put("k" + pad(i), "v\(i)") }
        try await db.write(batch)
        try await db.flush()
        for i in 150..<300 { try await db.put("k" + pad(i), "v\(i)") }
        for i in stride(from: 0, to: 300, by: 10) { try await db.delete("k" + pad(i)) }
        try await body(db)
        try await db.close()
    }

    @Test func expiringPutsAndRangeDeletionsHaveAsyncForms() async throws {
        let dir = TemporaryDirectory("async-expiry")
        defer { dir.remove() }
        let clock = TestClock()
        var options = Options()
        options.clock = clock.wallClock
        let db = try await Database.open(dir.path, options: options)
        try await db.put("a", "1", expiresAt: clock.later(10))
        try await db.put("b", "2", expiresAfter: .milliseconds(20))
        try await db.put("c", "3")
        #expect(try db.getWithExpiry(Array("b".utf8))?.expiresAt == clock.later(20))
        clock.advance(10)
        let (a, b) = (try await db.get("a"), try await db.get("b"))
        #expect(a == nil && b == "2")
        try await db.deleteRange(from: "b", to: "c")
        let (deleted, kept) = (try await db.get("b"), try await db.get("c"))
        #expect(deleted == nil && kept == "3")
        try await db.close()
    }

    private func pad(_ i: Int) -> String {
        String(repeating: "0", count: 3 - String(i).count) + String(i)
    }

    private func collect(_ entries: Database.Entries) async throws -> [String] {
        var result: [String] = []
        for try await (key, value) in entries {
            result.append(String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
        }
        return result
    }

    private func expected(_ range: Range<Int>) -> [String] {
        range.filter { $0 % 10 != 0 }.map { "k" + pad($0) + "=v\($0)" }
    }

    @Test func openWriteReadCloseAndReopen() async throws {
        let dir = TemporaryDirectory("async-basic")
        defer { dir.remove() }
        let db = try await Database.open(dir.path)
        try await db.put("user:1", "ada", sync: true)
        try await db.put(Array("user:2".utf8), Array("grace".utf8))
        var batch = WriteBatch()
        batch.put("user:3", "edsger")
        batch.delete("user:2")
        try await db.write(batch, sync: true)
        try await db.delete("user:1")
        try await db.put("user:1", "ada lovelace")
        let asString: String? = try await db.get("user:1")
        #expect(asString == "ada lovelace")
        #expect(try await db.get("user:3", as: String.self) == "edsger")
        #expect(try await db.get(Array("user:3".utf8)) == Array("edsger".utf8))
        #expect(try await db.get("user:2", as: [UInt8].self) == nil)
        try await db.close()
        await #expect(throws: LSMError.self) { try await db.put("late", "write") }

        let reopened = try await Database.open(dir.path)
        #expect(try await reopened.get("user:1") == "ada lovelace")
        #expect(try await reopened.get("user:2") == nil)
        #expect(try await reopened.get("user:3") == "edsger")
        try await reopened.close()
    }

    @Test func flushAndCompactFinishTheirWork() async throws {
        var options = Options()
        options.memtableSize = 16 << 10
        try await withFilledDatabase("async-flush", options: options) { db in
            try await db.flush()
            let flushed = try db.statistics()
            #expect(flushed.immutableMemtables == 0)
            #expect(flushed.levelFileCounts.reduce(0, +) >= 2)
            try await db.compact()
            let compacted = try db.statistics()
            #expect(compacted.levelFileCounts[0] == 0)
            #expect(compacted.compactionCount >= 1)
            #expect(try await collect(db.entries()) == expected(0..<300))
        }
    }

    @Test func aCancelledTaskStartsNothing() async throws {
        let dir = TemporaryDirectory("async-cancel")
        defer { dir.remove() }
        let db = try await Database.open(dir.path)
        #expect(await codeWhenCancelled { try await db.put("k", "v", sync: true) } == .cancelled)
        #expect(try await db.get("k") == nil)
        #expect(await codeWhenCancelled { try await db.compact() } == .cancelled)
        // Closing is never cancelled: the database is closed afterwards.
        #expect(await codeWhenCancelled { try await db.close() } == nil)
        #expect(throws: LSMError.self) { try db.put("k", "v") }

        let missing = dir.appending("never-made")
        #expect(await codeWhenCancelled { try await Database.open(missing) } == .cancelled)
        #expect(!PosixFileSystem().isDirectory(missing))
    }

    @Test func entriesForwardAndReverseWithBounds() async throws {
        try await withFilledDatabase("async-entries") { db in
            let middle = expected(10..<250)
            #expect(try await collect(db.entries(from: "k010", to: "k250")) == middle)
            #expect(try await collect(db.entries(from: "k010", to: "k250", reverse: true)) == middle.reversed())
            #expect(try await collect(db.entries(from: "k295")) == expected(295..<300))
            #expect(try await collect(db.entries(to: "k005", reverse: true)) == expected(0..<5).reversed())
            #expect(try await collect(db.entries(from: Array("k2".utf8), to: Array("k1".utf8))).isEmpty)
            let all = try await collect(db.entries())
            #expect(all == expected(0..<300))
            #expect(all == describe(try Array(db.cursor())))
        }
    }

    @Test func entriesWithAPrefix() async throws {
        try await withFilledDatabase("async-prefix") { db in
            try await db.put("k1", "short")
            try await db.put("k2", "after")
            let k1 = ["k1=short"] + expected(100..<200)
            #expect(try await collect(db.entries(prefix: "k1")) == k1)
            #expect(try await collect(db.entries(prefix: "k1", reverse: true)) == k1.reversed())
            #expect(try await collect(db.entries(prefix: "x")).isEmpty)
        }
    }

    @Test func eachIterationSeesTheDatabaseAsItsFirstStepFoundIt() async throws {
        try await withFilledDatabase("async-view") { db in
            let entries = db.entries(prefix: "k0")
            let snapshot = try db.snapshot()
            var iterator = entries.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first.map { String(decoding: $0.key, as: UTF8.self) } == "k001")
            try await db.put("k099x", "late")
            try await db.delete("k051")
            var rest: [String] = []
            while let (key, _) = try await iterator.next() { rest.append(String(decoding: key, as: UTF8.self)) }
            #expect(rest.contains("k051") && !rest.contains("k099x"))
            // A new iteration of the same sequence sees the writes; one through the snapshot does not.
            let again = try await collect(entries)
            #expect(again.contains("k099x=late") && !again.contains("k051=v51"))
            let before = try await collect(db.entries(prefix: "k0", snapshot: snapshot))
            #expect(before == expected(0..<100))
        }
    }

    @Test func aCancelledIterationThrowsCancelled() async throws {
        try await withFilledDatabase("async-entries-cancel") { db in
            #expect(await codeWhenCancelled { try await collect(db.entries()) } == .cancelled)
        }
    }
}
