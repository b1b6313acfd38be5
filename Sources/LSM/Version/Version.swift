/// An immutable set of table files per level: the tables a read consults at one moment.
///
/// Level 0 holds flushed memtables, which may overlap; they are ordered newest first (highest file number first).
/// Levels 1 and deeper are sorted by smallest key and their files do not overlap even in user keys (a user key
/// lives in at most one file per level), so a read binary-searches them. A version never changes; an edit makes a
/// new one, so readers holding a version need no lock.
final class Version: Sendable {
    static let levelCount = 7

    let levels: [[FileMetaData]]
    /// The files that hold range deletions, which a cursor gathers.
    let rangeDeletionFiles: [FileMetaData]
    /// Every file's user-key bounds, packed: what point reads and range queries search.
    private let bounds: FileBoundsIndex
    /// An estimate of the bytes of values that level 0's tombstones hide in the levels below: each tombstone
    /// counted as one value of the version's average size. Compaction frees them only once the tombstones reach
    /// them, so deletes are compaction debt as writes are.
    let level0DeletedBytes: Double

    /// The empty version of a new database.
    convenience init() {
        self.init(levels: Array(repeating: [], count: Version.levelCount))
    }

    fileprivate init(levels: [[FileMetaData]]) {
        assert(levels.count == Version.levelCount)
        self.levels = levels
        rangeDeletionFiles = levels.joined().filter { $0.rangeDeletionCount > 0 }
        bounds = FileBoundsIndex(levels)
        let level0Deletions = levels[0].reduce(0.0) { $0 + Double($1.deletionCount) }
        // Most versions (every one replayed from the manifest) have none: no walk over every table for them.
        level0DeletedBytes = level0Deletions > 0 ? level0Deletions * Self.averageValueBytes(levels) : 0
    }

    /// Bytes per value (non-tombstone entry) over every table of `levels`; in floating point, as sizes and counts
    /// read from the manifest may be anything.
    private static func averageValueBytes(_ levels: [[FileMetaData]]) -> Double {
        var bytes = 0.0
        var values = 0.0
        for file in levels.joined() {
            bytes += Double(file.size)
            values += Double(file.entryCount - min(file.deletionCount, file.entryCount))
        }
        return values > 0 ? bytes / values : 0
    }

    var fileCount: Int { levels.reduce(0) { $0 + $1.count } }

    /// Total size in bytes of the tables at `level`.
    func bytes(level: Int) -> UInt64 {
        levels[level].reduce(0) { $0 + $1.size }
    }

    /// Files that may hold `userKey`, in the order a read must consult them: level 0 newest first (only those
    /// whose user-key range contains it), then at most one file per deeper level.
    func filesForLookup(_ userKey: UnsafeRawBufferPointer) -> [(level: Int, file: FileMetaData)] {
        var result: [(level: Int, file: FileMetaData)] = []
        forEachFileForLookup(userKey) { level, file in
            result.append((level, file))
            return true
        }
        return result
    }

    /// Calls `body` with each file ``filesForLookup(_:)`` would return, in the same order, without allocating;
    /// stops when `body` returns false (a read stops at the first layer that has the key).
    func forEachFileForLookup<E: Error>(
        _ userKey: UnsafeRawBufferPointer,
        _ body: (Int, FileMetaData) throws(E) -> Bool
    ) throws(E) {
        for index in 0..<bounds.fileCount(level: 0) where bounds.file(index, ofLevel: 0, contains: userKey) {
            if try !body(0, levels[0][index]) { return }
        }
        for level in 1..<Version.levelCount {
            guard let file = file(in: level, holding: userKey) else { continue }
            if try !body(level, file) { return }
        }
    }

    /// The table of `level` (1 or deeper) whose user-key range contains `userKey`, if one does: the only table of
    /// the level that may hold it.
    func file(in level: Int, holding userKey: UnsafeRawBufferPointer) -> FileMetaData? {
        bounds.file(inLevel: level, holding: userKey).map { levels[level][$0] }
    }

