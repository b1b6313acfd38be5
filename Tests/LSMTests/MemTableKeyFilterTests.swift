import Testing
@testable import LSM

@Suite struct MemTableKeyFilterTests {
    private func key(_ number: Int) -> [UInt8] {
        Array(String(format: "%016d", number).utf8)
    }

    @Test func everyAddedKeyMayBeThereAndFewOthersDo() {
        // A 4 MiB memtable of benchmark-sized entries holds about 28,000 keys.
        let filter = MemTableKeyFilter(expectedBytes: 4 << 20)
        for number in 0..<28_000 { key(number).withUnsafeBytes { filter.add($0) } }
        for number in 0..<28_000 {
            #expect(key(number).withUnsafeBytes { filter.mayContain(hash: BloomFilter.hash($0)) }, "key \(number) was added")
        }
        let falsePositives = (28_000..<128_000).count { number in key(number).withUnsafeBytes { filter.mayContain(hash: BloomFilter.hash($0)) } }
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
        for number in 0..<10_000 { key(number).withUnsafeBytes { filter.add($0) } }
        let missing = (0..<10_000).filter { number in !key(number).withUnsafeBytes { filter.mayContain(hash: BloomFilter.hash($0)) } }
        #expect(missing.isEmpty)
    }
}
