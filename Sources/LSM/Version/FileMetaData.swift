import Synchronization

/// What the version model knows about one SSTable: enough to decide whether a read or a compaction must open it
/// without opening it.
///
/// Immutable and shared by every ``Version`` that holds the table, so a version change copies references, not
/// keys. Equality compares the fields (two values describing the same table are equal).
final class FileMetaData: Sendable, Equatable, CustomStringConvertible {
    /// The table's file number (`NNNNNN.sst`).
    let number: UInt64
    /// The table file's size in bytes.
    let size: UInt64
    /// The smallest internal key in the table (at least a trailer long).
    let smallest: [UInt8]
    /// The largest internal key in the table (at least a trailer long, not below ``smallest``).
    let largest: [UInt8]
    /// How many entries (values and tombstones) the table holds.
    let entryCount: UInt64
    /// How many range deletions the table holds: reads that cover many keys (cursors) gather those of every table
    /// that has some, without opening the others.
    let rangeDeletionCount: UInt64
    /// How many point deletions (tombstones) the table holds, when this process wrote it; 0 for a table read from
    /// the manifest, which does not record it. Only compaction scheduling uses it
    /// (``CompactionPicker/level0Pressure(_:)``), so a table counted as holding none is merely compacted later.
    let deletionCount: UInt64
    /// What to do when the last version holding this table goes away, once a compaction has made it obsolete.
    private let releaseAction = Locked<(@Sendable () -> Void)?>(nil)
    /// Lookups that may still probe this table in vain, finding their key in a later one, before it is worth
    /// compacting (LevelDB's `allowed_seeks`): a probe costs about what compacting 40 KiB does, so one per 16 KiB
    /// of table, at least 100.
    private let allowedSeeks: Atomic<Int>

    init(number: UInt64, size: UInt64, smallest: [UInt8], largest: [UInt8], entryCount: UInt64,
         rangeDeletionCount: UInt64 = 0, deletionCount: UInt64 = 0) {
        assert(smallest.count >= internalKeyTrailerSize && largest.count >= internalKeyTrailerSize)
        assert(compareInternalKeys(smallest, largest) <= 0)
        self.number = number
        self.size = size
        self.smallest = smallest
        self.largest = largest
        self.entryCount = entryCount
        self.rangeDeletionCount = rangeDeletionCount
        self.deletionCount = deletionCount
        allowedSeeks = Atomic(max(100, Int(clamping: size / 16384)))
    }

    deinit {
        if let action = releaseAction.withLock({ $0 }) { action() }
    }

    /// Arranges for `action` (deleting the table) to run when no version, read or cursor uses the table any more.
    /// Called once the manifest edit that removed the table is durable; `action` must not capture this object.
    func deleteWhenUnused(_ action: @escaping @Sendable () -> Void) {
        releaseAction.withLock { $0 = action }
    }

    /// Counts a lookup that probed this table first and found its key only in a later one; returns whether the
    /// table has used up its allowance and should be compacted (from then on, at every charge).
    func chargeSeek() -> Bool {
        allowedSeeks.subtract(1, ordering: .relaxed).newValue <= 0
    }

    static func == (a: FileMetaData, b: FileMetaData) -> Bool {
        a.number == b.number && a.size == b.size && a.entryCount == b.entryCount
            && a.smallest == b.smallest && a.largest == b.largest && a.rangeDeletionCount == b.rangeDeletionCount
    }

    var description: String { "#\(number) (\(size) bytes, \(entryCount) entries)" }

    /// The user-key part of ``smallest``.
    var smallestUserKey: [UInt8] { Array(smallest.dropLast(internalKeyTrailerSize)) }

    /// The user-key part of ``largest``.
    var largestUserKey: [UInt8] { Array(largest.dropLast(internalKeyTrailerSize)) }

    /// Compares the user-key part of ``smallest`` with `key` (negative: the table starts below `key`).
    @inline(__always)
    func compareSmallestUserKey(with key: UnsafeRawBufferPointer) -> Int {
        smallest.withUnsafeBytes { compareBytes(userKey(of: $0), key) }
    }

    /// Compares the user-key part of ``largest`` with `key` (negative: the table ends below `key`).
    @inline(__always)
    func compareLargestUserKey(with key: UnsafeRawBufferPointer) -> Int {
        largest.withUnsafeBytes { compareBytes(userKey(of: $0), key) }
    }
}
