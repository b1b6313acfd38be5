import Testing
@testable import LSM

/// Leveled compaction: what it keeps and drops, that it bounds level 0 and uses deeper levels, and that a crash
/// or an I/O failure at any step of it leaves the right contents and no orphan files.
@Suite struct CompactionTests {
    /// Options that make tables and levels tiny, so a few thousand writes exercise several levels.
    private func tinyOptions() -> Options {
        var options = Options()
        options.memtableSize = 4 << 10
        options.blockSize = 256
        options.level0CompactionTrigger = 2
        options.level0SlowdownTrigger = 4
        options.level0StopTrigger = 6
        options.level1MaxBytes = 16 << 10
        options.levelSizeMultiplier = 4
        options.targetFileSize = 4 << 10
        return options
    }

    private func tableBytes(_ path: String) throws -> UInt64 {
        let fs = PosixFileSystem()
        return try fs.listDirectory(path).filter { $0.hasSuffix(".sst") }
            .reduce(0) { $0 + (try fs.fileSize(path + "/" + $1)) }
    }

    private func key(_ i: Int) -> [UInt8] {
        let digits = String(i)
        return Array(("key" + String(repeating: "0", count: 8 - digits.count) + digits).utf8)
    }

    @Test func deletingEverythingAndCompactingEmptiesTheDisk() throws {
        let dir = TemporaryDirectory("compact-empty")
        defer { dir.remove() }
        let db = try Database.open(dir.path, options: tinyOptions())
        for i in 0..<3000 { try db.put(key(i), [UInt8](repeating: UInt8(i % 251), count: 100)) }
        try db.flush()
        #expect(try tableBytes(dir.path) > 300_000)
        for i in 0..<3000 { try db.delete(key(i)) }
        try db.compact()
        #expect(try db.statistics().levelFileCounts.reduce(0, +) == 0)
        #expect(try tableBytes(dir.path) == 0)
        #expect(try databaseContents(db).isEmpty)
        try db.close()
    }

    @Test func overwrittenDataCompactsToNearItsLiveSize() throws {
        let dir = TemporaryDirectory("compact-overwrite")
        defer { dir.remove() }
        var options = tinyOptions()
        // Default-sized blocks: with 256-byte blocks the per-block index entries and trailers alone cost ~10%.
        options.blockSize = 4096
        options.memtableSize = 64 << 10
        options.targetFileSize = 64 << 10
        options.level1MaxBytes = 256 << 10
        let db = try Database.open(dir.path, options: options)
        var random = SplitMix64(seed: 7)
        var model: ModelState = [:]
        for _ in 0..<30_000 {
            let k = key(Int.random(in: 0..<5000, using: &random))
            let value = (0..<100).map { _ in UInt8.random(in: 0...255, using: &random) }
            try db.put(k, value)
            model[k] = value
        }
        try db.compact()
        let live = model.reduce(0) { $0 + $1.key.count + $1.value.count }
        let onDisk = try tableBytes(dir.path)
        #expect(Double(onDisk) <= 1.15 * Double(live), "\(onDisk) bytes on disk for \(live) live bytes")
        #expect(try databaseContents(db) == model)
        try db.close()
    }

    @Test func snapshotKeepsOldVersionsAcrossCompactionsUntilReleased() throws {
        let dir = TemporaryDirectory("compact-snapshot")
        defer { dir.remove() }
        let db = try Database.open(dir.path, options: tinyOptions())
        for i in 0..<500 { try db.put(key(i), Array("old\(i)".utf8)) }
        let snapshot = try db.snapshot()
        for i in 0..<500 {
            if i % 2 == 0 { try db.delete(key(i)) } else { try db.put(key(i), Array("new\(i)".utf8)) }
        }
        try db.compact()
        try db.compact()
        for i in stride(from: 0, to: 500, by: 7) {
            #expect(try db.get(key(i), snapshot: snapshot) == Array("old\(i)".utf8))
            #expect(try db.get(key(i)) == (i % 2 == 0 ? nil : Array("new\(i)".utf8)))
        }
        #expect(try databaseContents(db, snapshot: snapshot).count == 500)
        let keptEntries = try db.statistics()
        #expect(keptEntries.levelFileCounts[0] == 0)

        snapshot.release()
        try db.compact()
        // With the snapshot gone only the 250 live keys remain: no old version, no tombstone.
        let entries = try internalEntryCount(dir.path)
        #expect(entries == 250)
        #expect(try databaseContents(db).count == 250)
        try db.close()
    }

