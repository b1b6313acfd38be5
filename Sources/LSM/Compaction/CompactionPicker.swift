/// Decides what to compact: leveled compaction scored per level.
///
/// Level 0 is scored by its pressure (``level0Pressure(_:)``) against ``Options/level0CompactionTrigger``;
/// deeper levels by their bytes against their target (``maxBytes(level:in:)``). The level with the highest score
/// of at least 1 is compacted.
///
/// The picker also places flushed tables (``levelForFlushedTable(_:in:avoiding:)``), as LevelDB does, so that a
/// table overlapping nothing skips the rewrites that level 0 would cost it.
struct CompactionPicker {
    let options: Options

    /// The deepest level a flushed table may be placed in.
    static let deepestFlushLevel = 2

    /// The byte target of `level` (1 and deeper) in `version`: ``Options/level1MaxBytes`` times
    /// ``Options/levelSizeMultiplier`` per level below 1; except that level 1's is no more than the levels below it
    /// hold, divided by the multiplier (and no less than its usual target divided by it).
    ///
    /// Level 1 holds recent writes, many of them newer versions of keys whose older versions below take space
    /// until the two meet in a compaction; while the database is small, a fixed 10 MiB there would be a large part
    /// of its space. Kept to a tenth of the rest, it keeps the space taken near the live data's, and each level-0
    /// compaction, which rewrites the level 1 it overlaps, rewrites less.
    /// Deeper levels keep fixed targets, so a tree growing into a new level does not move what it holds down.
    func maxBytes(level: Int, in version: Version) -> Double {
        let multiplier = Double(options.levelSizeMultiplier)
        var bytes = Double(options.level1MaxBytes)
        if level <= 1 {
            let below = (2..<Version.levelCount).reduce(0.0) { $0 + Double(version.bytes(level: $1)) }
            return min(bytes, max(below, bytes) / multiplier)
        }
        for _ in 1..<level { bytes *= multiplier }
        return bytes
    }

    /// How much level 0 weighs on reads and on space, in tables: its table count (its tables overlap, so every
    /// one costs a read), plus a memtable's worth for every ``Options/memtableSize`` bytes of values its tombstones
    /// hide below (``Version/level0DeletedBytes``). A flushed burst of deletes is then compacted, and paced
    /// (``Options/level0SlowdownTrigger``), like a burst of writes of the space it is to free, instead of waiting
    /// behind other compactions while the space stays taken.
    func level0Pressure(_ version: Version) -> Double {
        Double(version.levels[0].count) + version.level0DeletedBytes / Double(options.memtableSize)
    }

    /// The compaction score of each level but the last (which has nowhere to compact to).
    func scores(_ version: Version) -> [Double] {
        (0..<(Version.levelCount - 1)).map { level in
            level == 0
                ? level0Pressure(version) / Double(options.level0CompactionTrigger)
                : Double(version.bytes(level: level)) / maxBytes(level: level, in: version)
        }
    }

    /// The compaction the version needs most, or nil when every level is within its target and there is no
    /// `seekCandidate` (a table of the version, by level and number, that lookups probed in vain too often).
    /// Level 0 starts from its oldest table (``level0Inputs(around:_:)``). A deeper level starts after
    /// `compactPointers[level]`, the largest key of its previous compaction, so successive compactions of a level
    /// rotate through its key space. A seek candidate is compacted with what overlaps it, as LevelDB does, only
    /// when no level is over its target.
    func pick(
        _ version: Version, compactPointers: [[UInt8]?], seekCandidate: (level: Int, number: UInt64)? = nil
    ) -> Compaction? {
        let scores = scores(version)
        guard let best = scores.indices.max(by: { scores[$0] < scores[$1] }), scores[best] >= 1 else {
            guard let seekCandidate, seekCandidate.level < Version.levelCount - 1,
                  let file = version.levels[seekCandidate.level].first(where: { $0.number == seekCandidate.number })
            else { return nil }
            let inputs = seekCandidate.level == 0 ? level0Inputs(around: file, version) : [file]
            return compaction(level: seekCandidate.level, inputs: inputs, version: version, allowsTrivialMove: true)
        }
        let files = version.levels[best]
        if best == 0, let oldest = files.last {
            return compaction(level: 0, inputs: level0Inputs(around: oldest, version), version: version,
                              allowsTrivialMove: true)
        }
        var chosen = files[0]
        if let pointer = compactPointers[best],
           let next = files.first(where: { compareInternalKeys($0.largest, pointer) > 0 }) {
            chosen = next
        }
        return compaction(level: best, inputs: [chosen], version: version, allowsTrivialMove: true)
    }

