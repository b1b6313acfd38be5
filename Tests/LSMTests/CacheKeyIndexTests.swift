import Testing
@testable import LSM

@Suite struct CacheKeyIndexTests {
    /// Random sets and removals over a small key space (so keys come back after removal and probe runs wrap
    /// around and interleave), checked against a dictionary after every step.
    @Test(arguments: [1 as UInt64, 2, 3])
    func matchesADictionaryThroughSetsRemovalsAndGrowth(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var index = CacheKeyIndex()
        var model: [UInt64: Int] = [:]
        func key(_ n: UInt64) -> CacheKey {
            // Block offsets that share their low bits, across a few files, as a block cache sees them.
            CacheKey(fileNumber: n % 5, offset: (n / 5) * 4096)
        }
        for step in 0..<20_000 {
            let n = random.next() % 600
            if random.next() % 3 == 0 {
                index.remove(key(n))
                model[n] = nil
            } else {
                index.set(step, for: key(n))
                model[n] = step
            }
            #expect(index.count == model.count)
            if step % 97 == 0 {
                let wrong = (0..<UInt64(600)).filter { index[key($0)] != model[$0] }
                #expect(wrong.isEmpty, "step \(step): keys \(wrong) map to the wrong slots")
                if !wrong.isEmpty { return }
            }
        }
        for probe in 0..<UInt64(600) { #expect(index[key(probe)] == model[probe]) }
    }

    @Test func removingAnAbsentKeyChangesNothing() {
        var index = CacheKeyIndex()
        index.set(7, for: CacheKey(fileNumber: 1, offset: 0))
        index.remove(CacheKey(fileNumber: 2, offset: 0))
        #expect(index.count == 1)
        #expect(index[CacheKey(fileNumber: 1, offset: 0)] == 7)
    }
}
