/// Where a compaction should end an output table so that it overlaps at most ``limit`` bytes of the tables two
/// levels below its inputs (LevelDB's `kMaxGrandParentOverlapBytes`): compacting that table down later then
/// merges a bounded amount, where one table spanning many below it would make every later compaction of its range
/// rewrite them all.
struct GrandparentOverlap {
    /// The most bytes of grandparent tables one output may overlap: ten target-size tables.
    static func limit(targetFileSize: Int) -> UInt64 { 10 * UInt64(targetFileSize) }

    /// The tables of the level below the output level that overlap the compaction, in key order.
    let grandparents: [FileMetaData]
    let limit: UInt64
    /// The first grandparent not yet wholly below the keys written.
    private var index = 0
    /// Bytes of the grandparents passed since the current output began.
    private var overlappedBytes: UInt64 = 0
    private var sawKey = false

    init(grandparents: [FileMetaData], limit: UInt64) {
        self.grandparents = grandparents
        self.limit = limit
    }

    /// Whether the output being written should end before `userKey`, the next user key, as the grandparents it
    /// already overlaps passed the limit; called for every user key in order.
    mutating func shouldEndBefore(_ userKey: UnsafeRawBufferPointer) -> Bool {
        while index < grandparents.count, grandparents[index].compareLargestUserKey(with: userKey) < 0 {
            if sawKey { overlappedBytes += grandparents[index].size }
            index += 1
        }
        sawKey = true
        guard overlappedBytes > limit else { return false }
        overlappedBytes = 0
        return true
    }
}
