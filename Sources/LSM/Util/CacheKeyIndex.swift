/// A map from ``CacheKey`` to an `Int` slot number, by open addressing with linear probing over a power-of-two
/// table: what an LRU shard finds its entries with, for a fraction of what `Dictionary` costs. `Dictionary` hashes
/// with SipHash to resist keys chosen to collide; file numbers and block offsets are the engine's own, so a
/// multiply-xorshift mix (``CacheKey/mixedHash``) spreads them well enough. Removal shifts later entries back
/// instead of leaving tombstones, so lookups never slow down as entries come and go.
struct CacheKeyIndex {
    private static let empty = -1

    private var keys: [CacheKey]
    /// The slot stored for `keys[i]`, or ``empty``.
    private var slots: [Int]
    /// 64 minus log2 of the table size: a key's home bucket is the top bits of its hash. (The cache picks a shard by
    /// the low bits, which are therefore nearly the same for every key of one shard.)
    private var shift: Int
    private(set) var count = 0

    init() {
        let size = 16
        keys = Array(repeating: CacheKey(fileNumber: 0, offset: 0), count: size)
        slots = Array(repeating: Self.empty, count: size)
        shift = 64 - size.trailingZeroBitCount
    }

    private var mask: Int { slots.count - 1 }

    @inline(__always)
    private func home(of key: CacheKey) -> Int {
        Int(truncatingIfNeeded: key.mixedHash >> UInt64(shift))
    }

    /// The bucket holding `key`, or the empty bucket where its probe ends.
    @inline(__always)
    private func bucket(of key: CacheKey) -> (index: Int, found: Bool) {
        var index = home(of: key)
        while true {
            if slots[index] == Self.empty { return (index, false) }
            if keys[index] == key { return (index, true) }
            index = (index + 1) & mask
        }
    }

    subscript(key: CacheKey) -> Int? {
        let bucket = bucket(of: key)
        return bucket.found ? slots[bucket.index] : nil
    }

    /// Maps `key` to `slot` (which must not be negative), replacing its previous slot if it had one.
    mutating func set(_ slot: Int, for key: CacheKey) {
        assert(slot >= 0)
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let bucket = bucket(of: key)
        if !bucket.found {
            keys[bucket.index] = key
            count += 1
        }
        slots[bucket.index] = slot
    }

    /// Forgets `key`; then moves each following entry of the probe run back into the gap when its home bucket
    /// allows, so every entry stays reachable from its home without tombstones.
    mutating func remove(_ key: CacheKey) {
        let bucket = bucket(of: key)
        guard bucket.found else { return }
        var gap = bucket.index
        slots[gap] = Self.empty
        count -= 1
        var next = gap
        while true {
            next = (next + 1) & mask
            if slots[next] == Self.empty { return }
            // The entry may fill the gap only if its home is not cyclically within (gap, next].
            let distanceFromHome = (next - home(of: keys[next])) & mask
            let distanceFromGap = (next - gap) & mask
            if distanceFromHome >= distanceFromGap {
                keys[gap] = keys[next]
                slots[gap] = slots[next]
                slots[next] = Self.empty
                gap = next
            }
        }
    }

    /// Doubles the table and reinserts every entry.
    private mutating func grow() {
        let oldKeys = keys
        let oldSlots = slots
        let size = slots.count * 2
        keys = Array(repeating: CacheKey(fileNumber: 0, offset: 0), count: size)
        slots = Array(repeating: Self.empty, count: size)
        shift = 64 - size.trailingZeroBitCount
        count = 0
        for (key, slot) in zip(oldKeys, oldSlots) where slot != Self.empty { set(slot, for: key) }
    }
}
