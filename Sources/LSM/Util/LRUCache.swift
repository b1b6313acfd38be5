
/// What the block cache and table cache are keyed by: a table file's number and, for blocks, the block's offset
/// in it (the table cache uses offset 0).
struct CacheKey: Equatable, Sendable {
    var fileNumber: UInt64
    var offset: UInt64

    /// Both fields mixed by multiplication and xor-shifts (block offsets share their low bits, file numbers are
    /// small): what picks a cache shard (by the low bits) and a bucket in it (by the high bits).
    var mixedHash: UInt64 {
        var h = (fileNumber &* 0x9E37_79B9_7F4A_7C15) ^ offset
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 29)
    }
}

/// A bounded least-recently-used cache, safe from many threads.
///
/// Keys are spread by hash over shards so threads rarely wait on one another; each shard is a lock (`Locked`) around an
/// ``LRUList``. Every entry has a cost (bytes for blocks, 1 for open tables); a shard evicts from its
/// least-recently-used end while its cost exceeds its share of the capacity, and an entry whose cost alone exceeds
/// that share is not inserted. Values that leave the cache are carried out of the shard's lock and released after
/// it, so a value's deinit (closing a table file, freeing a block) never stalls other threads.
final class LRUCache<Value: Sendable>: Sendable {
    private let shards: [Locked<LRUList<Value>>]

    /// `capacity` is in cost units; 0 caches nothing. Fewer shards are used when the capacity is smaller than
    /// `shardCount`, so every shard can hold something; the shards' capacities add up to `capacity` exactly.
    init(capacity: Int, shardCount: Int = 16) {
        let capacity = max(0, capacity)
        let count = max(1, min(shardCount, capacity))
        shards = (0..<count).map { index in
            Locked(LRUList(capacity: capacity / count + (index < capacity % count ? 1 : 0)))
        }
    }

    /// The cached value, marked most recently used; nil when absent.
    func value(for key: CacheKey) -> Value? {
        shard(for: key).withLock { list in list.value(for: key) }
    }

    /// Caches `value` under `key` as most recently used, replacing an existing entry, then evicts
    /// least-recently-used entries until the shard fits its capacity again.
    func insert(_ value: Value, for key: CacheKey, cost: Int) {
        assert(cost >= 0, "a cache entry's cost cannot be negative")
        _ = shard(for: key).withLock { list in list.insert(value, for: key, cost: max(0, cost)) }
    }

    func remove(_ key: CacheKey) {
        _ = shard(for: key).withLock { list in list.remove(key) }
    }

    /// Removes every entry whose key has this file number, as when a table file is deleted. Visits every entry.
    func removeAll(fileNumber: UInt64) {
        for shard in shards {
            _ = shard.withLock { list in list.removeAll(fileNumber: fileNumber) }
        }
    }

    /// The sum of the cached entries' costs.
    var totalCost: Int {
        shards.reduce(0) { sum, shard in sum + shard.withLock { $0.totalCost } }
    }

    /// How many entries are cached.
    var count: Int {
        shards.reduce(0) { sum, shard in sum + shard.withLock { $0.count } }
    }

    /// The shard a key lives in.
    private func shard(for key: CacheKey) -> Locked<LRUList<Value>> {
        shards[Int(key.mixedHash % UInt64(shards.count))]
    }
}

/// A single-threaded LRU map: an index from key to slot (``CacheKeyIndex``) plus a doubly-linked recency list threaded through
/// an array of slots by index, with freed slots chained into a free list. No object is allocated per entry, and
/// slots are reused, so a warm cache allocates nothing on insert.
private struct LRUList<Value> {
    /// One entry, or a free slot (value nil, `next` chaining the free list).
    private struct Slot {
        var key: CacheKey
        var value: Value?
        var cost: Int
        var previous: Int
        var next: Int
    }

    private static var none: Int { -1 }

    let capacity: Int
    private(set) var totalCost = 0
    private var slots: [Slot] = []
    private var index = CacheKeyIndex()
    /// Most recently used entry.
    private var head = LRUList.none
    /// Least recently used entry, the next to be evicted.
    private var tail = LRUList.none
    private var free = LRUList.none

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { index.count }

    mutating func value(for key: CacheKey) -> Value? {
        guard let slot = index[key] else { return nil }
        moveToFront(slot)
        return slots[slot].value
    }

    /// Inserts or replaces, then evicts; returns what left the cache so the caller releases it outside the lock.
    mutating func insert(_ value: Value, for key: CacheKey, cost: Int) -> [Value] {
        var dropped: [Value] = []
        if let slot = index[key] {
            if capacity == 0 || cost > capacity {
                if let old = release(slot) { dropped.append(old) }
                return dropped
            }
            if let old = slots[slot].value { dropped.append(old) }
            slots[slot].value = value
            totalCost += cost - slots[slot].cost
            slots[slot].cost = cost
            moveToFront(slot)
        } else {
            if capacity == 0 || cost > capacity { return dropped }
            let slot = allocate(Slot(key: key, value: value, cost: cost, previous: LRUList.none, next: LRUList.none))
            index.set(slot, for: key)
            totalCost += cost
            linkAtFront(slot)
        }
        while totalCost > capacity, tail != LRUList.none {
            if let old = release(tail) { dropped.append(old) }
        }
        return dropped
    }

    mutating func remove(_ key: CacheKey) -> Value? {
        guard let slot = index[key] else { return nil }
        return release(slot)
    }

    mutating func removeAll(fileNumber: UInt64) -> [Value] {
        var dropped: [Value] = []
        var slot = head
        while slot != LRUList.none {
            let next = slots[slot].next
            if slots[slot].key.fileNumber == fileNumber, let old = release(slot) { dropped.append(old) }
            slot = next
        }
        return dropped
    }

    /// Takes a slot from the free list, or grows the array.
    private mutating func allocate(_ entry: Slot) -> Int {
        if free == LRUList.none {
            slots.append(entry)
            return slots.count - 1
        }
        let slot = free
        free = slots[slot].next
        slots[slot] = entry
        return slot
    }

    /// Unlinks an entry, forgets its key and frees its slot; returns its value.
    private mutating func release(_ slot: Int) -> Value? {
        unlink(slot)
        index.remove(slots[slot].key)
        totalCost -= slots[slot].cost
        let value = slots[slot].value
        slots[slot].value = nil
        slots[slot].cost = 0
        slots[slot].next = free
        free = slot
        return value
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        linkAtFront(slot)
    }

    private mutating func linkAtFront(_ slot: Int) {
        slots[slot].previous = LRUList.none
        slots[slot].next = head
        if head != LRUList.none { slots[head].previous = slot }
        head = slot
        if tail == LRUList.none { tail = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let previous = slots[slot].previous
        let next = slots[slot].next
        if previous != LRUList.none { slots[previous].next = next } else { head = next }
        if next != LRUList.none { slots[next].previous = previous } else { tail = previous }
        slots[slot].previous = LRUList.none
        slots[slot].next = LRUList.none
    }
}
