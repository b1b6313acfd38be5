import Testing
@testable import LSM

@Suite struct CompactionPickerTests {
    /// A version holding `files` in level 0 (newest first, as the version orders them) and `level1` in level 1.
    private func version(level0 files: [FileMetaData], level1: [FileMetaData] = []) throws -> Version {
        var edit = VersionEdit()
        for file in files { edit.addFile(level: 0, file) }
        for file in level1 { edit.addFile(level: 1, file) }
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
}
