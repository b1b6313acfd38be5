import CLSMSupport

/// A Bloom filter over the user keys added to one memtable, so that a point lookup of a key the memtable does not
/// hold usually skips the skiplist walk, whose twenty-odd node visits are cache misses once the memtable outgrows
/// the CPU's caches and a writer on another core keeps changing it (RocksDB's memtable whole-key filter).
///
/// Each key sets four bits in one 64-bit word (a register-blocked Bloom filter): a lookup costs one hash and one
/// memory access. There is a word per 256 bytes the memtable is expected to hold, so at about 150 bytes an entry a
/// full memtable answers "maybe" for about one key in 10,000 it does not hold; smaller entries raise that rate but
/// never make the answer wrong. It lives only in memory, with its memtable.
///
/// ## Why `@unchecked Sendable` is safe
/// The memtable's one writer at a time sets bits with a relaxed load and store of the word; readers load words
/// relaxed. A read needs the bits of the entries at or below its sequence number only, and the database publishes a
/// sequence number (under its lock) only after its entries, and so their bits, are in the memtable.
final class MemTableKeyFilter: @unchecked Sendable {
    /// Bytes of memtable each word of the filter is sized for.
    static let bytesPerWord = 256
    /// Fewest and most words a filter has.
    static let wordRange = 64...(1 << 22)

    private let words: UnsafeMutablePointer<UInt64>
    /// The word count, a power of two, minus one.
    private let wordMask: Int

    /// A filter sized for a memtable of about `expectedBytes`.
    init(expectedBytes: Int) {
        let wanted = min(max(expectedBytes / Self.bytesPerWord, Self.wordRange.lowerBound), Self.wordRange.upperBound)
        let count = 1 << (Int.bitWidth - (wanted - 1).leadingZeroBitCount)
        words = .allocate(capacity: count)
        words.initialize(repeating: 0, count: count)
        wordMask = count - 1
    }

    deinit {
        words.deallocate()
    }

    /// Bytes the filter takes.
    var byteCount: Int { (wordMask + 1) * MemoryLayout<UInt64>.size }

    /// Records `key`. One caller at a time: the memtable's writer.
    @inline(__always)
    func add(_ key: UnsafeRawBufferPointer) {
        let (slot, bits) = probe(BloomFilter.hash(key))
        lsm_atomic_store_relaxed_u64(slot, lsm_atomic_load_relaxed_u64(slot) | bits)
    }

    /// False only when the key whose ``BloomFilter/hash(_:)`` is `hash` was certainly not added. The hash is the
    /// tables' filter hash, so a lookup computes it once for every filter it asks.
    @inline(__always)
    func mayContain(hash: UInt64) -> Bool {
        let (slot, bits) = probe(hash)
        return lsm_atomic_load_relaxed_u64(slot) & bits == bits
    }

    /// The word a key of hash `hash` maps to (by the high half) and its four bits there (by four 6-bit fields of
    /// the low half).
    @inline(__always)
    private func probe(_ hash: UInt64) -> (UnsafeMutablePointer<UInt64>, UInt64) {
        let bits: UInt64 = 1 << (hash & 63) | 1 << (hash >> 6 & 63) | 1 << (hash >> 12 & 63) | 1 << (hash >> 18 & 63)
        return (words + (Int(truncatingIfNeeded: hash >> 32) & wordMask), bits)
    }
}
