import Testing
@testable import LSM

/// `approximateSize(from:to:)` and `estimatedKeyCount()`: close to the truth, within the bounds they document.
@Suite struct EstimatesTests {
    private static func key(_ i: Int) -> String {
        let digits = String(i)
        return "k" + String(repeating: "0", count: 5 - digits.count) + digits
    }

    @Test func approximateSizeCountsTheTableBytesOfARange() throws {
        let dir = TemporaryDirectory("estimates-size")
        defer { dir.remove() }
        var options = Options()
        options.blockSize = 4096
        options.targetFileSize = 256 << 10
        let db = try Database.open(dir.path, options: options)
        for i in 0..<10_000 { try db.put(Self.key(i), String(repeating: "v", count: 100)) }
        try db.compact()
        let total = try db.statistics().levelBytes.reduce(0, +)
        try #require(try db.statistics().levelFileCounts.reduce(0, +) > 2, "several tables, so some straddle a bound")

        #expect(try db.approximateSize() == total)
        #expect(try db.approximateSize(from: Array("a".utf8), to: Array("z".utf8)) == total)
        #expect(try db.approximateSize(from: Array("z".utf8)) == 0, "past every key")
        #expect(try db.approximateSize(to: Array("a".utf8)) == 0, "before every key")
        #expect(try db.approximateSize(from: Array("k05000".utf8), to: Array("k05000".utf8)) == 0, "an empty range")
        #expect(try db.approximateSize(from: Array("k06000".utf8), to: Array("k05000".utf8)) == 0, "a reversed one")

        // Within a block per straddled table (two bounds, one level) of the proportional share.
        let slack = 2 * Double(options.blockSize) + 1
        for (low, high) in [(0, 5000), (2500, 7500), (1234, 1300), (9000, 10_000)] {
            let size = try db.approximateSize(from: Array(Self.key(low).utf8), to: Array(Self.key(high).utf8))
            let share = Double(total) * Double(high - low) / 10_000
            #expect(abs(Double(size) - share) <= slack + share * 0.02, "\(low)..<\(high): \(size) vs \(share)")
        }
        let halves = try db.approximateSize(to: Array(Self.key(5000).utf8))
            + db.approximateSize(from: Array(Self.key(5000).utf8))
        #expect(halves == total, "adjacent ranges add up")

        // Writes still in the memtable take no table space yet.
        try db.put("k00001x", String(repeating: "w", count: 1000))
        #expect(try db.approximateSize() == total)
        try db.close()
    }

    @Test func estimatedKeyCountIsExactWithOneVersionPerKeyAndBoundedOtherwise() throws {
        let dir = TemporaryDirectory("estimates-keys")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        #expect(try db.estimatedKeyCount() == 0)
        for i in 0..<1000 { try db.put(Self.key(i), "v") }
        #expect(try db.estimatedKeyCount() == 1000, "in the memtable")
        try db.flush()
        #expect(try db.estimatedKeyCount() == 1000, "in a table")

        // Overwrites count once per version still stored, until a compaction drops the old ones.
        for i in 0..<100 { try db.put(Self.key(i), "w") }
        #expect(try db.estimatedKeyCount() == 1100)
        try db.compact()
        #expect(try db.estimatedKeyCount() == 1000)

        // A deletion takes two away: itself and what it deletes.
        for i in 0..<300 { try db.delete(Self.key(i)) }
        #expect(try db.estimatedKeyCount() == 700, "tombstones in the memtable")
        try db.flush()
        #expect(try db.estimatedKeyCount() == 700, "tombstones in a table")
        try db.compact()
        #expect(try db.estimatedKeyCount() == 700, "after the tombstones are dropped")
        // Deleting keys that do not exist takes one away too many each; never below zero.
        for i in 5000..<7000 { try db.delete(Self.key(i)) }
        #expect(try db.estimatedKeyCount() == 0)
        try db.close()

        let info = try Database.info(at: dir.path)
        #expect(try info.estimatedKeyCount() == 700, "the tables alone, from the manifest and their properties")
    }
}
