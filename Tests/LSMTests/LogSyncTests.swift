import Foundation
import Testing
@testable import LSM

/// `Database.syncLog()` runs beside writes: a server acknowledging a round of writes with one sync can write the
/// next round meanwhile. What it must still guarantee: a call returns only once every write that returned before it
/// is synced, and nothing closes the log under a sync in flight.
@Suite struct LogSyncTests {
    private func waitFor(_ flag: Locked<Bool>) -> Bool {
        waitUntil { flag.withLock { $0 } }
    }

    /// A database in a new directory on a ``SyncHoldingFileSystem``, holding `a` = `1`, whose `syncLog()` call
    /// (`sync`, set once it returns) has reached the log and waits there; `opening` counts the syncs before it.
    private struct HeldSync {
        let dir: TemporaryDirectory
        let fs: SyncHoldingFileSystem
        let db: Database
        let opening: Int
        let sync: Locked<Bool>
    }

    private func openWithASyncHeld(_ name: String, options: Options = Options()) throws -> HeldSync {
        let dir = TemporaryDirectory(name)
        let fs = SyncHoldingFileSystem()
        let db = try Database.open(dir.path, options: options, fileSystem: fs)
        try db.put("a", "1")
        let opening = fs.syncCount
        fs.holdNextSync()
        let sync = inBackground { try db.syncLog() }
        #expect(fs.waitForSyncs(opening + 1), "the sync reached the log")
        return HeldSync(dir: dir, fs: fs, db: db, opening: opening, sync: sync)
    }

    @Test func writesGoOnWhileTheLogSyncsAndALaterCallSyncsThemAgain() throws {
        let held = try openWithASyncHeld("logsync-beside")
        defer { held.dir.remove() }
        let (dir, fs, db, opening, firstSync) = (held.dir, held.fs, held.db, held.opening, held.sync)

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
        let held = try openWithASyncHeld("logsync-shared")
        defer { held.dir.remove() }
        let (fs, db, opening, first) = (held.fs, held.db, held.opening, held.sync)
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
        var options = Options()
        options.memtableSize = 16 << 10
        let held = try openWithASyncHeld("logsync-switch", options: options)
        defer { held.dir.remove() }
        let (dir, fs, db, sync) = (held.dir, held.fs, held.db, held.sync)
        let value = [UInt8](repeating: 7, count: 1000)
        let firstLog = try #require(try Database.info(at: dir.path).logs.last?.number)
        // Enough to fill the memtable: the write that must switch it waits for the sync, then goes on.
        let writes = inBackground {
            for i in 0..<40 { try db.put(Array("k\(i)".utf8), value) }
        }
        usleep(20_000)
        #expect(!writes.withLock { $0 }, "the memtable switched, closing the log, under a sync in flight")
        #expect(try Database.info(at: dir.path).logs.map(\.number) == [firstLog])
        #expect(!fs.aFileClosedWhileItsSyncWaited)
        fs.release()
        #expect(waitFor(sync) && waitFor(writes))
        // The switches happened once the sync was done (a flush may since have retired the first log).
        #expect(try Database.info(at: dir.path).logs.last?.number ?? 0 > firstLog)
        try db.close()
        let reopened = try Database.open(dir.path)
        #expect(try reopened.get("a") == "1")
        for i in 0..<40 { #expect(try reopened.get(Array("k\(i)".utf8)) == value) }
        try reopened.close()
    }

    @Test func closeWaitsForASyncInFlight() throws {
        let held = try openWithASyncHeld("logsync-close")
        defer { held.dir.remove() }
        let (dir, fs, db, sync) = (held.dir, held.fs, held.db, held.sync)
        // A second call, for a write after the first began, waits for it; close comes meanwhile. Whichever runs
        // first, the second call either syncs or finds the database closed, never a log closed under it.
        try db.put("b", "2")
        let secondOutcome = Locked<LSMError.Code?>(nil)
        let second = inBackground {
            do throws(LSMError) { try db.syncLog() } catch { secondOutcome.withLock { $0 = error.code } }
        }
        let close = inBackground { try db.close() }
        usleep(20_000)
        #expect(!close.withLock { $0 }, "close closed the log under a sync in flight")
        #expect(!fs.aFileClosedWhileItsSyncWaited)
        fs.release()
        #expect(waitFor(sync) && waitFor(second) && waitFor(close))
        let code = secondOutcome.withLock { $0 }
        #expect(code == nil || code == .databaseClosed, "\(String(describing: code))")
        #expect(throws: LSMError.self) { try db.syncLog() }
        let reopened = try Database.open(dir.path)
        #expect(try reopened.get("a") == "1")
        try reopened.close()
    }
}
