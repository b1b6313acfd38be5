import Dispatch
import Synchronization
import Testing
@testable import LSM

private func key(_ offset: UInt64, file: UInt64 = 1) -> CacheKey {
    CacheKey(fileNumber: file, offset: offset)
}

/// A value that remembers which key and cost it was inserted with, so a lookup can check it got the right one.
private struct Entry: Sendable, Equatable {
    var key: CacheKey
    var cost: Int
}


@Suite struct LRUCacheTests {
    @Test func evictsLeastRecentlyUsedFirst() {
        let cache = LRUCache<Int>(capacity: 3, shardCount: 1)
        for i in 0..<3 { cache.insert(i, for: key(UInt64(i)), cost: 1) }
        cache.insert(3, for: key(3), cost: 1)
        #expect(cache.value(for: key(0)) == nil)
        #expect(cache.value(for: key(1)) == 1)
        // 1 was just used, so 2 is now the oldest.
        cache.insert(4, for: key(4), cost: 1)
        #expect(cache.value(for: key(2)) == nil)
        #expect(cache.value(for: key(1)) == 1)
        #expect(cache.value(for: key(3)) == 3)
        #expect(cache.value(for: key(4)) == 4)
        #expect(cache.count == 3)
    }

    /// Against a simple model (an array in recency order) for every access pattern of a small alphabet.
    @Test func matchesModelExhaustively() {
        let alphabet: [UInt64] = [0, 1, 2]
        // Every sequence of 6 operations, each a lookup or an insert of one of the keys.
        let choices = alphabet.count * 2
        var sequence = 0
        let total = (0..<6).reduce(1) { product, _ in product * choices }
        while sequence < total {
            let cache = LRUCache<UInt64>(capacity: 2, shardCount: 1)
            var model: [UInt64] = []  // most recent last
            var code = sequence
            for _ in 0..<6 {
                let choice = code % choices
                code /= choices
                let k = alphabet[choice / 2]
                if choice % 2 == 0 {
                    let found = cache.value(for: key(k))
                    if let position = model.firstIndex(of: k) {
                        model.remove(at: position)
                        model.append(k)
                        #expect(found == k)
                    } else {
                        #expect(found == nil)
                    }
                } else {
                    cache.insert(k, for: key(k), cost: 1)
                    model.removeAll { $0 == k }
                    model.append(k)
                    if model.count > 2 { model.removeFirst() }
                }
                #expect(cache.count == model.count)
            }
            sequence += 1
        }
    }

    @Test func costAccountingIsExact() {
        let cache = LRUCache<Int>(capacity: 1000, shardCount: 4)
        var expected = 0
        for i in 0..<20 {
            cache.insert(i, for: key(UInt64(i)), cost: i)
            expected += i
            #expect(cache.totalCost == expected)
        }
        cache.remove(key(7))
        expected -= 7
        #expect(cache.totalCost == expected)
        cache.remove(key(7))
        #expect(cache.totalCost == expected)
        #expect(cache.count == 19)
    }

    @Test func capacityRespectedAfterManyInserts() {
        let cache = LRUCache<Int>(capacity: 4096, shardCount: 8)
        var rng = SplitMix64(seed: 7)
        for i in 0..<10_000 {
            cache.insert(i, for: key(UInt64.random(in: 0..<2000, using: &rng), file: UInt64(i % 5)),
                         cost: Int.random(in: 1...300, using: &rng))
            #expect(cache.totalCost <= 4096)
        }
        #expect(cache.count > 0)
    }

    @Test func replacementAdjustsCost() {
        let cache = LRUCache<String>(capacity: 100, shardCount: 1)
        cache.insert("a", for: key(1), cost: 10)
        cache.insert("b", for: key(2), cost: 20)
        cache.insert("A", for: key(1), cost: 50)
        #expect(cache.totalCost == 70)
        #expect(cache.count == 2)
        #expect(cache.value(for: key(1)) == "A")
        cache.insert("AA", for: key(1), cost: 5)
        #expect(cache.totalCost == 25)
        // Growing an entry past the room left evicts others, never the entry itself.
        cache.insert("AAA", for: key(1), cost: 90)
        #expect(cache.totalCost == 90)
        #expect(cache.value(for: key(2)) == nil)
        #expect(cache.value(for: key(1)) == "AAA")
    }

    @Test func oversizeEntryIsNotInserted() {
        let cache = LRUCache<Int>(capacity: 100, shardCount: 1)
        cache.insert(1, for: key(1), cost: 60)
        cache.insert(2, for: key(2), cost: 101)
        #expect(cache.value(for: key(2)) == nil)
        #expect(cache.value(for: key(1)) == 1)
        #expect(cache.totalCost == 60)
        // Replacing with an oversize value drops the stale one rather than keeping it.
        cache.insert(3, for: key(1), cost: 101)
        #expect(cache.value(for: key(1)) == nil)
        #expect(cache.totalCost == 0)
        #expect(cache.count == 0)
        // An entry exactly the capacity fits.
        cache.insert(4, for: key(4), cost: 100)
        #expect(cache.value(for: key(4)) == 4)
    }

