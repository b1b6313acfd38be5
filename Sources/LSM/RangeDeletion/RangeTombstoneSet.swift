/// Range tombstones indexed to answer "which deletion, if any, hides this key at this sequence" in logarithmic
/// time. Immutable once built; a table builds one when it opens, a compaction and a cursor when they start.
///
/// The starts and ends, sorted, cut the key space into elementary pieces; a segment tree over the pieces holds each
/// tombstone's sequence in the O(log n) nodes that together span its range, each node's sequences sorted. A key's
/// piece is found by binary search, and the answer is the best sequence along the path from the root to that
/// piece. Space is O(n log n) however the tombstones overlap (splitting them into fragments that each list every
/// covering tombstone, as Pebble's key spans do, takes quadratic space when many of them nest).
struct RangeTombstoneSet: Sendable {
    /// The tombstones the set was built from, in ``RangeTombstone/storageOrder(_:_:)``.
    let tombstones: [RangeTombstone]
    /// Every start and end, sorted, without repeats: piece `i` is `boundaries[i] ..< boundaries[i + 1]`.
    private let boundaries: [[UInt8]]
    /// The segment tree, as a heap: node 1 is the root, node `i`'s children are `2i` and `2i + 1`, and the leaves
    /// start at ``leafCount``; each node lists, highest first, the sequences of the tombstones it spans.
    private let nodes: [[SequenceNumber]]
    private let leafCount: Int

    static let empty = RangeTombstoneSet([])

    init(_ tombstones: [RangeTombstone]) {
        self.tombstones = tombstones.sorted(by: RangeTombstone.storageOrder)
        var boundaries = tombstones.flatMap { [$0.start, $0.end] }
        boundaries.sort { compareBytes($0, $1) < 0 }
        var unique: [[UInt8]] = []
        for boundary in boundaries where unique.last.map({ compareBytes($0, boundary) != 0 }) ?? true {
            unique.append(boundary)
        }
        self.boundaries = unique
        var leafCount = 1
        while leafCount < max(1, unique.count - 1) { leafCount *= 2 }
        self.leafCount = leafCount
        var nodes = [[SequenceNumber]](repeating: [], count: tombstones.isEmpty ? 0 : 2 * leafCount)
        for tombstone in tombstones {
            // The pieces from the start's up to (not including) the end's, marked in the nodes spanning them.
            var low = tombstone.start.withUnsafeBytes { Self.boundaries(unique, below: $0) } + leafCount
            var high = tombstone.end.withUnsafeBytes { Self.boundaries(unique, below: $0) } + leafCount
            while low < high {
                if low & 1 == 1 {
                    nodes[low].append(tombstone.sequence)
                    low += 1
                }
                if high & 1 == 1 {
                    high -= 1
                    nodes[high].append(tombstone.sequence)
                }
                low /= 2
                high /= 2
            }
        }
        for index in nodes.indices where nodes[index].count > 1 { nodes[index].sort(by: >) }
        self.nodes = nodes
    }

    /// How many of the sorted `boundaries` are below `key` (or at most `key`, with `orEqual`): the position of a
    /// boundary that is `key`, or the number of boundaries at or before the piece holding it.
    private static func boundaries(_ boundaries: [[UInt8]], below key: UnsafeRawBufferPointer, orEqual: Bool = false)
        -> Int
    {
        var low = 0
        var high = boundaries.count
        while low < high {
            let middle = (low + high) / 2
            let order = boundaries[middle].withUnsafeBytes { compareBytes($0, key) }
            if order < 0 || (orEqual && order == 0) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    var isEmpty: Bool { tombstones.isEmpty }

    /// The highest sequence at or below `sequence` of a tombstone covering `userKey`, or nil when none does.
    func coveringSequence(_ userKey: UnsafeRawBufferPointer, atOrBelow sequence: SequenceNumber) -> SequenceNumber? {
        // The piece holding the key: the last boundary at or below it starts it; past the last boundary, none.
        let low = Self.boundaries(boundaries, below: userKey, orEqual: true)
        guard low > 0, low < boundaries.count else { return nil }
        var best: SequenceNumber?
        var node = low - 1 + leafCount
        while node >= 1 {
            if let found = Self.highest(in: nodes[node], atOrBelow: sequence), best.map({ found > $0 }) ?? true {
                best = found
            }
            node /= 2
        }
        return best
    }

    /// The first of `sequences` (highest first) at or below `bound`.
    private static func highest(in sequences: [SequenceNumber], atOrBelow bound: SequenceNumber) -> SequenceNumber? {
        var low = 0
        var high = sequences.count
        while low < high {
            let middle = (low + high) / 2
            if sequences[middle] > bound { low = middle + 1 } else { high = middle }
        }
        return low < sequences.count ? sequences[low] : nil
    }

    /// Bytes the set takes in memory, roughly: what a table's metadata is charged for it.
    var memoryBytes: Int {
        tombstones.reduce(0) { $0 + $1.start.count + $1.end.count + 48 }
            + boundaries.reduce(0) { $0 + $1.count + 24 }
            + nodes.reduce(0) { $0 + 8 * $1.count + 24 }
    }
}
