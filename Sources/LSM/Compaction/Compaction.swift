/// One compaction: the tables of `level` chosen for it, merged with the tables of the output level they overlap,
/// written as new tables into the output level: `level + 1`, or `level` itself when a manual compaction rewrites
/// the deepest level in place to purge what no snapshot needs any more.
struct Compaction {
    /// The level the compaction takes its chosen tables from.
    let level: Int
    /// The level the outputs go to.
    let outputLevel: Int
    /// Tables from ``level``.
    let inputs: [FileMetaData]
    /// Tables from ``outputLevel`` whose key ranges overlap the inputs'.
    let overlapping: [FileMetaData]
    /// The version the tables were chosen from.
    let version: Version
    /// Whether a table with nothing to merge may move down a level without being rewritten.
    let allowsTrivialMove: Bool
    /// The most bytes of ``grandparents`` one output table may overlap (``GrandparentOverlap``).
    let grandparentLimit: UInt64

    /// Every table the compaction reads.
    var allInputs: [FileMetaData] { inputs + overlapping }

    /// A single table with nothing to merge below it moves down without being rewritten, unless it would then
    /// overlap more than ``grandparentLimit`` bytes of the level below (whose later compaction it would make large).
    var isTrivialMove: Bool {
        allowsTrivialMove && inputs.count == 1 && overlapping.isEmpty
            && grandparents.reduce(0, { $0 + $1.size }) <= grandparentLimit
    }

    /// The tables of the level below the output level that overlap what the compaction reads.
    var grandparents: [FileMetaData] {
        guard outputLevel + 1 < Version.levelCount else { return [] }
        let range = UserKeyRange(covering: allInputs)
        return version.overlappingFiles(level: outputLevel + 1, smallestUserKey: range.smallest,
                                        largestUserKey: range.largest)
    }

    /// Bytes of the tables the compaction reads.
    var inputBytes: UInt64 { allInputs.reduce(0) { $0 + $1.size } }

    /// Whether no level below the output level holds a key in the compaction's range: then ``isBaseLevel(for:)``
    /// is true of every key it reads.
    var isBottommost: Bool {
        let range = UserKeyRange(covering: allInputs)
        return isBaseLevel(from: range.smallest, to: range.largest)
    }

    /// Whether no level below the output level holds `userKey`, so nothing older than the compaction's entries can
    /// exist for it and a tombstone for it may be dropped.
    func isBaseLevel(for userKey: UnsafeRawBufferPointer) -> Bool {
        ((outputLevel + 1)..<Version.levelCount).allSatisfy { version.file(in: $0, holding: userKey) == nil }
    }

    /// Whether no level below the output level holds a key in `start ... end` (so none in `start ..< end`, and a
    /// range deletion of that range hides nothing below the compaction's outputs).
    func isBaseLevel(from start: [UInt8], to end: [UInt8]) -> Bool {
        ((outputLevel + 1)..<Version.levelCount).allSatisfy { level in
            version.overlappingFiles(level: level, smallestUserKey: start, largestUserKey: end).isEmpty
        }
    }

    /// The manifest edit that replaces the inputs with `outputs`.
    func edit(outputs: [FileMetaData]) -> VersionEdit {
        var edit = VersionEdit()
        for file in inputs { edit.deletedFiles.append(.init(level: level, number: file.number)) }
        for file in overlapping { edit.deletedFiles.append(.init(level: outputLevel, number: file.number)) }
        // Deletions apply before additions, so an in-place rewrite may reuse its level.
        for file in outputs { edit.newFiles.append(.init(level: outputLevel, file: file)) }
        return edit
    }
}