    /// The level a flushed table goes to. Level 0 when it overlaps a level-0 table or `busyRange` (the user-key
    /// range of a compaction in flight, whose outputs it must not collide with); else one level deeper at a time,
    /// down to ``deepestFlushLevel``, while the next level holds nothing in its range and the level after that not
    /// more than ten target-size tables' worth (which a later compaction of it would have to rewrite). Nothing of
    /// the table's keys then sits above it, and the levels below hold only older versions.
    func levelForFlushedTable(_ file: FileMetaData, in version: Version, avoiding busyRange: UserKeyRange?) -> Int {
        let range = UserKeyRange(covering: [file])
        if let busyRange, range.overlaps(busyRange) { return 0 }
        let lower = range.smallest
        let upper = range.largest
        guard version.overlappingFiles(level: 0, smallestUserKey: lower, largestUserKey: upper).isEmpty else {
            return 0
        }
        var level = 0
        while level < Self.deepestFlushLevel {
            if !version.overlappingFiles(level: level + 1, smallestUserKey: lower, largestUserKey: upper).isEmpty {
                break
            }
            if level + 2 < Version.levelCount {
                let below = version.overlappingFiles(level: level + 2, smallestUserKey: lower, largestUserKey: upper)
                if below.reduce(0, { $0 + $1.size }) > 10 * UInt64(options.targetFileSize) { break }
            }
            level += 1
        }
        return level
    }

    /// `seed` and every level-0 table that overlaps it, directly or through another one taken: the tables holding
    /// any version of a key in the range go down together, so no older version is left above a newer one, while
    /// tables of other key ranges stay (a sequential load's level-0 tables are then moved, not merged).
    private func level0Inputs(around seed: FileMetaData, _ version: Version) -> [FileMetaData] {
        var range = UserKeyRange(covering: [seed])
        while true {
            let inputs = version.overlappingFiles(level: 0, smallestUserKey: range.smallest,
                                                  largestUserKey: range.largest)
            let covered = UserKeyRange(covering: inputs)
            if covered.smallest == range.smallest && covered.largest == range.largest { return inputs }
            range = covered
        }
    }

    /// A manual compaction of the tables of `level` that overlap `[lower, upper]` (nil: unbounded) into the level
    /// below, or into `level` itself when `inPlace`; nil when no table overlaps. All of level 0 is taken when any of
    /// it overlaps: its tables overlap one another, and moving a newer one below an older one would let the older
    /// shadow it. Tables are always rewritten, so dropped versions and tombstones leave the disk.
    func manual(_ version: Version, level: Int, lower: [UInt8]?, upper: [UInt8]?, inPlace: Bool) -> Compaction? {
        let overlapping = version.overlappingFiles(level: level, smallestUserKey: lower, largestUserKey: upper)
        guard !overlapping.isEmpty else { return nil }
        let inputs = level == 0 ? version.levels[0] : overlapping
        if inPlace {
            return Compaction(
                level: level, outputLevel: level, inputs: inputs, overlapping: [], version: version,
                allowsTrivialMove: false, grandparentLimit: grandparentLimit)
        }
        return compaction(level: level, inputs: inputs, version: version, allowsTrivialMove: false)
    }

    private func compaction(level: Int, inputs: [FileMetaData], version: Version, allowsTrivialMove: Bool)
        -> Compaction {
        let range = UserKeyRange(covering: inputs)
        let overlapping = version.overlappingFiles(
            level: level + 1, smallestUserKey: range.smallest, largestUserKey: range.largest)
        return Compaction(
            level: level, outputLevel: level + 1, inputs: inputs, overlapping: overlapping, version: version,
            allowsTrivialMove: allowsTrivialMove, grandparentLimit: grandparentLimit)
    }

    private var grandparentLimit: UInt64 { GrandparentOverlap.limit(targetFileSize: options.targetFileSize) }
}