    @Test func oversizeIsJudgedPerShard() {
        let cache = LRUCache<Int>(capacity: 100, shardCount: 4)
        cache.insert(1, for: key(1), cost: 26)
        #expect(cache.value(for: key(1)) == nil)
        cache.insert(1, for: key(1), cost: 25)
        #expect(cache.value(for: key(1)) == 1)
    }

    @Test func removeAllOfOneFile() {
        let cache = LRUCache<Int>(capacity: 10_000, shardCount: 4)
        for file in UInt64(1)...3 {
            for offset in UInt64(0)..<50 { cache.insert(Int(file), for: key(offset * 4096, file: file), cost: 2) }
        }
        cache.removeAll(fileNumber: 2)
        #expect(cache.count == 100)
        #expect(cache.totalCost == 200)
        for offset in UInt64(0)..<50 {
            #expect(cache.value(for: key(offset * 4096, file: 2)) == nil)
            #expect(cache.value(for: key(offset * 4096, file: 1)) == 1)
            #expect(cache.value(for: key(offset * 4096, file: 3)) == 3)
        }
        // Freed slots are reused.
        for offset in UInt64(0)..<50 { cache.insert(9, for: key(offset, file: 9), cost: 2) }
        #expect(cache.count == 150)
    }

    @Test func zeroCapacityCachesNothing() {
        let cache = LRUCache<Int>(capacity: 0)
        cache.insert(1, for: key(1), cost: 0)
        cache.insert(2, for: key(2), cost: 1)
        #expect(cache.value(for: key(1)) == nil)
        #expect(cache.value(for: key(2)) == nil)
        #expect(cache.count == 0)
        #expect(cache.totalCost == 0)
    }

    @Test func smallCapacityStillCaches() {
        // Fewer cost units than shards: each unit must still be usable.
        for capacity in 1...20 {
            let cache = LRUCache<Int>(capacity: capacity, shardCount: 16)
            for i in 0..<200 { cache.insert(i, for: key(UInt64(i)), cost: 1) }
            #expect(cache.totalCost <= capacity)
            #expect(cache.count >= 1)
        }
    }

    @Test func valuesLeavingTheCacheAreReleased() {
        final class Tracked: Sendable {}
        let cache = LRUCache<Tracked>(capacity: 2, shardCount: 1)
        weak var evicted: Tracked?
        weak var removed: Tracked?
        do {
            let a = Tracked()
            let b = Tracked()
            evicted = a
            removed = b
            cache.insert(a, for: key(1), cost: 1)
            cache.insert(b, for: key(2), cost: 1)
        }
        cache.insert(Tracked(), for: key(3), cost: 1)
        cache.remove(key(2))
        #expect(evicted == nil)
        #expect(removed == nil)
    }

    /// Four threads of random lookups, inserts and removals over a small key space, then the invariants.
    @Test func concurrentHammer() {
        let capacity = 5000
        let cache = LRUCache<Entry>(capacity: capacity, shardCount: 4)
        let keySpace: UInt64 = 600
        let threads = 4
        let group = DispatchGroup()
        let mismatches = LRUCacheTestCounter()
        for t in 0..<threads {
            DispatchQueue(label: "lru-hammer-\(t)").async(group: group) {
                var rng = SplitMix64(seed: UInt64(t) &+ 1)
                var bad = 0
                for _ in 0..<20_000 {
                    let file = UInt64.random(in: 0..<3, using: &rng)
                    let k = key(UInt64.random(in: 0..<keySpace, using: &rng), file: file)
                    switch UInt64.random(in: 0..<100, using: &rng) {
                    case 0..<55:
                        if let found = cache.value(for: k), found.key != k { bad += 1 }
                    case 55..<90:
                        let cost = Int.random(in: 1...64, using: &rng)
                        cache.insert(Entry(key: k, cost: cost), for: k, cost: cost)
                    case 90..<98:
                        cache.remove(k)
                    default:
                        cache.removeAll(fileNumber: k.fileNumber)
                    }
                }
                mismatches.add(bad)
            }
        }
        group.wait()
        #expect(mismatches.value == 0)
        #expect(cache.totalCost <= capacity)
        var present = 0
        var cost = 0
        for file in UInt64(0)..<3 {
            for offset in UInt64(0)..<keySpace {
                let k = key(offset, file: file)
                if let found = cache.value(for: k) {
                    #expect(found.key == k)
                    present += 1
                    cost += found.cost
                }
            }
        }
        #expect(cache.count == present)
        #expect(cache.totalCost == cost)
    }
}

/// A thread-safe sum, for the hammer test's worker threads to report into.
private final class LRUCacheTestCounter: Sendable {
    private let total = Atomic<Int>(0)

    func add(_ n: Int) { total.add(n, ordering: .relaxed) }

    var value: Int { total.load(ordering: .relaxed) }
}
