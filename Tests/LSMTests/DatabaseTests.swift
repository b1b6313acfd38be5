import Testing
@testable import LSM

/// The database's public behaviour: reads and writes, persistence, batches, snapshots, cursors, limits, and the
/// errors for bad directories and damaged files.
@Suite struct DatabaseTests {
    private func withDatabase(
        _ options: Options = Options(), _ body: (Database, TemporaryDirectory) throws -> Void
    ) throws {
        let dir = TemporaryDirectory("db")
        defer { dir.remove() }
        let db = try Database.open(dir.path, options: options)
        try body(db, dir)
        try db.close()
    }

    /// Puts keys k0...k9 (with `value(i)` for key i) into a new database in `dir` and closes it, then replaces its
    /// log, which close leaves as the only copy of those writes, with `rewrite` of its bytes; returns the log's name.
    @discardableResult
    private func writeTenKeysAndRewriteTheLog(
        in dir: TemporaryDirectory, value: (Int) -> String, _ rewrite: ([UInt8]) -> [UInt8]
    ) throws -> String {
        let fs = PosixFileSystem()
        let db = try Database.open(dir.path)
        for i in 0..<10 { try db.put("k\(i)", value(i)) }
        try db.close()
        let log = try #require(try fs.listDirectory(dir.path).first { $0.hasSuffix(".wal") })
        let bytes = try fs.readWholeFile(dir.appending(log))
        try fs.writeWholeFile(rewrite(bytes), to: dir.appending(log))
        return log
    }

