/// A range deletion: every entry of a user key in `[start, end)` older than `sequence` is deleted, as if each had
/// its own tombstone at `sequence`. Written by ``Database/deleteRange(from:to:sync:)``.
///
/// Logs store it as a write batch entry of kind 3; tables in their range deletion block (docs/FORMAT.md, "Range
/// deletions").
struct RangeTombstone: Sendable, Hashable {
    var start: [UInt8]
    /// Exclusive; above `start`.
    var end: [UInt8]
    var sequence: SequenceNumber

    /// Whether the range holds `userKey`.
    @inline(__always)
    func covers(_ userKey: UnsafeRawBufferPointer) -> Bool {
        start.withUnsafeBytes { compareBytes($0, userKey) <= 0 }
            && end.withUnsafeBytes { compareBytes(userKey, $0) < 0 }
    }

    /// The internal key a table's smallest bound takes from this tombstone: its start at its sequence.
    var smallestBound: [UInt8] { makeInternalKey(start, sequence, .rangeDeletion) }

    /// The internal key a table's largest bound takes from this tombstone: its end with the lowest trailer, which
    /// sorts after every entry of that user key, so a table's user-key range holds the whole tombstone (its end
    /// included, though the tombstone does not cover it).
    var largestBound: [UInt8] { makeInternalKey(end, 0, .deletion) }

    /// Orders tombstones by start, then newest first: how a table stores them.
    static func storageOrder(_ a: RangeTombstone, _ b: RangeTombstone) -> Bool {
        let order = compareBytes(a.start, b.start)
        return order != 0 ? order < 0 : a.sequence > b.sequence
    }
}
