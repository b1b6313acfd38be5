#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// What the file system tests need beyond the database setup: paths in the directory, what is really on disk, and
/// durable files to start from.
private extension CrashFixture {
    func path(of name: String) -> String { directory.appending(name) }

    /// What is really on disk under `name`, or nil when there is no such file.
    func contents(_ name: String) throws -> [UInt8]? {
        let disk = PosixFileSystem()
        return disk.fileExists(path(of: name)) ? try disk.readWholeFile(path(of: name)) : nil
    }

    /// Creates `name` holding `bytes`, all durable (file and directory entry).
    func makeDurable(_ name: String, _ bytes: [UInt8]) throws {
        let file = try fileSystem.openWritable(path(of: name), truncate: true)
        try file.append(bytes)
        try file.sync()
        try file.close()
        try fileSystem.syncDirectory(path)
    }
}

private func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0) &+ seed }
}

@Suite struct CrashSimulatingFileSystemTests {
    @Test func syncedBytesSurviveAndLaterOnesAreDropped() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let file = try t.fileSystem.openWritable(t.path(of: "log"), truncate: false)
        try t.fileSystem.syncDirectory(t.path)
        try file.append(bytes(100, 1))
        try file.sync()
        try file.append(bytes(50, 2))
        #expect(try t.contents("log")?.count == 150)
        try t.fileSystem.crash()
        #expect(try t.contents("log") == bytes(100, 1))
    }

    /// Four appends with every subset of them followed by a sync: the crash keeps exactly up to the last sync.
    @Test func durableLengthIsTheLastSync() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let chunks = [bytes(7, 1), bytes(1, 2), bytes(30, 3), bytes(12, 4)]
        for pattern in 0..<16 {
            let name = "f\(pattern)"
            try t.makeDurable(name, [])
            let file = try t.fileSystem.openWritable(t.path(of: name), truncate: false)
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
            try t.fileSystem.crash()
            #expect(try t.contents(name) == durable, "sync pattern \(pattern)")
        }
    }

    @Test func fileCreatedWithoutDirectorySyncDisappears() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let file = try t.fileSystem.openWritable(t.path(of: "new"), truncate: true)
        try file.append(bytes(10, 0))
        try file.sync()
        try file.close()
        #expect(t.fileSystem.fileExists(t.path(of: "new")))
        try t.fileSystem.crash()
        #expect(!t.fileSystem.fileExists(t.path(of: "new")))
        #expect(try t.fileSystem.listDirectory(t.path).isEmpty)
    }

    @Test func fileCreatedWithDirectorySyncStaysWithItsSyncedLength() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let file = try t.fileSystem.openWritable(t.path(of: "new"), truncate: true)
        try t.fileSystem.syncDirectory(t.path + "/")
        try file.append(bytes(10, 0))
        try file.sync()
        try file.append(bytes(10, 9))
        try t.fileSystem.crash()
        #expect(try t.contents("new") == bytes(10, 0))
    }

    @Test func renameWithoutDirectorySyncReverts() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        try t.makeDurable("CURRENT", bytes(5, 1))
        try t.makeDurable("CURRENT.tmp", bytes(8, 2))
        try t.fileSystem.renameFile(t.path(of: "CURRENT.tmp"), to: t.path(of: "CURRENT"))
        #expect(try t.contents("CURRENT") == bytes(8, 2))
        #expect(!t.fileSystem.fileExists(t.path(of: "CURRENT.tmp")))
        try t.fileSystem.crash()
        #expect(try t.contents("CURRENT") == bytes(5, 1))
        #expect(try t.contents("CURRENT.tmp") == bytes(8, 2))
    }

    @Test func renameOntoNothingRevertsToNothing() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        try t.makeDurable("a", bytes(3, 1))
        try t.fileSystem.renameFile(t.path(of: "a"), to: t.path(of: "b"))
        try t.fileSystem.crash()
        #expect(try t.contents("a") == bytes(3, 1))
        #expect(try t.contents("b") == nil)
    }

    @Test func renameWithDirectorySyncStays() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        try t.makeDurable("CURRENT", bytes(5, 1))
        try t.fileSystem.writeFileAtomically(t.path(of: "CURRENT"), contents: bytes(9, 3), directory: t.path)
        try t.fileSystem.crash()
        #expect(try t.contents("CURRENT") == bytes(9, 3))
        #expect(try t.fileSystem.listDirectory(t.path) == ["CURRENT"])
    }

    /// A file written, renamed and appended to without any sync: everything about it is undone.
    @Test func unsyncedCreateThenRenameLeavesNothing() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let file = try t.fileSystem.openWritable(t.path(of: "x.tmp"), truncate: true)
        try file.append(bytes(4, 0))
        try t.fileSystem.renameFile(t.path(of: "x.tmp"), to: t.path(of: "x"))
        try file.append(bytes(4, 4))
        try t.fileSystem.crash()
        #expect(try t.fileSystem.listDirectory(t.path).isEmpty)
    }

    /// Syncing a renamed file through a handle opened before the rename counts for the file under its new name.
    @Test func syncFollowsTheFileAcrossARename() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let file = try t.fileSystem.openWritable(t.path(of: "x.tmp"), truncate: true)
        try t.fileSystem.renameFile(t.path(of: "x.tmp"), to: t.path(of: "x"))
        try t.fileSystem.syncDirectory(t.path)
        try file.append(bytes(6, 0))
        try file.sync()
        try file.append(bytes(6, 6))
        try t.fileSystem.crash()
        #expect(try t.contents("x") == bytes(6, 0))
    }

    @Test func removalWithoutDirectorySyncIsUndone() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        try t.makeDurable("old", bytes(20, 1))
        let file = try t.fileSystem.openWritable(t.path(of: "old"), truncate: false)
        try file.append(bytes(5, 7))
        try t.fileSystem.removeFile(t.path(of: "old"))
        #expect(!t.fileSystem.fileExists(t.path(of: "old")))
        try t.fileSystem.crash()
        #expect(try t.contents("old") == bytes(20, 1))

        try t.fileSystem.removeFile(t.path(of: "old"))
        try t.fileSystem.syncDirectory(t.path)
        try t.fileSystem.crash()
        #expect(!t.fileSystem.fileExists(t.path(of: "old")))
    }

    @Test func truncatingOpenIsDurableAtOnce() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        try t.makeDurable("f", bytes(20, 1))
        let file = try t.fileSystem.openWritable(t.path(of: "f"), truncate: true)
        try file.append(bytes(5, 2))
        try t.fileSystem.crash()
        #expect(try t.contents("f") == [])
    }

    @Test func filesItNeverTouchedAreLeftAlone() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let outside = try PosixFileSystem().openWritable(t.path(of: "outside"), truncate: true)
        try outside.append(bytes(9, 0))
        try outside.close()
        try t.fileSystem.crash()
        #expect(try t.contents("outside") == bytes(9, 0))
    }

    @Test func handlesOpenedBeforeACrashAreDead() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        try t.makeDurable("f", bytes(10, 0))
        let writer = try t.fileSystem.openWritable(t.path(of: "f"), truncate: false)
        let reader = try t.fileSystem.openReadable(t.path(of: "f"))
        let lock = try t.fileSystem.lockFile(t.path(of: "LOCK"), shared: false)
        try t.fileSystem.crash()

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
        let again = try t.fileSystem.openReadable(t.path(of: "f"))
        #expect(try again.readExactly(at: 0, count: 10) == bytes(10, 0))
        let relocked = try t.fileSystem.lockFile(t.path(of: "LOCK"), shared: false)
        relocked.unlock()
        lock.unlock()
    }

    /// For every kind and every `afterCount` in 0..<3: exactly the `afterCount + 1`-th operation fails, the
    /// ones before and after succeed, and the counter counts them all.
    @Test(arguments: CrashSimulatingFileSystem.Operation.allCases)
    func faultFiresAtTheRightCount(kind: CrashSimulatingFileSystem.Operation) throws {
        for afterCount in 0..<3 {
            let t = CrashFixture("crashfs-test")
            defer { t.remove() }
            let operation = try OneOperation(kind, in: t)
            let before = t.fileSystem.operationCount(kind)
            t.fileSystem.injectFault(.init(kind: kind, afterCount: afterCount))
            for i in 0..<5 {
                if i == afterCount {
                    #expect(throws: LSMError.self, "\(kind) #\(i) after \(afterCount)") { try operation.run() }
                } else {
                    try operation.run()
                }
            }
            #expect(t.fileSystem.operationCount(kind) - before == 5)
        }
    }

    @Test func repeatingFaultKeepsFailingUntilCleared() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let operation = try OneOperation(.sync, in: t)
        t.fileSystem.injectFault(.init(kind: .sync, afterCount: 1, repeats: true))
        try operation.run()
        for _ in 0..<3 { #expect(throws: LSMError.self) { try operation.run() } }
        t.fileSystem.clearFaults()
        try operation.run()
    }

    @Test func faultsOnlyHitTheirKind() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        t.fileSystem.injectFault(.init(kind: .read, repeats: true))
        try t.makeDurable("f", bytes(3, 0))
        let reader = try t.fileSystem.openReadable(t.path(of: "f"))
        #expect(throws: LSMError.self) { _ = try reader.readExactly(at: 0, count: 3) }
    }

    @Test func errnoMapsToTheErrorCode() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        t.fileSystem.injectFault(.init(kind: .syncDirectory, errno: ENOSPC))
        let full = #expect(throws: LSMError.self) { try t.fileSystem.syncDirectory(t.path) }
        #expect(full?.code == .noSpace)
        #expect(full?.errno == ENOSPC)
        t.fileSystem.injectFault(.init(kind: .syncDirectory, errno: EIO))
        let broken = #expect(throws: LSMError.self) { try t.fileSystem.syncDirectory(t.path) }
        #expect(broken?.code == .ioError)
        #expect(broken?.errno == EIO)
        #expect(broken?.path == t.path)
    }

    @Test func shortWriteLeavesHalfTheBytes() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        let file = try t.fileSystem.openWritable(t.path(of: "f"), truncate: true)
        try file.append(bytes(4, 0))
        t.fileSystem.injectFault(.init(kind: .write, errno: ENOSPC, shortWrite: true))
        let error = #expect(throws: LSMError.self) { try file.append(bytes(11, 50)) }
        #expect(error?.code == .noSpace)
        #expect(try t.contents("f") == bytes(4, 0) + bytes(5, 50))
        #expect(file.size == 9)
    }

    @Test func failedOperationsChangeNothing() throws {
        let t = CrashFixture("crashfs-test")
        defer { t.remove() }
        t.fileSystem.injectFault(.init(kind: .open))
        #expect(throws: LSMError.self) { _ = try t.fileSystem.openWritable(t.path(of: "f"), truncate: true) }
        #expect(!t.fileSystem.fileExists(t.path(of: "f")))

        try t.makeDurable("a", bytes(3, 0))
        t.fileSystem.injectFault(.init(kind: .rename))
        #expect(throws: LSMError.self) { try t.fileSystem.renameFile(t.path(of: "a"), to: t.path(of: "b")) }
        t.fileSystem.injectFault(.init(kind: .remove))
        #expect(throws: LSMError.self) { try t.fileSystem.removeFile(t.path(of: "a")) }
        #expect(try t.fileSystem.listDirectory(t.path) == ["a"])

        // A failed sync leaves the data not durable.
        let file = try t.fileSystem.openWritable(t.path(of: "a"), truncate: false)
        try file.append(bytes(3, 3))
        t.fileSystem.injectFault(.init(kind: .sync))
        #expect(throws: LSMError.self) { try file.sync() }
        // A failed directory sync leaves the creation not durable.
        let created = try t.fileSystem.openWritable(t.path(of: "c"), truncate: true)
        try created.sync()
        t.fileSystem.injectFault(.init(kind: .syncDirectory))
        #expect(throws: LSMError.self) { try t.fileSystem.syncDirectory(t.path) }
        try t.fileSystem.crash()
        #expect(try t.contents("a") == bytes(3, 0))
        #expect(try t.contents("c") == nil)
    }
}

/// One repeatable operation of a given kind in a fixture, for the fault-counting sweep.
private struct OneOperation {
    let run: () throws -> Void

    init(_ kind: CrashSimulatingFileSystem.Operation, in t: CrashFixture) throws {
        try t.makeDurable("f", bytes(8, 0))
        let fs = t.fileSystem
        let path = t.path(of: "f")
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
            let other = t.path(of: "g")
            var atOther = false
            run = {
                if atOther { try fs.renameFile(other, to: path) } else { try fs.renameFile(path, to: other) }
                atOther.toggle()
            }
        case .syncDirectory:
            let directory = t.path
            run = { try fs.syncDirectory(directory) }
        case .remove:
            let missing = t.path(of: "missing")
            run = { try fs.removeFile(missing) }
        }
    }
}
