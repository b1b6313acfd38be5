import Testing
@testable import LSM

/// `Database.writeWithoutWaiting`: a write for a caller that must never block. It writes as `write` does when it
/// can go at once, and otherwise writes nothing and says so.
@Suite struct WriteWithoutWaitingTests {
    private func batch(_ pairs: [(String, String)]) -> WriteBatch {
        var batch = WriteBatch()
        for (key, value) in pairs { batch.put(Array(key.utf8), Array(value.utf8)) }
        return batch
    }

    @Test func anIdleDatabaseTakesTheWriteAndLogsIt() throws {
        let dir = TemporaryDirectory("nowait-idle")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        #expect(try db.writeWithoutWaiting(batch([("a", "1"), ("b", "2")])))
        #expect(try db.writeWithoutWaiting(WriteBatch()))
        #expect(try db.get("a") == "1" && db.get("b") == "2")
        try db.close()
        let reopened = try Database.open(dir.path)
        #expect(try reopened.get("a") == "1" && reopened.get("b") == "2")
        try reopened.close()
    }

    @Test func aFullMemtableIsLeftToAWriterThatMayWait() throws {
        let dir = TemporaryDirectory("nowait-full")
        defer { dir.remove() }
        var options = Options()
        options.memtableSize = 64 << 10
        let db = try Database.open(dir.path, options: options)
        defer { try? db.close() }
        let value = String(repeating: "v", count: 1000)
        var written = 0
        while try db.writeWithoutWaiting(batch([("key\(written)", value)])) {
            written += 1
            try #require(written < 1000, "the memtable never filled")
        }
        // The refused write left nothing behind.
        #expect(try db.get("key\(written)") == nil)
        #expect(written >= 60)
        // A write that may wait switches the memtable; then writing without waiting works again.
        try db.put("key\(written)", value)
        #expect(try db.writeWithoutWaiting(batch([("after", "1")])))
        for index in 0...written { #expect(try db.get("key\(index)") == value) }
        #expect(try db.get("after") == "1")
    }

    @Test func aWriterCommittingMakesItReturnAtOnce() throws {
        let dir = TemporaryDirectory("nowait-busy")
        defer { dir.remove() }
        let fs = SyncHoldingFileSystem()
        let db = try Database.open(dir.path, options: Options(), fileSystem: fs)
        defer { try? db.close() }
        let before = fs.syncCount
        fs.holdNextSync()
        let synced = inBackground { try db.put("held", "1", sync: true) }
        #expect(fs.waitForSyncs(before + 1), "the synced write reached its sync")
        // The held writer leads the commit queue until its sync returns: this one would wait behind it.
        let outcome = Locked<Bool?>(nil)
        _ = inBackground {
            let wrote = try db.writeWithoutWaiting(batch([("other", "2")]))
            outcome.withLock { $0 = wrote }
        }
        #expect(waitUntil(seconds: 2) { outcome.withLock { $0 } != nil })
        #expect(outcome.withLock { $0 } == false, "it waited behind the committing writer, or wrote")
        fs.release()
        #expect(waitUntil { synced.withLock { $0 } })
        #expect(try db.get("other") == nil)
        #expect(try db.writeWithoutWaiting(batch([("other", "2")])))
        #expect(try db.get("held") == "1" && db.get("other") == "2")
    }

    @Test func itNeverSyncsAndRefusesWhatWriteRefuses() throws {
        let dir = TemporaryDirectory("nowait-refuse")
        defer { dir.remove() }
        var options = Options()
        options.syncPolicy = .always
        let syncing = try Database.open(dir.path, options: options)
        #expect(try !syncing.writeWithoutWaiting(batch([("a", "1")])))
        #expect(try syncing.get("a") == nil)
        try syncing.close()

        let db = try Database.open(dir.path)
        var tooLarge = WriteBatch()
        tooLarge.put([UInt8](repeating: 1, count: Limits.maxKeySize + 1), [1])
        #expect(throws: LSMError.self) { try db.writeWithoutWaiting(tooLarge) }
        try db.close()
        let error = #expect(throws: LSMError.self) { try db.writeWithoutWaiting(batch([("a", "1")])) }
        #expect(error?.code == .databaseClosed)
    }
}
