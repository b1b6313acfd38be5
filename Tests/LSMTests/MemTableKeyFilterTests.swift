import Testing
@testable import LSM

extension MemTableKeyFilter {
    fileprivate func add(_ key: [UInt8]) { key.withUnsafeBytes { add($0) } }

    fileprivate func mayContain(_ key: [UInt8]) -> Bool {
        key.withUnsafeBytes { mayContain(hash: BloomFilter.hash($0)) }
    }
}

@Suite struct MemTableKeyFilterTests {
    /// The benchmark's key of `number`: 16 decimal digits.
    private func key(_ number: Int) -> [UInt8] {
        Array(("0000000000000000" + String(number)).suffix(16).utf8)
    }

    @Test func everyAddedKeyMayBeThereAndFewOthersDo() {
        // A 4 MiB memtable of benchmark-sized entries holds about 28,000 keys.
        let filter = MemTableKeyFilter(expectedBytes: 4 << 20)
        for number in 0..<28_000 { filter.add(key(number)) }
        for number in 0..<28_000 {
            #expect(filter.mayContain(key(number)), "key \(number) was added")
        }
        let falsePositives = (28_000..<128_000).count { filter.mayContain(key($0)) }
        #expect(falsePositives < 100, "\(falsePositives) of 100,000 keys never added pass the filter")
    }

    @Test func sizeFollowsTheExpectedBytesWithinBounds() {
        #expect(MemTableKeyFilter(expectedBytes: 4 << 20).byteCount == 128 << 10)
        #expect(MemTableKeyFilter(expectedBytes: (4 << 20) + 1).byteCount == 128 << 10)
        #expect(MemTableKeyFilter(expectedBytes: 1).byteCount == MemTableKeyFilter.wordRange.lowerBound * 8)
        #expect(MemTableKeyFilter(expectedBytes: 1 << 40).byteCount == MemTableKeyFilter.wordRange.upperBound * 8)
    }

    @Test func anOverfilledFilterStillFindsEveryKey() {
        let filter = MemTableKeyFilter(expectedBytes: 1)
        for number in 0..<10_000 { filter.add(key(number)) }
        #expect((0..<10_000).allSatisfy { filter.mayContain(key($0)) })
    }
}