    @Test func backgroundCompactionBoundsLevelZeroAndFillsDeeperLevels() throws {
        let dir = TemporaryDirectory("compact-levels")
        defer { dir.remove() }
        let options = tinyOptions()
        let db = try Database.open(dir.path, options: options)
        var random = SplitMix64(seed: 11)
        var model: ModelState = [:]
        var maxLevel0 = 0
        for n in 0..<20_000 {
            let k = key(Int.random(in: 0..<8000, using: &random))
            if n % 10 == 9 {
                try db.delete(k)
                model[k] = nil
            } else {
                let value = Array("value-\(n)".utf8)
                try db.put(k, value)
                model[k] = value
            }
            if n % 500 == 0 { maxLevel0 = max(maxLevel0, try db.statistics().levelFileCounts[0]) }
        }
        let stats = try db.statistics()
        // Writers stop at the trigger, but memtables already waiting are still flushed into level 0.
        #expect(maxLevel0 <= options.level0StopTrigger + options.maxImmutableMemtables)
        #expect(stats.compactionCount > 0)
        #expect(stats.levelFileCounts[2] > 0, "levels: \(stats.levelFileCounts)")
        #expect(stats.writeAmplification > 1)
        #expect(try databaseContents(db) == model)
        try db.close()
        let reopened = try Database.open(dir.path, options: options)
        #expect(try databaseContents(reopened) == model)
        try reopened.close()
    }

    /// A failure at each I/O operation of a manual compaction in turn, then a power loss: the database reopens with
    /// every synced write and no orphan table, and takes writes again.
    @Test(arguments: [CrashSimulatingFileSystem.Operation.write, .sync, .open, .syncDirectory, .rename, .read])
    func powerLossAfterAFailureAtAnyStepOfACompaction(kind: CrashSimulatingFileSystem.Operation) throws {
        var k = 0
        while true {
            let (failed, operations) = try compactionFaultScenario(kind: kind, faultAt: k)
            if !failed && k >= operations { break }
            k += 1
            if k > 400 {
                Issue.record("\(kind) faults never stopped failing the compaction")
                break
            }
        }
    }

    private func compactionFaultScenario(
        kind: CrashSimulatingFileSystem.Operation, faultAt: Int
    ) throws -> (failed: Bool, operations: Int) {
        var options = tinyOptions()
        options.level0CompactionTrigger = 100
        options.level0SlowdownTrigger = 100
        options.level0StopTrigger = 100
        let fixture = CrashFixture("compact-fault", options: options)
        defer { fixture.remove() }
        let fs = fixture.fileSystem
        var model: ModelState = [:]
        let db = try fixture.openDatabase()
        for round in 0..<3 {
            for i in 0..<60 {
                let k = key((i * 7 + round) % 90)
                if i % 9 == 4 {
                    try db.delete(k, sync: true)
                    model[k] = nil
                } else {
                    try db.put(k, Array("r\(round)-\(i)".utf8), sync: true)
                    model[k] = Array("r\(round)-\(i)".utf8)
                }
            }
            try db.flush()
        }
        let before = fs.operationCount(kind)
        fs.injectFault(.init(kind: kind, afterCount: faultAt, shortWrite: true))
        var failed = false
        do { try db.compact() } catch { failed = true }
        let operations = fs.operationCount(kind) - before
        fs.clearFaults()

        let recovered = try fixture.crashAndReopen(db)
        #expect(try databaseContents(recovered) == model, "\(kind) failure at \(faultAt)")
        try fixture.expectNoOrphanTables(recovered)
        try recovered.compact()
        #expect(try databaseContents(recovered) == model, "\(kind) failure at \(faultAt), compacted again")
        try recovered.put(Array("later".utf8), Array("write".utf8), sync: true)
        try recovered.close()
        return (failed, operations)
    }

    /// A crash after the compaction's manifest edit but before its inputs are deleted (a cursor still pins them):
    /// reopening removes the leftover inputs.
    @Test func crashBeforeInputsAreDeletedLeavesNoOrphansAfterOpen() throws {
        let fixture = CrashFixture("compact-pinned", options: tinyOptions())
        defer { fixture.remove() }
        let db = try fixture.openDatabase()
        var model: ModelState = [:]
        for i in 0..<400 {
            try db.put(key(i % 150), Array("v\(i)".utf8), sync: true)
            model[key(i % 150)] = Array("v\(i)".utf8)
        }
        try db.flush()
        let cursor = try db.cursor()
        let before = try fixture.fileSystem.listDirectory(fixture.path).filter { $0.hasSuffix(".sst") }
        try db.compact()
        let during = try fixture.fileSystem.listDirectory(fixture.path).filter { $0.hasSuffix(".sst") }
        // The cursor's version still holds the inputs, so they are all still on disk.
        #expect(Set(before).isSubset(of: Set(during)))
        #expect(try cursor.next() != nil)

        let recovered = try fixture.crashAndReopen(db)
        #expect(try databaseContents(recovered) == model)
        try fixture.expectNoOrphanTables(recovered)
        try recovered.close()
        _ = cursor
    }

