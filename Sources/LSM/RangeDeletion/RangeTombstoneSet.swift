/// Range tombstones split into fragments that do not overlap, each with the sequences of every tombstone covering
/// it: what answers "which deletion, if any, hides this key at this sequence" in logarithmic time, as Pebble's
/// fragmented key spans do. Immutable once built; a table builds one when it opens, a cursor when it is made.
struct RangeTombstoneSet: Sendable {
    /// A piece of the key space `[start, end)` covered by the same tombstones.
    private struct Fragment: Sendable {
        var start: [UInt8]
        var end: [UInt8]
        /// The covering tombstones' sequences, highest first.
        var sequences: [SequenceNumber]
    }

    /// Sorted by start; each ends at or before the next one starts.
    private let fragments: [Fragment]
    /// The tombstones the set was built from, in ``RangeTombstone/storageOrder(_:_:)``.
    let tombstones: [RangeTombstone]

    static let empty = RangeTombstoneSet([])

    init(_ tombstones: [RangeTombstone]) {
        self.tombstones = tombstones.sorted(by: RangeTombstone.storageOrder)
        guard !tombstones.isEmpty else {
            fragments = []
            return
        }
        // Sweep the boundaries in order: at each one, tombstones ending there leave the active set and those
        // starting there join it; the active set then covers up to the next boundary.
        var boundaries = tombstones.flatMap { [$0.start, $0.end] }
        boundaries.sort { compareBytes($0, $1) < 0 }
        var unique: [[UInt8]] = []
        for boundary in boundaries where unique.last.map({ compareBytes($0, boundary) != 0 }) ?? true {
            unique.append(boundary)
        }
        let byEnd = tombstones.sorted { compareBytes($0.end, $1.end) < 0 }
        var starting = 0
        var ending = 0
        var active: [SequenceNumber: Int] = [:]
        var fragments: [Fragment] = []
        for (index, boundary) in unique.enumerated() {
            while ending < byEnd.count && compareBytes(byEnd[ending].end, boundary) <= 0 {
                let sequence = byEnd[ending].sequence
                if let count = active[sequence] { active[sequence] = count > 1 ? count - 1 : nil }
                ending += 1
            }
            while starting < self.tombstones.count && compareBytes(self.tombstones[starting].start, boundary) <= 0 {
                active[self.tombstones[starting].sequence, default: 0] += 1
                starting += 1
            }
            if !active.isEmpty && index + 1 < unique.count {
                fragments.append(Fragment(start: boundary, end: unique[index + 1],
                                          sequences: active.keys.sorted(by: >)))
            }
        }
        self.fragments = fragments
    }

    var isEmpty: Bool { tombstones.isEmpty }

    /// The highest sequence at or below `sequence` of a tombstone covering `userKey`, or nil when none does.
    func coveringSequence(_ userKey: UnsafeRawBufferPointer, atOrBelow sequence: SequenceNumber) -> SequenceNumber? {
        // The last fragment starting at or before the key.
        var low = 0
        var high = fragments.count
        while low < high {
            let middle = (low + high) / 2
            if fragments[middle].start.withUnsafeBytes({ compareBytes($0, userKey) }) <= 0 {
                low = middle + 1
            } else {
                high = middle
            }
        }
        guard low > 0 else { return nil }
        let fragment = fragments[low - 1]
        guard fragment.end.withUnsafeBytes({ compareBytes(userKey, $0) }) < 0 else { return nil }
        return fragment.sequences.first { $0 <= sequence }
    }

    /// Bytes the set takes in memory, roughly: what a table's metadata is charged for it.
    var memoryBytes: Int {
        tombstones.reduce(0) { $0 + $1.start.count + $1.end.count + 48 }
            + fragments.reduce(0) { $0 + $1.start.count + $1.end.count + 8 * $1.sequences.count + 72 }
    }
}
