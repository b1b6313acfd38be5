#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Testing
@testable import LSM

/// `Database.checkpoint(to:)`: a copy that opens on its own with exactly the writes made before it, taken while
/// writes go on, sharing no file the source changes.
@Suite struct CheckpointTests {
    private static let fs = PosixFileSystem()

    private static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// Tables in several levels, a memtable waiting for its flush (its log closed), and writes in the log being
    /// appended to: the copy holds all of them, links the tables and copies the open log.
    @Test func aCopyOfEveryPartOfTheTreeOpensWithTheSameContents() throws {
        let dir = TemporaryDirectory("checkpoint")
        defer { dir.remove() }
        let copy = dir.appending("copy")
        let gate = GatedFileSystem()
        var options = Options()
        options.memtableSize = 32 << 10
        let db = try Database.open(dir.appending("db"), options: options, fileSystem: gate)
        var model: ModelState = [:]
        func put(_ key: String, _ value: String) throws {
            try db.put(key, value)
            model[Array(key.utf8)] = Array(value.utf8)
        }
        for i in 0..<400 { try put("key-\(i % 250)", "first-\(i)-" + String(repeating: "a", count: 100)) }
        try db.compact()
        for i in 0..<100 { try put("key-\(i * 3)", "second-\(i)") }
        try db.flush()
        try db.delete("key-7")
        model[Array("key-7".utf8)] = nil
        // Flushes held: the next switch leaves a memtable waiting with its closed log.
        gate.hold()
        var i = 0
        while try db.statistics().immutableMemtables == 0 {
            try put("held-\(i)", String(repeating: "h", count: 200))
            i += 1
        }
        try put("last", "in the open log")

        try db.checkpoint(to: copy)
        try put("after", "not in the copy")
        gate.release(failing: false)

        let copied = try Database.info(at: copy)
        #expect(copied.logs.count == 2, "the waiting memtable's log and the open one")
        #expect(copied.tableCount > 0)
        for level in copied.levels {
            for table in level.tables {
                #expect(Self.inode(dir.appending("db/\(table.name)")) == Self.inode(copy + "/" + table.name),
                        "\(table.name) is linked")
            }
        }
        let newest = try #require(copied.logs.last)
        #expect(Self.inode(dir.appending("db/\(newest.name)")) != Self.inode(copy + "/" + newest.name),
                "the open log is copied")

        let opened = try Database.open(copy)
        var expected = model
        expected[Array("after".utf8)] = nil
        #expect(try databaseContents(opened) == expected)
        // The copy is its own database: writes to it do not reach the source, nor the reverse.
        try opened.put("only-in-copy", "1")
        try opened.close()
        #expect(try db.get("only-in-copy") == nil)
        #expect(try db.get("after") == "not in the copy")
        try db.close()
        let reopened = try Database.open(copy)
        #expect(try reopened.get("only-in-copy") == "1" && reopened.get("after") == nil)
        #expect(try Database.check(at: copy).problems.isEmpty)
        try reopened.close()
    }

    /// Writers run throughout: the copy holds every write acknowledged before the checkpoint began, and each
    /// writer's writes form a prefix of what it wrote (nothing out of order, nothing torn).
    @Test func checkpointsTakenDuringConcurrentWritesHoldEveryEarlierWrite() throws {
        let dir = TemporaryDirectory("checkpoint-concurrent")
        defer { dir.remove() }
        var options = Options()
        options.memtableSize = 64 << 10
        let db = try Database.open(dir.appending("db"), options: options)
        let writers = 3
        let acknowledged = (0..<writers).map { _ in Locked(-1) }
        let stop = Locked(false)
        let group = DispatchGroup()
        for w in 0..<writers {
            DispatchQueue.global().async(group: group) {
                var n = 0
                while !stop.withLock({ $0 }) && n < 100_000 {
                    do {
                        try db.put("w\(w)-\(n)", String(repeating: "v", count: 50))
                    } catch {
                        return
                    }
                    acknowledged[w].withLock { $0 = n }
                    n += 1
                }
            }
        }
        for round in 0..<4 {
            usleep(20_000)
            let before = acknowledged.map { $0.withLock { $0 } }
            let copy = dir.appending("copy-\(round)")
            try db.checkpoint(to: copy)
            let opened = try Database.open(copy)
            for w in 0..<writers {
                // Every write acknowledged before the call is there, and the copy holds a prefix of each writer's.
                var count = 0
                while try opened.get("w\(w)-\(count)") != nil { count += 1 }
                #expect(count > before[w], "writer \(w), round \(round)")
                #expect(try opened.get("w\(w)-\(count + 1)") == nil, "writer \(w), round \(round)")
            }
            try opened.close()
        }
        stop.withLock { $0 = true }
        group.wait()
        try db.close()
    }

    /// Each I/O operation a checkpoint makes fails in turn: the call throws, nothing is left at the destination,
    /// the source reads and writes on, and a checkpoint after the fault is whole.
    @Test func aFailureAnywhereInACheckpointLeavesNoCopyAndTheSourceUntouched() throws {
        var options = Options()
        options.memtableSize = 16 << 10
        let fixture = CrashFixture("checkpoint-faults", options: options)
        defer { fixture.remove() }
        let fs = fixture.fileSystem
        let db = try fixture.openDatabase()
        var model: ModelState = [:]
        for i in 0..<300 {
            let value = "value-\(i)-" + String(repeating: "x", count: i % 50)
            try db.put("key-\(i % 200)", value)
            model[Array("key-\(i % 200)".utf8)] = Array(value.utf8)
        }
        db.waitForBackgroundWork()
        let target = TemporaryDirectory("checkpoint-fault-target")
        defer { target.remove() }
        var failures = 0
        for kind in CrashSimulatingFileSystem.Operation.allCases {
            for after in 0..<200 {
                let destination = target.appending("copy-\(kind)-\(after)")
                fs.injectFault(.init(kind: kind, afterCount: after))
                do {
                    try db.checkpoint(to: destination)
                    fs.clearFaults()
                    // The fault did not fire: the copy is whole, and later counts would not fire either.
                    let copy = try Database.open(destination)
                    #expect(try databaseContents(copy) == model, "\(kind) after \(after)")
                    try copy.close()
                    break
                } catch {
                    fs.clearFaults()
                    failures += 1
                    #expect(!PosixFileSystem().fileExists(destination), "\(kind) after \(after): \(error)")
                }
            }
        }
        #expect(failures > 20, "the faults reached the checkpoint")
        #expect(try databaseContents(db) == model)
        try db.put("after", "the faults")
        try db.close()
        let reopened = try fixture.openDatabase()
        #expect(try reopened.get("after") == "the faults")
        try reopened.close()
    }

    @Test func theDestinationMustBeNewOrEmptyAndAFailedCheckpointLeavesNothing() throws {
        let dir = TemporaryDirectory("checkpoint-destination")
        defer { dir.remove() }
        let db = try Database.open(dir.appending("db"))
        try db.put("k", "v")
        let occupied = dir.appending("occupied")
        try Self.fs.createDirectory(occupied)
        try Self.fs.writeWholeFile([1], to: occupied + "/something")
        let error = #expect(throws: LSMError.self) { try db.checkpoint(to: occupied) }
        #expect(error?.code == .invalidArgument && error?.path == occupied)
        #expect(try Self.fs.listDirectory(occupied) == ["something"])

        let file = dir.appending("a-file")
        try Self.fs.writeWholeFile([1], to: file)
        #expect(throws: LSMError.self) { try db.checkpoint(to: file) }

        let empty = dir.appending("empty")
        try Self.fs.createDirectory(empty)
        try db.checkpoint(to: empty)
        let opened = try Database.open(empty)
        #expect(try opened.get("k") == "v")
        try opened.close()

        try db.close()
        let closed = #expect(throws: LSMError.self) { try db.checkpoint(to: dir.appending("late")) }
        #expect(closed?.code == .databaseClosed)
        #expect(!Self.fs.fileExists(dir.appending("late")), "a refused checkpoint makes nothing")

        var readOnly = Options()
        readOnly.readOnly = true
        let reader = try Database.open(dir.appending("db"), options: readOnly)
        let refused = #expect(throws: LSMError.self) { try reader.checkpoint(to: dir.appending("ro")) }
        #expect(refused?.code == .readOnly)
        try reader.close()
    }
}