    /// The sequence of every entry in the database's tables, by user key (newest first), and each table's recorded
    /// sequence range.
    private func tableSequences(_ path: String) throws -> (entries: [[UInt8]: [UInt64]], ranges: [ClosedRange<UInt64>]) {
        let fs = PosixFileSystem()
        var entries: [[UInt8]: [UInt64]] = [:]
        var ranges: [ClosedRange<UInt64>] = []
        for name in try fs.listDirectory(path) where name.hasSuffix(".sst") {
            let table = try Table(file: try fs.openReadable(path + "/" + name), fileNumber: 0, blockCache: nil)
            ranges += table.properties.sequenceRange.map { [$0] } ?? []
            let iterator = table.makeIterator()
            try iterator.seekToFirst()
            while iterator.isValid {
                let parsed = try #require(ParsedInternalKey(iterator.key))
                entries[parsed.userKey.array, default: []].append(parsed.sequence)
                try iterator.next()
            }
        }
        return (entries, ranges)
    }

    /// A value that every snapshot sees, of a key no deeper level holds, is rewritten with sequence 0 (one byte
    /// packed); a value past a snapshot keeps its sequence, and reads at the snapshot still see the older value.
    /// Tables record the sequences the writes had, so `check` and a reopen take them as before.
    @Test func aCompactedValueEverySnapshotSeesIsWrittenWithSequenceZero() throws {
        let dir = TemporaryDirectory("compact-zero")
        defer { dir.remove() }
        let db = try Database.open(dir.path, options: tinyOptions())
        for i in 0..<300 { try db.put(key(i), Array("first\(i)".utf8)) }
        let snapshot = try db.snapshot()
        for i in 0..<100 { try db.put(key(i), Array("second\(i)".utf8)) }
        let lastSequence = try db.statistics().lastSequence
        try db.compact()

        let (entries, ranges) = try tableSequences(dir.path)
        #expect(entries.count == 300)
        for i in 0..<300 {
            // Keys 0..<100: the newer value keeps its sequence above the snapshot; the one the snapshot reads is 0.
            let expected: [UInt64] = i < 100 ? [UInt64(301 + i), 0] : [0]
            #expect(entries[key(i)] == expected, "\(i): \(entries[key(i)] ?? [])")
            #expect(try db.get(key(i), snapshot: snapshot) == Array("first\(i)".utf8))
            #expect(try db.get(key(i)) == Array((i < 100 ? "second\(i)" : "first\(i)").utf8))
        }
        #expect(ranges.allSatisfy { $0.lowerBound >= 1 && $0.upperBound <= lastSequence }, "\(ranges)")
        #expect(ranges.map(\.upperBound).max() == lastSequence)

        snapshot.release()
        try db.compact()
        #expect(try tableSequences(dir.path).entries.values.allSatisfy { $0 == [0] })
        try db.close()
        #expect(try Database.check(at: dir.path).isClean)
        let reopened = try Database.open(dir.path)
        for i in 0..<300 {
            #expect(try reopened.get(key(i)) == Array((i < 100 ? "second\(i)" : "first\(i)").utf8))
        }
        try reopened.put(key(0), Array("third".utf8))
        #expect(try reopened.get(key(0)) == Array("third".utf8))
        try reopened.close()
    }

    /// A range deletion a compaction keeps (a deeper level holds keys in its range) is compared by sequence with
    /// the keys it covers, so a key written after it keeps its sequence in that compaction's outputs, and stays.
    /// (Rewritten with sequence 0 there, `c` and `d` would read as deleted.)
    @Test func aKeyWrittenAfterAKeptRangeDeletionKeepsItsSequenceAndItsValue() throws {
        let dir = TemporaryDirectory("compact-zero-range")
        defer { dir.remove() }
        let db = try Database.open(dir.path, options: tinyOptions())
        for i in 0..<50 { try db.put(Array("y\(i)".utf8), Array("deep".utf8)) }
        try db.compact()
        try db.deleteRange(from: Array("b".utf8), to: Array("z".utf8))
        try db.put(Array("c".utf8), Array("after the range deletion".utf8))
        // That table goes to level 1, above the y keys' table; the next two overlap it, so they stay in level 0,
        // and the second triggers the compaction of both into level 1: its outputs keep the range deletion.
        try db.flush()
        try db.put(Array("d".utf8), Array("after it too".utf8))
        try db.flush()
        try db.put(Array("e".utf8), Array("after it too".utf8))
        try db.flush()
        db.waitForBackgroundWork()
        let levels = try db.statistics().levelFileCounts
        #expect(levels[1] > 0 && levels[2...].reduce(0, +) > 0, "\(levels)")
        #expect(try db.get(Array("c".utf8)) == Array("after the range deletion".utf8))
        #expect(try db.get(Array("d".utf8)) == Array("after it too".utf8))
        #expect(try db.get(Array("y7".utf8)) == nil)
        try db.close()
        #expect(try Database.check(at: dir.path).isClean)
    }

    /// Entries (values and tombstones, all versions) in the database's tables, read through the table layer.
    private func internalEntryCount(_ path: String) throws -> Int {
        let fs = PosixFileSystem()
        var count = 0
        for name in try fs.listDirectory(path) where name.hasSuffix(".sst") {
            let table = try Table(file: try fs.openReadable(path + "/" + name), fileNumber: 0, blockCache: nil)
            count += Int(table.properties.entryCount)
        }
        return count
    }
}
