import Testing
@testable import LSM

@Suite struct CompactionPickerTests {
    /// A version holding `files` in level 0 (newest first, as the version orders them), `level1` in level 1 and
    /// `level2` in level 2.
    private func version(level0 files: [FileMetaData], level1: [FileMetaData] = [], level2: [FileMetaData] = [])
        throws -> Version {
        var edit = VersionEdit()
        for file in files { edit.addFile(level: 0, file) }
        for file in level1 { edit.addFile(level: 1, file) }
        for file in level2 { edit.addFile(level: 2, file) }
        return try Version().applying(edit)
    }

    private var picker: CompactionPicker {
        var options = Options()
        options.level0CompactionTrigger = 2
        return CompactionPicker(options: options)
    }

    @Test func levelZeroTakesTheTablesChainedByOverlapAndLeavesTheRest() throws {
        // The oldest, 1, overlaps 3, which overlaps 2 (a chain); 4 and 5 overlap none of them.
        let chained = [table(1, "a", "c"), table(2, "e", "g"), table(3, "b", "f")]
        let apart = [table(4, "m", "n"), table(5, "x", "z")]
        let version = try version(level0: chained + apart, level1: [table(6, "d", "d"), table(7, "w", "y")])
        let compaction = try #require(picker.pick(version, compactPointers: Array(repeating: nil, count: 7)))
        #expect(compaction.level == 0 && compaction.outputLevel == 1)
        #expect(Set(compaction.inputs.map(\.number)) == [1, 2, 3])
        #expect(compaction.overlapping.map(\.number) == [6])
        #expect(!compaction.isTrivialMove)
    }

    @Test func theOldestLevelZeroTableOverlappingNothingMovesDownAlone() throws {
        // A sequential load: level-0 tables of disjoint ranges, each moved down in turn, oldest first.
        let version = try version(level0: [table(1, "a", "c"), table(2, "d", "f"), table(3, "g", "i")])
        let compaction = try #require(picker.pick(version, compactPointers: Array(repeating: nil, count: 7)))
        #expect(compaction.inputs.map(\.number) == [1])
        #expect(compaction.isTrivialMove, "a level-0 table overlapping nothing moves to level 1 unrewritten")
    }

    /// An output table ends once it overlaps more than the limit of the tables two levels down, so compacting it
    /// later stays small; and a table that would overlap that much there is rewritten, not moved.
    @Test func outputsEndWhereTheyOverlapTooMuchTwoLevelsDown() throws {
        let grandparents = [table(10, "b", "c", size: 60), table(11, "d", "e", size: 60), table(12, "f", "g", size: 60),
                            table(13, "h", "i", size: 60)]
        var overlap = GrandparentOverlap(grandparents: grandparents, limit: 100)
        var ends: [String] = []
        for key in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            if key.withRawBytes({ overlap.shouldEndBefore($0) }) { ends.append(key) }
        }
        // From "a": past b-c (60) at "d", past d-e (120 > 100) at "f": end before "f"; then past f-g and h-i.
        #expect(ends == ["f", "j"])

