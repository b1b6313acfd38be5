import Testing
@testable import LSM

/// The merging iterator against a sorted model: every mix of moves (seeks, steps both ways, direction changes)
/// over children of every small count, with entries spread so that runs come from one child and from many.
@Suite struct ReadPathMergingIteratorTests {
    /// Internal keys spread over `childCount` memtables; returns the children and the merged order.
    private func makeChildren(
        childCount: Int, entries: Int, runLength: Int, random: inout SplitMix64
    ) -> (children: [MemTable], sorted: [[UInt8]]) {
        let children = (0..<childCount).map { _ in MemTable() }
        var all: [[UInt8]] = []
        for sequence in 1...UInt64(max(1, entries)) where entries > 0 {
            // Runs of neighbouring keys land in one child, so both the fast path and the rescan are taken.
            let child = Int(((sequence - 1) / UInt64(runLength) + random.next() % 2) % UInt64(childCount))
            let userKey = Array("k\(1000 + random.next() % 60)".utf8)
            let kind: ValueKind = random.next() % 5 == 0 ? .deletion : .value
            let value = Array("v\(sequence)".utf8)
            userKey.withUnsafeBytes { k in
                value.withUnsafeBytes { v in children[child].add(sequence: sequence, kind: kind, key: k, value: v) }
            }
            all.append(makeInternalKey(userKey, sequence, kind))
        }
        all.sort { compareInternalKeys($0, $1) < 0 }
        return (children, all)
    }

    @Test(arguments: 0...5)
    func randomMovesMatchTheModel(childCount: Int) throws {
        for seed in 0..<8 {
            var random = SplitMix64(seed: UInt64(seed * 10 + childCount))
            let entryCount = childCount == 0 ? 0 : Int(random.next() % 120)
            let (children, sorted) = makeChildren(
                childCount: max(1, childCount), entries: entryCount, runLength: 1 + seed % 4, random: &random)
            let merged = ReadPathMergingIterator(children: childCount == 0 ? [] : children.map { $0.makeIterator() })
            /// The model's position: an index into `sorted`, or nil when invalid.
            var position: Int?
            for step in 0..<400 {
                let move = random.next() % 10
                if position == nil && move >= 6 { continue }
                switch move {
                case 0:
                    try merged.seekToFirst()
                    position = sorted.isEmpty ? nil : 0
                case 1:
                    try merged.seekToLast()
                    position = sorted.isEmpty ? nil : sorted.count - 1
                case 2, 3, 4, 5:
                    let target = makeInternalKey(
                        Array("k\(1000 + random.next() % 62)".utf8), random.next() % 130, .forSeek)
                    try merged.seek(target)
                    position = sorted.firstIndex { compareInternalKeys($0, target) >= 0 }
                case 6, 7:
                    try merged.next()
                    position = position.flatMap { $0 + 1 < sorted.count ? $0 + 1 : nil }
                default:
                    try merged.prev()
                    position = position.flatMap { $0 > 0 ? $0 - 1 : nil }
                }
                #expect(merged.isValid == (position != nil), "seed \(seed) step \(step)")
                if let position, merged.isValid {
                    #expect(merged.key.array == sorted[position], "seed \(seed) step \(step)")
                }
            }
        }
    }

    @Test func fullScansBothWaysVisitEveryEntryOnce() throws {
        var random = SplitMix64(seed: 99)
        let (children, sorted) = makeChildren(childCount: 4, entries: 500, runLength: 7, random: &random)
        let merged = ReadPathMergingIterator(children: children.map { $0.makeIterator() })
        #expect(try merged.entriesForward().map(\.key) == sorted)
        #expect(try merged.entriesBackward().map(\.key) == sorted.reversed())
    }
}
