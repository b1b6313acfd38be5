#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// A crash-simulating file system over a fresh directory under /tmp, removed by ``remove()``.
private struct Fixture {
    let fs: CrashSimulatingFileSystem
    let directory: String
    let disk = PosixFileSystem()

    init() throws {
        fs = CrashSimulatingFileSystem()
        var template = Array("/tmp/swift-lsm-crashfs-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap(mkdtemp) }
        try #require(made != nil)
        directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// What is really on disk under `name`, or nil when there is no such file.
    func contents(_ name: String) throws -> [UInt8]? {
        disk.fileExists(path(name)) ? try disk.readWholeFile(path(name)) : nil
    }

    /// Creates `name` holding `bytes`, all durable (file and directory entry).
    func makeDurable(_ name: String, _ bytes: [UInt8]) throws {
        let file = try fs.openWritable(path(name), truncate: true)
        try file.append(bytes)
        try file.sync()
        try file.close()
        try fs.syncDirectory(directory)
    }

    func remove() {
        for name in (try? disk.listDirectory(directory)) ?? [] { unlink(path(name)) }
        rmdir(directory)
    }
}

private func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0) &+ seed }
}

@Suite struct CrashSimulatingFileSystemTests {
    @Test func syncedBytesSurviveAndLaterOnesAreDropped() throws {
        let t = try Fixture()
        defer { t.remove() }
        let file = try t.fs.openWritable(t.path("log"), truncate: false)
        try t.fs.syncDirectory(t.directory)
        try file.append(bytes(100, 1))
        try file.sync()
        try file.append(bytes(50, 2))
        #expect(try t.contents("log")?.count == 150)
        try t.fs.crash()
        #expect(try t.contents("log") == bytes(100, 1))
    }

    /// Four appends with every subset of them followed by a sync: the crash keeps exactly up to the last sync.
    @Test func durableLengthIsTheLastSync() throws {
        let t = try Fixture()
        defer { t.remove() }
        let chunks = [bytes(7, 1), bytes(1, 2), bytes(30, 3), bytes(12, 4)]
        for pattern in 0..<16 {
            let name = "f\(pattern)"
            try t.makeDurable(name, [])
            let file = try t.fs.openWritable(t.path(name), truncate: false)
            var written: [UInt8] = []
            var durable: [UInt8] = []
            for (i, chunk) in chunks.enumerated() {
                try file.append(chunk)
                written += chunk
                if pattern & (1 << i) != 0 {
                    try file.sync()
                    durable = written
                }
            }
            try t.fs.crash()
            #expect(try t.contents(name) == durable, "sync pattern \(pattern)")
        }
    }

    @Test func fileCreatedWithoutDirectorySyncDisappears() throws {
        let t = try Fixture()
        defer { t.remove() }
        let file = try t.fs.openWritable(t.path("new"), truncate: true)
        try file.append(bytes(10, 0))
        try file.sync()
        try file.close()
        #expect(t.fs.fileExists(t.path("new")))
        try t.fs.crash()
        #expect(!t.fs.fileExists(t.path("new")))
        #expect(try t.fs.listDirectory(t.directory).isEmpty)
    }

    @Test func fileCreatedWithDirectorySyncStaysWithItsSyncedLength() throws {
        let t = try Fixture()
        defer { t.remove() }
        let file = try t.fs.openWritable(t.path("new"), truncate: true)
        try t.fs.syncDirectory(t.directory + "/")
        try file.append(bytes(10, 0))
        try file.sync()
        try file.append(bytes(10, 9))
        try t.fs.crash()
        #expect(try t.contents("new") == bytes(10, 0))
    }

    @Test func renameWithoutDirectorySyncReverts() throws {
        let t = try Fixture()
        defer { t.remove() }
        try t.makeDurable("CURRENT", bytes(5, 1))
        try t.makeDurable("CURRENT.tmp", bytes(8, 2))
        try t.fs.renameFile(t.path("CURRENT.tmp"), to: t.path("CURRENT"))
        #expect(try t.contents("CURRENT") == bytes(8, 2))
        #expect(!t.fs.fileExists(t.path("CURRENT.tmp")))
        try t.fs.crash()
        #expect(try t.contents("CURRENT") == bytes(5, 1))
        #expect(try t.contents("CURRENT.tmp") == bytes(8, 2))
    }

    @Test func renameOntoNothingRevertsToNothing() throws {
        let t = try Fixture()
        defer { t.remove() }
        try t.makeDurable("a", bytes(3, 1))
        try t.fs.renameFile(t.path("a"), to: t.path("b"))
        try t.fs.crash()
        #expect(try t.contents("a") == bytes(3, 1))
        #expect(try t.contents("b") == nil)
    }

    @Test func renameWithDirectorySyncStays() throws {
        let t = try Fixture()
        defer { t.remove() }
        try t.makeDurable("CURRENT", bytes(5, 1))
        try t.fs.writeFileAtomically(t.path("CURRENT"), contents: bytes(9, 3), directory: t.directory)
        try t.fs.crash()
        #expect(try t.contents("CURRENT") == bytes(9, 3))
        #expect(try t.fs.listDirectory(t.directory) == ["CURRENT"])
    }

