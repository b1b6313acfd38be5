import Testing
@testable import LSM

@Suite struct ByteComparisonTests {
    /// The word-at-a-time comparison against the standard library's lexicographic order, on keys of every length
    /// up to 40 that share prefixes of every length (so each word and the `memcmp` tail decide some pairs).
    @Test func agreesWithLexicographicOrder() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let prefix = (0..<Int(random.next() % 24)).map { _ in UInt8(truncatingIfNeeded: random.next() % 3) }
            let a = prefix + (0..<Int(random.next() % 17)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let b = prefix + (0..<Int(random.next() % 17)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let expected = a.lexicographicallyPrecedes(b) ? -1 : (b.lexicographicallyPrecedes(a) ? 1 : 0)
            let actual = compareBytes(a, b)
            if actual != expected {
                Issue.record("compareBytes(\(a), \(b)) is \(actual), expected \(expected)")
                return
            }
        }
    }
}
