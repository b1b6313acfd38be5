/// A Bloom filter over the user keys of one table, so a point lookup for a key the table does not hold usually
/// costs no block read.
///
/// Encoding: the bit array (bit `j` is bit `j % 8`, least significant first, of byte `j / 8`) followed by one byte
/// holding the probe count `k`. A key sets or tests the `k` bits `(a + i·b) mod m` for `i` in `0..<k`, where `m` is
/// the number of bits and `a`, `b` come from one 64-bit ``hash(_:)`` of the key (double hashing). The hash is part of
/// the file format: changing it would make existing filters answer wrongly.
///
/// The bytes: docs/FORMAT.md, "Filter block".
struct BloomFilter: Sendable {
    /// Fewest bits a filter has, so tiny tables do not get useless filters.
    static let minimumBitCount = 64
    /// Probe counts a filter may use.
    static let probeRange = 1...30

    private let contents: [UInt8]
    /// Number of bits in the array (`m`).
    let bitCount: Int
    /// Number of bits set per key (`k`).
    let probeCount: Int

    /// Wraps encoded filter bytes; nil when they cannot be a filter (no bit array, or a probe count outside
    /// ``probeRange``).
    init?(contents: [UInt8]) {
        guard contents.count >= 2, let k = contents.last, Self.probeRange.contains(Int(k)) else { return nil }
        self.contents = contents
        self.bitCount = (contents.count - 1) * 8
        self.probeCount = Int(k)
    }

    /// Size of the encoded filter in bytes (bit array plus probe count).
    var byteCount: Int { contents.count }

    /// False only when `key` was certainly not added; true when it was or, rarely, when it was not.
    func mayContain(_ key: UnsafeRawBufferPointer) -> Bool {
        mayContain(hash: Self.hash(key))
    }

    /// ``mayContain(_:)`` of the key whose ``hash(_:)`` is `h`, for a lookup that probes many filters with one hash.
    func mayContain(hash h: UInt64) -> Bool {
        let m = UInt64(bitCount)
        var position = (h & 0xFFFF_FFFF) % m
        let step = ((h >> 32) | 1) % m
        return contents.withUnsafeBytes { bits in
            for _ in 0..<probeCount {
                let bit = Int(position)
                if bits[bit >> 3] & (1 << UInt8(bit & 7)) == 0 { return false }
                position += step
                if position >= m { position -= m }
            }
            return true
        }
    }

    /// The probe count for `bitsPerKey` bits per key: `round(bitsPerKey · ln 2)`, clamped to ``probeRange``, which
    /// minimises the false-positive rate.
    static func probeCount(bitsPerKey: Int) -> Int {
        let k = Int((Double(bitsPerKey) * 0.693_147_180_559_945_3).rounded())
        return min(max(k, probeRange.lowerBound), probeRange.upperBound)
    }

    /// A 64-bit hash of `bytes` (this file's own multiply-rotate construction, finished with a full avalanche so
    /// both 32-bit halves are usable for double hashing).
    ///
    /// With `p1 = 0x9E3779B97F4A7C15`, `p2 = 0xC2B2AE3D27D4EB4F`, `p3 = 0x165667B19E3779F9` and wrapping arithmetic:
    /// `h = length · p1`; for each 8-byte little-endian word `w` of the key, then for the last 1...7 bytes (if any)
    /// as a zero-padded little-endian word, `h = rotl(h ^ (rotl(w · p2, 31) · p1), 27) · p1 + p3`; finally
    /// `h ^= h >> 33; h ·= 0xFF51AFD7ED558CCD; h ^= h >> 33; h ·= 0xC4CEB9FE1A85EC53; h ^= h >> 33`.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let p1: UInt64 = 0x9E37_79B9_7F4A_7C15
        let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        let p3: UInt64 = 0x1656_67B1_9E37_79F9
        @inline(__always) func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
        @inline(__always) func step(_ h: UInt64, _ w: UInt64) -> UInt64 {
            rotl(h ^ (rotl(w &* p2, 31) &* p1), 27) &* p1 &+ p3
        }
        let n = bytes.count
        var h = UInt64(n) &* p1
        var i = 0
        while n - i >= 8 {
            h = step(h, bytes.fixed64(at: i))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = step(h, tail)
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}

/// Collects key hashes while a table is written and encodes the ``BloomFilter`` at the end.
///
/// The bytes: docs/FORMAT.md, "Filter block".
struct BloomFilterBuilder {
    private let bitsPerKey: Int
    private var hashes: [UInt64] = []

    /// `bitsPerKey` must be positive.
    init(bitsPerKey: Int) {
        assert(bitsPerKey > 0)
        self.bitsPerKey = bitsPerKey
    }

    var keyCount: Int { hashes.count }

    /// Records a key; the table builder adds each distinct user key once.
    mutating func add(_ key: UnsafeRawBufferPointer) {
        hashes.append(BloomFilter.hash(key))
    }

    /// The encoded filter: `max(64, keys · bitsPerKey)` bits rounded up to whole bytes, then the probe count.
    func finish() -> [UInt8] {
        let byteCount = (max(BloomFilter.minimumBitCount, hashes.count * bitsPerKey) + 7) / 8
        let m = UInt64(byteCount * 8)
        let k = BloomFilter.probeCount(bitsPerKey: bitsPerKey)
        var contents = [UInt8](repeating: 0, count: byteCount + 1)
        contents[byteCount] = UInt8(k)
        contents.withUnsafeMutableBytes { bits in
            for h in hashes {
                var position = (h & 0xFFFF_FFFF) % m
                let step = ((h >> 32) | 1) % m
                for _ in 0..<k {
                    let bit = Int(position)
                    bits[bit >> 3] |= 1 << UInt8(bit & 7)
                    position += step
                    if position >= m { position -= m }
                }
            }
        }
        return contents
    }
}