    /// A file written, renamed and appended to without any sync: everything about it is undone.
    @Test func unsyncedCreateThenRenameLeavesNothing() throws {
        let t = try Fixture()
        defer { t.remove() }
        let file = try t.fs.openWritable(t.path("x.tmp"), truncate: true)
        try file.append(bytes(4, 0))
        try t.fs.renameFile(t.path("x.tmp"), to: t.path("x"))
        try file.append(bytes(4, 4))
        try t.fs.crash()
        #expect(try t.fs.listDirectory(t.directory).isEmpty)
    }

    /// Syncing a renamed file through a handle opened before the rename counts for the file under its new name.
    @Test func syncFollowsTheFileAcrossARename() throws {
        let t = try Fixture()
        defer { t.remove() }
        let file = try t.fs.openWritable(t.path("x.tmp"), truncate: true)
        try t.fs.renameFile(t.path("x.tmp"), to: t.path("x"))
        try t.fs.syncDirectory(t.directory)
        try file.append(bytes(6, 0))
        try file.sync()
        try file.append(bytes(6, 6))
        try t.fs.crash()
        #expect(try t.contents("x") == bytes(6, 0))
    }

    @Test func removalWithoutDirectorySyncIsUndone() throws {
        let t = try Fixture()
        defer { t.remove() }
        try t.makeDurable("old", bytes(20, 1))
        let file = try t.fs.openWritable(t.path("old"), truncate: false)
        try file.append(bytes(5, 7))
        try t.fs.removeFile(t.path("old"))
        #expect(!t.fs.fileExists(t.path("old")))
        try t.fs.crash()
        #expect(try t.contents("old") == bytes(20, 1))

        try t.fs.removeFile(t.path("old"))
        try t.fs.syncDirectory(t.directory)
        try t.fs.crash()
        #expect(!t.fs.fileExists(t.path("old")))
    }

    @Test func truncatingOpenIsDurableAtOnce() throws {
        let t = try Fixture()
        defer { t.remove() }
        try t.makeDurable("f", bytes(20, 1))
        let file = try t.fs.openWritable(t.path("f"), truncate: true)
        try file.append(bytes(5, 2))
        try t.fs.crash()
        #expect(try t.contents("f") == [])
    }

    @Test func filesItNeverTouchedAreLeftAlone() throws {
        let t = try Fixture()
        defer { t.remove() }
        let outside = try t.disk.openWritable(t.path("outside"), truncate: true)
        try outside.append(bytes(9, 0))
        try outside.close()
        try t.fs.crash()
        #expect(try t.contents("outside") == bytes(9, 0))
    }

    @Test func handlesOpenedBeforeACrashAreDead() throws {
        let t = try Fixture()
        defer { t.remove() }
        try t.makeDurable("f", bytes(10, 0))
        let writer = try t.fs.openWritable(t.path("f"), truncate: false)
        let reader = try t.fs.openReadable(t.path("f"))
        let lock = try t.fs.lockFile(t.path("LOCK"), shared: false)
        try t.fs.crash()

        var buffer = [UInt8](repeating: 0, count: 4)
        let readError = #expect(throws: LSMError.self) {
            _ = try buffer.withUnsafeMutableBytes { try reader.read(at: 0, into: $0) }
        }
        #expect(readError?.code == .ioError)
        let appendError = #expect(throws: LSMError.self) { try writer.append([1]) }
        #expect(appendError?.code == .ioError)
        let syncError = #expect(throws: LSMError.self) { try writer.sync() }
        #expect(syncError?.code == .ioError)
        let closeError = #expect(throws: LSMError.self) { try writer.close() }
        #expect(closeError?.code == .ioError)
        #expect(try t.contents("f") == bytes(10, 0))