    /// Files in `level` whose user-key range overlaps [smallestUserKey, largestUserKey], in the level's order;
    /// nil bounds are unbounded.
    func overlappingFiles(level: Int, smallestUserKey: [UInt8]?, largestUserKey: [UInt8]?) -> [FileMetaData] {
        let files = levels[level]
        let start: Int
        if level > 0, let smallestUserKey {
            start = smallestUserKey.withUnsafeBytes { bounds.firstFile(inLevel: level, endingAtOrAfter: $0) }
        } else {
            start = 0
        }
        var result: [FileMetaData] = []
        for file in files[start...] {
            if let largestUserKey, largestUserKey.withUnsafeBytes({ file.compareSmallestUserKey(with: $0) > 0 }) {
                // In a sorted level every later file starts after the range too.
                if level > 0 { break }
                continue
            }
            if let smallestUserKey, smallestUserKey.withUnsafeBytes({ file.compareLargestUserKey(with: $0) < 0 }) {
                continue
            }
            result.append(file)
        }
        return result
    }

    /// The version this one becomes after `edit`. Deleting a file the version does not hold at that level, adding
    /// a number the version already holds, or leaving overlapping files in a sorted level throws `.corruption`.
    func applying(_ edit: VersionEdit) throws(LSMError) -> Version {
        var builder = Builder(base: self)
        try builder.apply(edit)
        return try builder.build()
    }
}

extension Version {
    /// Accumulates edits on top of a base version and makes one new version at the end, so replaying a long
    /// manifest sorts each level once instead of once per edit. Levels no edit touched are shared with the base.
    struct Builder {
        private let base: Version
        /// The level of every file in the result, to check deletions and duplicate additions in O(1).
        private var levelOf: [UInt64: Int] = [:]
        private var deleted: [Set<UInt64>]
        private var added: [[UInt64: FileMetaData]]
        private var touched: [Bool]

        init(base: Version) {
            self.base = base
            deleted = Array(repeating: [], count: Version.levelCount)
            added = Array(repeating: [:], count: Version.levelCount)
            touched = Array(repeating: false, count: Version.levelCount)
            levelOf.reserveCapacity(base.fileCount)
            for (level, files) in base.levels.enumerated() {
                for file in files { levelOf[file.number] = level }
            }
        }

        /// Applies deletions, then additions, so one edit can move a file between levels.
        mutating func apply(_ edit: VersionEdit) throws(LSMError) {
            for deletion in edit.deletedFiles {
                guard levelOf[deletion.number] == deletion.level else {
                    throw LSMError.corruption(
                        "edit deletes file \(deletion.number) from level \(deletion.level), which does not hold it")
                }
                levelOf[deletion.number] = nil
                touched[deletion.level] = true
                if added[deletion.level].removeValue(forKey: deletion.number) == nil {
                    deleted[deletion.level].insert(deletion.number)
                }
            }
            for addition in edit.newFiles {
                guard addition.level >= 0 && addition.level < Version.levelCount else {
                    throw LSMError.corruption(
                        "edit adds file \(addition.file.number) at level \(addition.level), out of range")
                }
                guard levelOf[addition.file.number] == nil else {
                    throw LSMError.corruption("edit adds file \(addition.file.number), which the version already holds")
                }
                levelOf[addition.file.number] = addition.level
                touched[addition.level] = true
                added[addition.level][addition.file.number] = addition.file
            }
        }

        /// The resulting version; throws `.corruption` if a sorted level would hold overlapping files.
        func build() throws(LSMError) -> Version {
            var levels = base.levels
            for level in 0..<Version.levelCount where touched[level] {
                var files = base.levels[level].filter { !deleted[level].contains($0.number) }
                files.append(contentsOf: added[level].values)
                if level == 0 {
                    files.sort { $0.number > $1.number }
                } else {
                    files.sort { compareInternalKeys($0.smallest, $1.smallest) < 0 }
                    try Builder.checkDisjoint(files, level: level)
                }
                levels[level] = files
            }
            return Version(levels: levels)
        }

        private static func checkDisjoint(_ files: [FileMetaData], level: Int) throws(LSMError) {
            for (left, right) in zip(files, files.dropFirst()) {
                let disjoint = right.smallest.withUnsafeBytes { left.compareLargestUserKey(with: userKey(of: $0)) < 0 }
                guard disjoint else {
                    throw LSMError.corruption("files \(left.number) and \(right.number) overlap in level \(level)")
                }
            }
        }
    }
}
