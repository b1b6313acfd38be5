import Testing
@testable import LSM

/// The compaction merge against a sorted model: every entry of every child, once, in internal-key order, for
/// child counts from none to many and entries spread both in runs from one child and interleaved.
@Suite struct CompactionMergingIteratorTests {
    @Test(arguments: [0, 1, 2, 3, 7, 16])
    func yieldsEveryEntryInOrder(childCount: Int) throws {
        for seed in 0..<6 {
            var random = SplitMix64(seed: UInt64(seed * 100 + childCount))
            let children = (0..<childCount).map { _ in MemTable() }
            var expected: [(key: [UInt8], value: [UInt8])] = []
            let runLength = 1 + UInt64(seed % 3) * 5
            for sequence in 1...UInt64(300) where childCount > 0 {
                let child = Int(((sequence - 1) / runLength + random.next() % 2) % UInt64(childCount))
                let userKey = Array("k\(1000 + random.next() % 90)".utf8)
                let value = Array("v\(sequence)".utf8)
                userKey.withUnsafeBytes { k in
                    value.withUnsafeBytes { v in children[child].add(sequence: sequence, kind: .value, key: k, value: v) }
                }
                expected.append((makeInternalKey(userKey, sequence, .value), value))
            }
            expected.sort { compareInternalKeys($0.key, $1.key) < 0 }

            let merged = CompactionMergingIterator(children: children.map { $0.makeIterator() })
            try merged.seekToFirst()
            var seen: [(key: [UInt8], value: [UInt8])] = []
            while merged.isValid {
                seen.append((merged.key.array, merged.value.array))
                try merged.next()
            }
            let matches = seen.count == expected.count
                && zip(seen, expected).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            #expect(matches, "seed \(seed): \(seen.count) entries merged, \(expected.count) expected")
        }
    }
}
