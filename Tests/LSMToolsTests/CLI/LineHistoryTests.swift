import Testing
@testable import LSMTools

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The prompt's history: what is kept, its bounds, and the file it lives in between sessions.
@Suite struct LineHistoryTests {
    private func strings(_ history: LineHistory) -> [String] {
        history.entries.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func blankAndRepeatedLinesAreNotKept() {
        var history = LineHistory(path: nil)
        for line in ["get a", "", "   ", "\t", "get a", "put a 1", "get a"] { history.add(Array(line.utf8)) }
        #expect(strings(history) == ["get a", "put a 1", "get a"])
    }

    @Test func theNewestEntriesAreKeptAndHugeLinesAreNot() {
        var history = LineHistory(path: nil)
        for i in 0..<(LineHistory.maxEntries + 5) { history.add(Array("get k\(i)".utf8)) }
        #expect(history.entries.count == LineHistory.maxEntries)
        #expect(strings(history).first == "get k5")
        #expect(strings(history).last == "get k\(LineHistory.maxEntries + 4)")
        history.add([UInt8](repeating: UInt8(ascii: "v"), count: LineHistory.maxEntryBytes + 1))
        #expect(strings(history).last == "get k\(LineHistory.maxEntries + 4)")
        history.add([UInt8](repeating: UInt8(ascii: "v"), count: LineHistory.maxEntryBytes))
        #expect(history.entries.last?.count == LineHistory.maxEntryBytes)
    }

    @Test func theFileKeepsTheHistoryBetweenSessionsForItsOwnerOnly() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file(".lsm_history")
        var first = LineHistory(path: path)
        #expect(first.entries.isEmpty, "no file yet")
        let lines: [[UInt8]] = [Array("put é €".utf8), [0x67, 0x65, 0x74, 0x20, 0xFF], Array("scan".utf8)]
        for line in lines { first.add(line) }
        first.save()
        #expect(try Scratch.read(path) == lines.flatMap { $0 + [0x0A] })
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(LineHistory(path: path).entries == lines)
    }

    @Test func aFileThatCannotBeWrittenLeavesTheHistoryInMemory() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        for path in [scratch.file("missing/.lsm_history"), scratch.path] {
            var history = LineHistory(path: path)
            history.add(Array("get a".utf8))
            history.save()
            #expect(strings(history) == ["get a"])
        }
        #expect(!FileTree.exists(scratch.file("missing")))
        #expect(FileTree.entries(scratch.path) == [])
    }

    @Test func theFileIsInTheHomeDirectoryWhenThereIsOne() {
        #expect(LineHistory.defaultPath(home: "/home/ada") == "/home/ada/.lsm_history")
        #expect(LineHistory.defaultPath(home: "/") == "/.lsm_history")
        #expect(LineHistory.defaultPath(home: "") == nil)
        #expect(LineHistory.defaultPath(home: nil) == nil)
    }
}
