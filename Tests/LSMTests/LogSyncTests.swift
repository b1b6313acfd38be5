import Foundation
import Testing
@testable import LSM

/// `Database.syncLog()` runs beside writes: a server acknowledging a round of writes with one sync can write the
/// next round meanwhile. What it must still guarantee: a call returns only once every write that returned before it
/// is synced, and nothing closes the log under a sync in flight.
@Suite struct LogSyncTests {
    /// Runs `body` on another thread; the returned flag is set once it has returned.
    private func inBackground(_ body: @escaping @Sendable () throws -> Void) -> Locked<Bool> {
        let done = Locked(false)
        Thread.detachNewThread {
            do { try body() } catch { Issue.record("failed: \(error)") }
            done.withLock { $0 = true }
        }
        return done
    }

    private func waitFor(_ flag: Locked<Bool>, seconds: Double = 10) -> Bool {
        let deadline = MonotonicClock.seconds() + seconds
        while !flag.withLock({ $0 }) {
            if MonotonicClock.seconds() > deadline { return false }
            usleep(500)
        }
        return true
    }

    @Test func writesGoOnWhileTheLogSyncsAndALaterCallSyncsThemAgain() throws {
        let dir = TemporaryDirectory("logsync-beside")
        defer { dir.remove() }
        let fs = SyncHoldingFileSystem()
        let db = try Database.open(dir.path, options: Options(), fileSystem: fs)
        try db.put("a", "1")
        let opening = fs.syncCount
        fs.holdNextSync()
        let firstSync = inBackground { try db.syncLog() }
        #expect(fs.waitForSyncs(opening + 1), "the first sync reached the log")

        // Held in fdatasync, the sync blocks no writer.
        let write = inBackground { try db.put("b", "2") }
        #expect(waitFor(write), "a write waited for a sync in flight")

        // A second call must not return on the first sync, which began before "b" was logged.
        let secondSync = inBackground { try db.syncLog() }
        usleep(20_000)
        #expect(!secondSync.withLock { $0 }, "a sync returned while the one covering its writes was held")
        #expect(fs.syncCount == opening + 1)

        fs.release()
        #expect(waitFor(firstSync) && waitFor(secondSync))
        #expect(fs.syncCount == opening + 2, "the second call synced \"b\" itself")
        // Nothing unsynced: a third call has nothing to do.
        try db.syncLog()
        #expect(fs.syncCount == opening + 2)
        try db.close()
        let reopened = try Database.open(dir.path)
        #expect(try reopened.get("a") == "1" && reopened.get("b") == "2")
        try reopened.close()
    }

    @Test func callsWaitingTogetherShareOneSync() throws {
        let dir = TemporaryDirectory("logsync-shared")
        defer { dir.remove() }
        let fs = SyncHoldingFileSystem()
        let db = try Database.open(dir.path, options: Options(), fileSystem: fs)
        try db.put("a", "1")
        let opening = fs.syncCount
        fs.holdNextSync()
        let first = inBackground { try db.syncLog() }
        #expect(fs.waitForSyncs(opening + 1))
        try db.put("b", "2")
        let waiting = (0..<4).map { _ in inBackground { try db.syncLog() } }
        usleep(20_000)
        fs.release()
        #expect(waitFor(first))
        for call in waiting { #expect(waitFor(call)) }
        // One sync for "a", then one for "b" shared by the four calls waiting for it.
        #expect(fs.syncCount == opening + 2)
        try db.close()
    }

    @Test func aMemtableSwitchWaitsForTheSyncOfTheLogItCloses() throws {
        let dir = TemporaryDirectory("logsync-switch")
        defer { dir.remove() }
        let fs = SyncHoldingFileSystem()
        var options = Options()
        options.memtableSize = 16 << 10
        let db = try Database.open(dir.path, options: options, fileSystem: fs)
        let value = [UInt8](repeating: 7, count: 1000)
        try db.put(Array("k0".utf8), value)
        let opening = fs.syncCount
        fs.holdNextSync()
        let sync = inBackground { try db.syncLog() }
        #expect(fs.waitForSyncs(opening + 1))
        // Enough to fill the memtable: the write that must switch it waits for the sync, then goes on.
        let writes = inBackground {
            for i in 1..<40 { try db.put(Array("k\(i)".utf8), value) }
        }
        usleep(20_000)
        #expect(!writes.withLock { $0 }, "the memtable switched, closing the log, under a sync in flight")
        #expect(try Database.info(at: dir.path).logs.count == 1)
        #expect(!fs.aFileClosedWhileItsSyncWaited)
        fs.release()
        #expect(waitFor(sync) && waitFor(writes))
        #expect(try Database.info(at: dir.path).logs.count >= 2)
        try db.close()
        let reopened = try Database.open(dir.path)
        for i in 0..<40 { #expect(try reopened.get(Array("k\(i)".utf8)) == value) }
        try reopened.close()
    }

    @Test func closeWaitsForASyncInFlight() throws {
        let dir = TemporaryDirectory("logsync-close")
        defer { dir.remove() }
        let fs = SyncHoldingFileSystem()
        let db = try Database.open(dir.path, options: Options(), fileSystem: fs)
        try db.put("a", "1")
        let opening = fs.syncCount
        fs.holdNextSync()
        let sync = inBackground { try db.syncLog() }
        #expect(fs.waitForSyncs(opening + 1))
        let close = inBackground { try db.close() }
        usleep(20_000)
        #expect(!close.withLock { $0 }, "close closed the log under a sync in flight")
        #expect(!fs.aFileClosedWhileItsSyncWaited)
        fs.release()
        #expect(waitFor(sync) && waitFor(close))
        #expect(throws: LSMError.self) { try db.syncLog() }
        let reopened = try Database.open(dir.path)
        #expect(try reopened.get("a") == "1")
        try reopened.close()
    }
}