        let below = (10..<22).map { table(UInt64(10 + $0), "m\($0)", "m\($0)z", size: 1 << 20) }
        let wide = try version(level0: [table(1, "a", "z")], level2: below)
        var options = Options()
        options.level0CompactionTrigger = 1
        options.targetFileSize = 1 << 20
        let move = try #require(CompactionPicker(options: options).pick(wide, compactPointers: [[UInt8]?](
            repeating: nil, count: 7)))
        #expect(move.inputs.map(\.number) == [1] && move.overlapping.isEmpty)
        #expect(move.grandparents.count == 12)
        #expect(!move.isTrivialMove, "12 MiB below is more than ten 1 MiB tables: rewritten, to be cut")
        let narrow = try version(level0: [table(1, "a", "b")], level2: below)
        #expect(try #require(CompactionPicker(options: options).pick(narrow, compactPointers: [[UInt8]?](
            repeating: nil, count: 7))).isTrivialMove)
    }

    /// A table lookups probe in vain too often is compacted with what overlaps it below, but only while no level
    /// is over its target, and only while it is still where it was.
    @Test func aSeekCandidateIsCompactedWhenNoLevelNeedsIt() throws {
        let calm = try version(level0: [table(1, "a", "z")], level1: [table(2, "c", "d"), table(3, "x", "y")],
                               level2: [table(4, "b", "e")])
        let pointers = [[UInt8]?](repeating: nil, count: 7)
        #expect(picker.pick(calm, compactPointers: pointers) == nil, "every level is within its target")
        let seek = try #require(picker.pick(calm, compactPointers: pointers, seekCandidate: (1, 2)))
        #expect(seek.level == 1 && seek.inputs.map(\.number) == [2] && seek.overlapping.map(\.number) == [4])
        let level0 = try #require(picker.pick(calm, compactPointers: pointers, seekCandidate: (0, 1)))
        #expect(level0.level == 0 && level0.inputs.map(\.number) == [1] && level0.overlapping.map(\.number) == [2, 3])
        #expect(picker.pick(calm, compactPointers: pointers, seekCandidate: (2, 2)) == nil, "table 2 is not in level 2")
        #expect(picker.pick(calm, compactPointers: pointers, seekCandidate: (1, 9)) == nil, "no table 9")

        let busy = try version(level0: [table(1, "a", "c"), table(5, "b", "d")], level1: [table(2, "c", "d")])
        let sized = try #require(picker.pick(busy, compactPointers: pointers, seekCandidate: (1, 2)))
        #expect(sized.level == 0, "a level over its target goes first")
    }

    /// Lookups that keep finding their keys only in the second table they probe get the first one compacted away.
    @Test func lookupsProbingATableInVainGetItCompacted() throws {
        let dir = TemporaryDirectory("seek-compaction")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        for i in 0..<200 { try db.put("k\(1000 + i)", "old") }
        try db.compact()
        // A newer table spanning the same range that holds only its two ends: every other key is probed there first.
        try db.put("k1000", "new")
        try db.put("k1199", "new")
        try db.flush()
        let before = try db.statistics()
        try #require(before.levelFileCounts.reduce(0, +) == 2)
        for round in 0..<3 {
            for i in 1..<199 { #expect(try db.get("k\(1000 + i)") == "old", "round \(round)") }
        }
        db.waitForBackgroundWork()
        let after = try db.statistics()
        #expect(after.compactionCount + after.trivialMoveCount > before.compactionCount + before.trivialMoveCount)
        #expect(after.levelFileCounts.reduce(0, +) == 1, "the two tables merged")
        #expect(try db.get("k1000") == "new" && db.get("k1100") == "old")
        try db.close()
    }

    /// Level 1's target is a tenth of what lies below it, between a tenth of `level1MaxBytes` and all of it;
    /// deeper levels keep theirs.
    @Test func levelOnesTargetFollowsTheLevelsBelowWhileTheyAreSmall() throws {
        var options = Options()
        options.level1MaxBytes = 10_000
        let picker = CompactionPicker(options: options)
        func below(_ level2: UInt64, _ level3: UInt64 = 0) throws -> Version {
            var edit = VersionEdit()
            if level2 > 0 { edit.addFile(level: 2, table(2, "a", "b", size: level2)) }
            if level3 > 0 { edit.addFile(level: 3, table(3, "a", "b", size: level3)) }
            return try Version().applying(edit)
        }
        #expect(picker.maxBytes(level: 1, in: try below(0)) == 1_000)
        #expect(picker.maxBytes(level: 1, in: try below(35_000)) == 3_500)
        #expect(picker.maxBytes(level: 1, in: try below(60_000, 30_000)) == 9_000)
        #expect(picker.maxBytes(level: 1, in: try below(500_000)) == 10_000)
        #expect(picker.maxBytes(level: 2, in: try below(0)) == 100_000)
        #expect(picker.maxBytes(level: 3, in: try below(500_000)) == 1_000_000)

        // 4,000 bytes in level 1 over 35,000 below: over its 3,500 target, so it is compacted.
        let over = try version(level0: [], level1: [table(1, "a", "b", size: 4_000)],
                               level2: [table(2, "a", "b", size: 35_000)])
        let compaction = try #require(picker.pick(over, compactPointers: [[UInt8]?](repeating: nil, count: 7)))
        #expect(compaction.level == 1 && compaction.inputs.map(\.number) == [1])
    }

    /// Level 0's tombstones weigh on it by the values they hide below: one table of deletes is compacted, and
    /// slows writes, as several tables of values would.
    @Test func levelZeroTombstonesWeighAsTheValuesTheyHide() throws {
        var options = Options()
        options.level0CompactionTrigger = 4
        options.memtableSize = 1000
        let picker = CompactionPicker(options: options)
        // Values only, ten 1000-byte tables of ten entries: with the tombstone table's 300 bytes, 103 bytes a value.
        let values = (0..<10).map { i in
            FileMetaData(number: UInt64(10 + i), size: 1000, smallest: ikey("k\(i)0"), largest: ikey("k\(i)9"),
                         entryCount: 10)
        }
        func deletes(_ count: UInt64) -> FileMetaData {
            FileMetaData(number: 1, size: 300, smallest: ikey("k00", 50, .deletion),
                         largest: ikey("k99", 20, .deletion), entryCount: 30, deletionCount: count)
        }
        let pointers = [[UInt8]?](repeating: nil, count: 7)
        let heavy = try version(level0: [deletes(30)], level1: values)
        #expect(abs(picker.level0Pressure(heavy) - (1 + 30 * 103.0 / 1000)) < 1e-9)
        let compaction = try #require(picker.pick(heavy, compactPointers: pointers),
                                      "one table hiding 3 memtables' worth weighs 4 tables: the trigger")
        #expect(compaction.level == 0 && compaction.inputs.map(\.number) == [1] && compaction.overlapping.count == 10)
        let light = try version(level0: [deletes(20)], level1: values)
        #expect(picker.level0Pressure(light) < 4)
        #expect(picker.pick(light, compactPointers: pointers) == nil)
        #expect(picker.level0Pressure(try version(level0: [table(1, "a", "b")], level1: values)) == 1,
                "a table without tombstones weighs one")
    }

    /// The tombstone counts compaction weighs come from the tables a flush writes: a burst of deletes flushed as
    /// fewer tables than the trigger is still compacted, and the space of the values it deletes comes back.
    @Test func aFlushedBurstOfDeletesIsCompactedForTheSpaceItHides() throws {
        let dir = TemporaryDirectory("tombstone-pressure")
        defer { dir.remove() }
        var options = Options()
        options.memtableSize = 256 << 10
        options.targetFileSize = 64 << 10
        options.level0CompactionTrigger = 3
        let db = try Database.open(dir.path, options: options)
        let value = [UInt8](repeating: 7, count: 1000)
        for i in 0..<3000 { try db.put(Array("k\(10_000 + i)".utf8), value) }
        try db.compact()
        let filled = try db.statistics()
        try #require(filled.levelFileCounts[0] == 0)
        for i in 0..<2000 { try db.delete(Array("k\(10_000 + i)".utf8)) }
        try db.flush()
        db.waitForBackgroundWork()
        let after = try db.statistics()
        #expect(after.levelFileCounts[0] == 0, "the table of tombstones went down though it was alone")
        #expect(after.compactionCount > filled.compactionCount)
        #expect(try db.get("k11999") == nil && db.get("k12000") == Array(value))
        try db.close()
    }

    @Test func aFlushedTableGoesAsDeepAsLevelTwoWhileNothingAboveOrInItsLevelOverlapsIt() throws {
        let version = try version(level0: [table(1, "a", "c")], level1: [table(2, "m", "p")],
                                  level2: [table(3, "h", "j")])
        let place = { (file: FileMetaData) in self.picker.levelForFlushedTable(file, in: version, avoiding: nil) }
        #expect(place(table(10, "b", "b")) == 0, "a level-0 table holds older versions of its keys")
        #expect(place(table(11, "n", "z")) == 0, "level 1 holds older versions: the table stays above it")
        #expect(place(table(12, "i", "i")) == 1, "level 2 holds older versions: level 1 is the deepest free")
        #expect(place(table(13, "d", "g")) == 2)
        #expect(place(table(14, "q", "z")) == 2)
    }

    @Test func aFlushedTableStaysOutOfACompactionInFlightAndAboveTooMuchToRewrite() throws {
        let version = try version(level0: [])
        let flushed = table(1, "d", "f")
        let busy = UserKeyRange(covering: [table(2, "a", "e")])
        #expect(picker.levelForFlushedTable(flushed, in: version, avoiding: busy) == 0)
        let apart = UserKeyRange(covering: [table(3, "g", "k")])
        #expect(picker.levelForFlushedTable(flushed, in: version, avoiding: apart) == 2)

        // Level 2 holds more than ten target-size tables' worth under the table's range: a later compaction of
        // a level-1 table there would rewrite all of it, so the table stays in level 0.
        let big = UInt64(Options().targetFileSize) * 11
        let heavy = try self.version(level0: [], level2: [table(4, "e", "e", size: big)])
        #expect(picker.levelForFlushedTable(flushed, in: heavy, avoiding: nil) == 0)
    }
}