    /// Expects opening `path` to be refused with `code`; `comment` says what an open that succeeded did wrong.
    private func expectOpenRefused(
        _ path: String, options: Options = Options(), with code: LSMError.Code, _ comment: Comment,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: LSMError.self, comment, sourceLocation: sourceLocation) {
            try Database.open(path, options: options)
        }
        #expect(error?.code == code, sourceLocation: sourceLocation)
    }

    private func all(_ cursor: Cursor) throws -> [String] {
        var keys: [String] = []
        while let (key, value) = try cursor.next() {
            keys.append(String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
        }
        return keys
    }

    @Test func putGetDeleteAndOverwrite() throws {
        try withDatabase { db, _ in
            #expect(try db.get("missing") == nil)
            try db.put("a", "1")
            try db.put("b", "2")
            #expect(try db.get("a") == "1")
            try db.put("a", "3")
            #expect(try db.get("a") == "3")
            try db.delete("a")
            #expect(try db.get("a") == nil)
            try db.delete("never-there")
            #expect(try db.get("b") == "2")
            try db.put([], [])
            #expect(try db.get([UInt8]()) == [])
        }
    }

    @Test func dataSurvivesCloseAndReopen() throws {
        let dir = TemporaryDirectory("reopen")
        defer { dir.remove() }
        var options = Options()
        options.memtableSize = 4096
        do {
            let db = try Database.open(dir.path, options: options)
            for i in 0..<2000 { try db.put("key\(i)", "value\(i)") }
            for i in stride(from: 0, to: 2000, by: 3) { try db.delete("key\(i)") }
            try db.close()
        }
        for _ in 0..<2 {
            let db = try Database.open(dir.path, options: options)
            for i in 0..<2000 {
                #expect(try db.get("key\(i)") == (i % 3 == 0 ? nil : "value\(i)"))
            }
            let stats = try db.statistics()
            #expect(stats.levelFileCounts.reduce(0, +) >= 1)
            #expect(stats.lastSequence >= 2667)
            try db.close()
        }
    }

    @Test func tinyMemtableFlushesManyTablesAndReadsStayRight() throws {
        var options = Options()
        options.memtableSize = 512
        try withDatabase(options) { db, _ in
            for i in 0..<300 { try db.put("k\(i % 97)", "v\(i)") }
            try db.flush()
            let stats = try db.statistics()
            #expect(stats.flushCount > 20)
            #expect(stats.levelFileCounts[0] <= Options().level0StopTrigger)
            #expect(stats.immutableMemtables == 0)
            for k in 0..<97 {
                let last = (0..<300).last { $0 % 97 == k }!
                #expect(try db.get("k\(k)") == "v\(last)")
            }
            #expect(try all(db.cursor()).count == 97)
        }
    }

    @Test func batchIsAppliedWhole() throws {
        try withDatabase { db, _ in
            try db.put("gone", "x")
            var batch = WriteBatch()
            batch.put("a", "1")
            batch.put("b", "2")
            batch.delete("gone")
            batch.put("a", "3")
            #expect(batch.count == 4)
            try db.write(batch, sync: true)
            #expect(try db.get("a") == "3")
            #expect(try db.get("b") == "2")
            #expect(try db.get("gone") == nil)
            try db.write(WriteBatch())
        }
    }

    @Test func snapshotKeepsItsView() throws {
        try withDatabase { db, _ in
            try db.put("a", "old")
            try db.put("b", "old")
            let snapshot = try db.snapshot()
            try db.put("a", "new")
            try db.delete("b")
            try db.put("c", "new")
            try db.flush()
            #expect(try db.get("a", snapshot: snapshot) == "old")
            #expect(try db.get("b", snapshot: snapshot) == "old")
            #expect(try db.get("c", snapshot: snapshot) == nil)
            #expect(try all(db.cursor(snapshot: snapshot)) == ["a=old", "b=old"])
            #expect(try all(db.cursor()) == ["a=new", "c=new"])
            #expect(try db.statistics().liveSnapshots == 1)
            snapshot.release()
            #expect(try db.statistics().liveSnapshots == 0)
        }
    }

    @Test func cursorsHonourBoundsDirectionAndSeek() throws {
        var options = Options()
        options.memtableSize = 1024
        try withDatabase(options) { db, _ in
            for c in "abcdefghij" { try db.put(String(c), String(c).uppercased()) }
            try db.delete("e")
            #expect(try all(db.cursor()) == ["a=A", "b=B", "c=C", "d=D", "f=F", "g=G", "h=H", "i=I", "j=J"])
            #expect(try all(db.cursor(reverse: true)).first == "j=J")
            #expect(try all(db.cursor(from: "c".bytes, to: "g".bytes)) == ["c=C", "d=D", "f=F"])
            #expect(try all(db.cursor(from: "c".bytes, to: "g".bytes, reverse: true)) == ["f=F", "d=D", "c=C"])
            #expect(try all(db.cursor(from: "cc".bytes, to: "e".bytes)) == ["d=D"])
            #expect(try all(db.cursor(from: "x".bytes)) == [])
            #expect(try all(db.cursor(to: "a".bytes)) == [])

            let forward = try db.cursor(to: "i".bytes)
            forward.seek(to: "e".bytes)
            #expect(try forward.next()?.key == "f".bytes)
            forward.seek(to: "z".bytes)
            #expect(try forward.next() == nil)

            let backward = try db.cursor(from: "b".bytes, reverse: true)
            backward.seek(to: "e".bytes)
            #expect(try backward.next()?.key == "d".bytes)
            backward.seek(to: "dd".bytes)
            #expect(try backward.next()?.key == "d".bytes)
            backward.seek(to: "a".bytes)
            #expect(try backward.next() == nil)
        }
    }

    @Test func borrowingNextLendsTheSameEntries() throws {
        var options = Options()
        options.memtableSize = 1024
        try withDatabase(options) { db, _ in
            for i in 0..<300 { try db.put("k\(i % 120)", "v\(i)") }
            try db.delete("k7")
            for reverse in [false, true] {
                let copying = try all(db.cursor(from: "k1".bytes, to: "k5".bytes, reverse: reverse))
                let cursor = try db.cursor(from: "k1".bytes, to: "k5".bytes, reverse: reverse)
                var borrowed: [String] = []
                while try cursor.next(borrowing: { key, value in
                    borrowed.append(String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
                }) {}
                #expect(borrowed == copying)
                #expect(!borrowed.isEmpty)
                #expect(try cursor.next(borrowing: { _, _ in Issue.record("called after the end") }) == false)
            }
        }
    }

    @Test func cursorIsAPointInTimeView() throws {
        try withDatabase { db, _ in
            try db.put("a", "1")
            let cursor = try db.cursor()
            try db.put("b", "2")
            try db.put("a", "changed")
            #expect(try all(cursor) == ["a=1"])
        }
    }

    @Test func limitsAreEnforcedWithTypedErrors() throws {
        try withDatabase { db, _ in
            let bigKey = [UInt8](repeating: 1, count: Limits.maxKeySize + 1)
            let bigValue = [UInt8](repeating: 0, count: Limits.maxValueSize + 1)
            #expect(#expect(throws: LSMError.self) { try db.put(bigKey, []) }?.code == .keyTooLarge)
            #expect(#expect(throws: LSMError.self, "a value over the limit was accepted") {
                try db.put([1], bigValue)
            }?.code == .valueTooLarge)
            let maxKey = [UInt8](repeating: 7, count: Limits.maxKeySize)
            try db.put(maxKey, [1])
            #expect(try db.get(maxKey) == [1])
        }
    }

    @Test func closedDatabaseThrows() throws {
        let dir = TemporaryDirectory("closed")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        try db.put("a", "1")
        try db.close()
        try db.close()
        for attempt in [{ try db.put("a", "2") }, { _ = try db.get("a") }, { _ = try db.cursor() }] {
            #expect(#expect(throws: LSMError.self, "an operation on a closed database succeeded") {
                try attempt()
            }?.code == .databaseClosed)
        }
    }

    @Test func secondOpenIsLockedOut() throws {
        let dir = TemporaryDirectory("lock")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        expectOpenRefused(dir.path, with: .databaseLocked, "a second open succeeded")
        try db.close()
        let again = try Database.open(dir.path)
        try again.close()
    }

    @Test func directoryOfOtherFilesIsNotADatabaseAndIsLeftAlone() throws {
        let dir = TemporaryDirectory("notdb")
        defer { dir.remove() }
        let fs = PosixFileSystem()
        try fs.writeWholeFile("hello".bytes, to: dir.appending("notes.txt"))
        expectOpenRefused(dir.path, with: .notADatabase, "opened a directory that is not a database")
        #expect(try fs.listDirectory(dir.path) == ["notes.txt"])
        expectOpenRefused(dir.appending("notes.txt"), with: .notADatabase, "opened a plain file")
        var options = Options()
        options.createIfMissing = false
        expectOpenRefused(dir.appending("absent"), options: options, with: .notADatabase,
                          "created a database with createIfMissing off")
    }

    @Test func invalidOptionsAreRejected() throws {
        let dir = TemporaryDirectory("options")
        defer { dir.remove() }
        var options = Options()
        options.memtableSize = 0
        expectOpenRefused(dir.path, options: options, with: .invalidArgument, "accepted a zero memtable size")
    }

    @Test func tornLogTailIsRecoveredSilently() throws {
        let dir = TemporaryDirectory("torn")
        defer { dir.remove() }
        // Cutting 3 bytes tears the log's final record.
        try writeTenKeysAndRewriteTheLog(in: dir, value: { "v\($0)" }) { Array($0.dropLast(3)) }

        let reopened = try Database.open(dir.path)
        for i in 0..<9 { #expect(try reopened.get("k\(i)") == "v\(i)") }
        #expect(try reopened.get("k9") == nil)
        try reopened.close()
    }

    @Test func corruptionInTheMiddleOfALogIsReportedWithFileAndOffset() throws {
        let dir = TemporaryDirectory("corrupt")
        defer { dir.remove() }
        let log = try writeTenKeysAndRewriteTheLog(in: dir, value: { "value-\($0)" }) { bytes in
            var damaged = bytes
            damaged[bytes.count / 2] ^= 0x40
            return damaged
        }
        let error = #expect(throws: LSMError.self, "opened a database whose log is damaged in the middle") {
            try Database.open(dir.path)
        }
        #expect(error?.code == .corruption)
        #expect(error?.path == dir.appending(log))
        #expect(error?.offset != nil)
    }
}
