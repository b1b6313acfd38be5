import Testing
@testable import LSM

/// `RangeTombstoneSet` answers like a scan of every tombstone, for nested, overlapping, adjacent and repeated
/// ranges, at every sequence.
@Suite struct RangeTombstoneSetTests {
    private func bruteForce(_ tombstones: [RangeTombstone], _ key: [UInt8], _ sequence: SequenceNumber)
        -> SequenceNumber?
    {
        key.withUnsafeBytes { key in
            tombstones.filter { $0.sequence <= sequence && $0.covers(key) }.map(\.sequence).max()
        }
    }

    @Test func answersAsAScanOfEveryTombstoneDoes() {
        var random = SplitMix64(seed: 0xDE1)
        for round in 0..<200 {
            let count = round == 0 ? 0 : Int.random(in: 1...30, using: &random)
            var tombstones: [RangeTombstone] = []
            for sequence in 1...max(1, count) where count > 0 {
                let a = UInt8.random(in: 0...20, using: &random)
                let b = UInt8.random(in: 0...20, using: &random)
                guard a != b else { continue }
                // Keys of one or two bytes, so prefixes (a shorter key first) are exercised too.
                let start = a % 3 == 0 ? [min(a, b)] : [min(a, b), 5]
                tombstones.append(RangeTombstone(start: start, end: [max(a, b)], sequence: SequenceNumber(sequence)))
            }
            tombstones = tombstones.filter { compareBytes($0.start, $0.end) < 0 }
            let set = RangeTombstoneSet(tombstones)
            #expect(set.tombstones.count == tombstones.count)
            for first in UInt8(0)...21 {
                for key in [[first], [first, 0], [first, 5], [first, 9]] {
                    for sequence in [0, 1, SequenceNumber(count / 2), SequenceNumber(count), maxSequenceNumber] {
                        let answer = key.withUnsafeBytes { set.coveringSequence($0, atOrBelow: sequence) }
                        #expect(answer == bruteForce(tombstones, key, sequence), "round \(round) key \(key) at \(sequence)")
                    }
                }
            }
        }
    }

    @Test func deeplyNestedRangesTakeLittleSpace() {
        // 2,000 ranges each inside the one before: fragments listing every covering range would hold 2 million.
        var tombstones: [RangeTombstone] = []
        for i in 0..<2000 {
            let (high, low) = (UInt8(i >> 8), UInt8(i & 0xFF))
            tombstones.append(RangeTombstone(start: [0, high, low], end: [0xFF, 0xFF - high, 0xFF - low],
                                             sequence: SequenceNumber(i + 1)))
        }
        let set = RangeTombstoneSet(tombstones)
        #expect(set.memoryBytes < 2_000_000)
        let inside: [UInt8] = [0x80]
        #expect(inside.withUnsafeBytes { set.coveringSequence($0, atOrBelow: maxSequenceNumber) } == 2000)
        #expect(inside.withUnsafeBytes { set.coveringSequence($0, atOrBelow: 17) } == 17)
        let outside: [UInt8] = [0, 0, 0, 0]
        #expect(outside.withUnsafeBytes { set.coveringSequence($0, atOrBelow: maxSequenceNumber) } == 1)
    }
}