        // After the "reboot" new handles work, and the lock the dead process held is free.
        let again = try t.fs.openReadable(t.path("f"))
        #expect(try again.readExactly(at: 0, count: 10) == bytes(10, 0))
        let relocked = try t.fs.lockFile(t.path("LOCK"), shared: false)
        relocked.unlock()
        lock.unlock()
    }

    /// For every kind and every `afterCount` in 0..<3: exactly the `afterCount + 1`-th operation fails, the
    /// ones before and after succeed, and the counter counts them all.
    @Test(arguments: CrashSimulatingFileSystem.Operation.allCases)
    func faultFiresAtTheRightCount(kind: CrashSimulatingFileSystem.Operation) throws {
        for afterCount in 0..<3 {
            let t = try Fixture()
            defer { t.remove() }
            let operation = try OneOperation(kind, in: t)
            let before = t.fs.operationCount(kind)
            t.fs.injectFault(.init(kind: kind, afterCount: afterCount))
            for i in 0..<5 {
                if i == afterCount {
                    #expect(throws: LSMError.self, "\(kind) #\(i) after \(afterCount)") { try operation.run() }
                } else {
                    try operation.run()
                }
            }
            #expect(t.fs.operationCount(kind) - before == 5)
        }
    }

    @Test func repeatingFaultKeepsFailingUntilCleared() throws {
        let t = try Fixture()
        defer { t.remove() }
        let operation = try OneOperation(.sync, in: t)
        t.fs.injectFault(.init(kind: .sync, afterCount: 1, repeats: true))
        try operation.run()
        for _ in 0..<3 { #expect(throws: LSMError.self) { try operation.run() } }
        t.fs.clearFaults()
        try operation.run()
    }

    @Test func faultsOnlyHitTheirKind() throws {
        let t = try Fixture()
        defer { t.remove() }
        t.fs.injectFault(.init(kind: .read, repeats: true))
        try t.makeDurable("f", bytes(3, 0))
        let reader = try t.fs.openReadable(t.path("f"))
        #expect(throws: LSMError.self) { _ = try reader.readExactly(at: 0, count: 3) }
    }

    @Test func errnoMapsToTheErrorCode() throws {
        let t = try Fixture()
        defer { t.remove() }
        t.fs.injectFault(.init(kind: .syncDirectory, errno: ENOSPC))
        let full = #expect(throws: LSMError.self) { try t.fs.syncDirectory(t.directory) }
        #expect(full?.code == .noSpace)
        #expect(full?.errno == ENOSPC)
        t.fs.injectFault(.init(kind: .syncDirectory, errno: EIO))
        let broken = #expect(throws: LSMError.self) { try t.fs.syncDirectory(t.directory) }
        #expect(broken?.code == .ioError)
        #expect(broken?.errno == EIO)
        #expect(broken?.path == t.directory)
    }

    @Test func shortWriteLeavesHalfTheBytes() throws {
        let t = try Fixture()
        defer { t.remove() }
        let file = try t.fs.openWritable(t.path("f"), truncate: true)
        try file.append(bytes(4, 0))
        t.fs.injectFault(.init(kind: .write, errno: ENOSPC, shortWrite: true))
        let error = #expect(throws: LSMError.self) { try file.append(bytes(11, 50)) }
        #expect(error?.code == .noSpace)
        #expect(try t.contents("f") == bytes(4, 0) + bytes(5, 50))
        #expect(file.size == 9)
    }

    @Test func failedOperationsChangeNothing() throws {
        let t = try Fixture()
        defer { t.remove() }
        t.fs.injectFault(.init(kind: .open))
        #expect(throws: LSMError.self) { _ = try t.fs.openWritable(t.path("f"), truncate: true) }
        #expect(!t.fs.fileExists(t.path("f")))

        try t.makeDurable("a", bytes(3, 0))
        t.fs.injectFault(.init(kind: .rename))
        #expect(throws: LSMError.self) { try t.fs.renameFile(t.path("a"), to: t.path("b")) }
        t.fs.injectFault(.init(kind: .remove))
        #expect(throws: LSMError.self) { try t.fs.removeFile(t.path("a")) }
        #expect(try t.fs.listDirectory(t.directory) == ["a"])

        // A failed sync leaves the data not durable.
        let file = try t.fs.openWritable(t.path("a"), truncate: false)
        try file.append(bytes(3, 3))
        t.fs.injectFault(.init(kind: .sync))
        #expect(throws: LSMError.self) { try file.sync() }
        // A failed directory sync leaves the creation not durable.
        let created = try t.fs.openWritable(t.path("c"), truncate: true)
        try created.sync()
        t.fs.injectFault(.init(kind: .syncDirectory))
        #expect(throws: LSMError.self) { try t.fs.syncDirectory(t.directory) }
        try t.fs.crash()
        #expect(try t.contents("a") == bytes(3, 0))
        #expect(try t.contents("c") == nil)
    }
}

/// One repeatable operation of a given kind in a fixture, for the fault-counting sweep.
private struct OneOperation {
    let run: () throws -> Void

    init(_ kind: CrashSimulatingFileSystem.Operation, in t: Fixture) throws {
        try t.makeDurable("f", bytes(8, 0))
        let fs = t.fs
        let path = t.path("f")
        switch kind {
        case .write:
            let file = try fs.openWritable(path, truncate: false)
            run = { try file.append([1]) }
        case .sync:
            let file = try fs.openWritable(path, truncate: false)
            run = { try file.sync() }
        case .read:
            let file = try fs.openReadable(path)
            run = { _ = try file.readExactly(at: 0, count: 8) }
        case .open:
            run = { _ = try fs.openReadable(path) }
        case .rename:
            let other = t.path("g")
            var atOther = false
            run = {
                if atOther { try fs.renameFile(other, to: path) } else { try fs.renameFile(path, to: other) }
                atOther.toggle()
            }
        case .syncDirectory:
            let directory = t.directory
            run = { try fs.syncDirectory(directory) }
        case .remove:
            let missing = t.path("missing")
            run = { try fs.removeFile(missing) }
        }
    }
}
