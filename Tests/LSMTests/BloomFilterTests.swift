import Testing
@testable import LSM

private func filter(_ keys: [[UInt8]], bitsPerKey: Int) throws -> BloomFilter {
    var builder = BloomFilterBuilder(bitsPerKey: bitsPerKey)
    for key in keys { key.withUnsafeBytes { builder.add($0) } }
    return try #require(BloomFilter(contents: builder.finish()))
}

private func contains(_ filter: BloomFilter, _ key: [UInt8]) -> Bool {
    key.withUnsafeBytes { filter.mayContain($0) }
}

private func littleEndian(_ value: Int) -> [UInt8] {
    withUnsafeBytes(of: UInt32(value).littleEndian) { Array($0) }
}

@Suite struct BloomFilterTests {
    @Test func hasNoFalseNegatives() throws {
        for count in [1, 2, 10, 100, 1000, 5000] {
            for bitsPerKey in [1, 4, 10, 20] {
                let keys = (0..<count).map { littleEndian($0 &* 7919) }
                let bloom = try filter(keys, bitsPerKey: bitsPerKey)
                #expect(keys.allSatisfy { contains(bloom, $0) }, "\(count) keys, \(bitsPerKey) bits/key")
            }
        }
        let empty = try filter([[]], bitsPerKey: 10)
        #expect(contains(empty, []))
    }

    @Test func falsePositiveRateIsAboutOnePercentAtTenBitsPerKey() throws {
        let keys = (0..<10_000).map { Array("user-key-\($0)".utf8) }
        let bloom = try filter(keys, bitsPerKey: 10)
        #expect(bloom.bitCount == 100_000)
        #expect(bloom.probeCount == 7)
        let absent = (0..<10_000).map { Array("user-key-\($0 + 1_000_000)".utf8) }
        let falsePositives = absent.filter { contains(bloom, $0) }.count
        #expect(falsePositives < 200, "\(falsePositives) false positives in 10,000")
        // Binary keys differing in one bit must not collide wholesale either.
        let binary = (0..<10_000).map { littleEndian($0) }
        let binaryBloom = try filter(binary, bitsPerKey: 10)
        let binaryAbsent = (10_000..<20_000).filter { contains(binaryBloom, littleEndian($0)) }.count
        #expect(binaryAbsent < 200, "\(binaryAbsent) false positives in 10,000")
    }

    @Test func probeCountFollowsBitsPerKeyAndIsClamped() {
        #expect(BloomFilter.probeCount(bitsPerKey: 1) == 1)
        #expect(BloomFilter.probeCount(bitsPerKey: 2) == 1)
        #expect(BloomFilter.probeCount(bitsPerKey: 3) == 2)
        #expect(BloomFilter.probeCount(bitsPerKey: 10) == 7)
        #expect(BloomFilter.probeCount(bitsPerKey: 16) == 11)
        #expect(BloomFilter.probeCount(bitsPerKey: 100) == 30)
    }

    @Test func smallFiltersHaveSixtyFourBits() throws {
        var builder = BloomFilterBuilder(bitsPerKey: 10)
        [UInt8]([1]).withUnsafeBytes { builder.add($0) }
        let contents = builder.finish()
        #expect(contents.count == 9)
        #expect(contents[8] == 7)
        #expect((1...7).contains(contents[0..<8].reduce(0) { $0 + $1.nonzeroBitCount }))
        #expect(try filter([[1]], bitsPerKey: 10).bitCount == 64)
    }

    @Test func malformedContentsAreRejected() {
        #expect(BloomFilter(contents: []) == nil)
        #expect(BloomFilter(contents: [7]) == nil)
        #expect(BloomFilter(contents: [0, 0, 0, 0, 0, 0, 0, 0, 0]) == nil)
        #expect(BloomFilter(contents: [0, 0, 0, 0, 0, 0, 0, 0, 31]) == nil)
        #expect(BloomFilter(contents: [0, 0, 0, 0, 0, 0, 0, 0, 30]) != nil)
    }

    /// The hash is part of the file format: these values (computed independently from the documented algorithm)
    /// must never change.
    @Test func hashIsStable() {
        func hash(_ text: String) -> UInt64 { Array(text.utf8).withUnsafeBytes { BloomFilter.hash($0) } }
        #expect(hash("") == 0)
        #expect(hash("a") == 0xFF0F_30E4_AEBA_46D1)
        #expect(hash("abcdefgh") == 0x578E_33B6_EC91_AB58)
        #expect(hash("the quick brown fox") == 0xD76C_FBA5_2A5C_47C2)
        #expect(hash("a") != hash("a\0"))
    }

    @Test func zeroBitsPerKeyWritesNoFilter() throws {
        let directory = TemporaryDirectory("bloom")
        defer { directory.remove() }
        let fs = PosixFileSystem()
        let path = directory.appending("000001.sst")
        let writable = try fs.openWritable(path, truncate: true)
        var builder = TableBuilder(file: writable, options: TableOptions(bloomBitsPerKey: 0), identity: .testing())
        for i in 0..<100 {
            let key = makeInternalKey(Array("k\(1000 + i)".utf8), 1, .value)
            try key.withBytes { (k: UnsafeRawBufferPointer) throws(LSMError) in
                try builder.add(key: k, value: UnsafeRawBufferPointer(start: nil, count: 0))
            }
        }
        _ = try builder.finish()
        try writable.close()
        let table = try Table(file: try fs.openReadable(path), fileNumber: 1, blockCache: nil)
        #expect(table.footer.filterHandle.size == 0)
        #expect(table.filter == nil)
        #expect(Array("absent".utf8).withUnsafeBytes { table.mayContain($0) })
        let found = try Array("k1050".utf8).withBytes { (u: UnsafeRawBufferPointer) throws(LSMError) in
            try table.get(u, sequence: 5)
        }
        #expect(found == .found([]))
        try table.verify()
    }
}
