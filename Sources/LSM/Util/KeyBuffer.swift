/// One key's bytes in memory the holder owns and reuses from entry to entry, so that stepping an iterator allocates
/// only until the buffer has held the longest key, and a buffer never used allocates nothing. Not copyable: it owns
/// its memory and frees it when it goes.
struct KeyBuffer: ~Copyable {
    /// ``noStorage`` until the first key arrives.
    private var storage: UnsafeMutableRawPointer
    private var capacity = 0
    /// The length of the key held.
    private(set) var count = 0

    /// What an empty buffer points at: nothing is ever written to it, since every key grows the buffer first.
    private nonisolated(unsafe) static let noStorage = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 8)

    init() {
        storage = Self.noStorage
    }

    deinit {
        if capacity > 0 { storage.deallocate() }
    }

    /// The key held; valid until the buffer next changes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// Keeps the first `prefixCount` bytes of the key held (at most ``count``) and puts the `suffixCount` bytes at
    /// `suffix` after them: how a prefix-compressed entry's key is rebuilt from the one before it.
    @inline(__always)
    mutating func replaceSuffix(after prefixCount: Int, with suffix: UnsafeRawPointer, count suffixCount: Int) {
        let length = prefixCount + suffixCount
        if length > capacity { grow(to: length, keeping: prefixCount) }
        (storage + prefixCount).copyMemory(from: suffix, byteCount: suffixCount)
        count = length
    }

    /// ``replaceSuffix(after:with:count:)``, then `trailer` (little-endian) after the suffix: how an entry of a
    /// block with packed trailers is rebuilt into an internal key.
    @inline(__always)
    mutating func replaceSuffix(after prefixCount: Int, with suffix: UnsafeRawPointer, count suffixCount: Int,
                                trailer: UInt64) {
        let userKeyLength = prefixCount + suffixCount
        let length = userKeyLength + internalKeyTrailerSize
        if length > capacity { grow(to: length, keeping: prefixCount) }
        (storage + prefixCount).copyMemory(from: suffix, byteCount: suffixCount)
        (storage + userKeyLength).storeBytes(of: trailer.littleEndian, as: UInt64.self)
        count = length
    }

    /// Replaces the key held with `key`.
    @inline(__always)
    mutating func assign(_ key: UnsafeRawBufferPointer) {
        guard let base = key.baseAddress else { return removeAll() }
        replaceSuffix(after: 0, with: base, count: key.count)
    }

    mutating func removeAll() {
        count = 0
    }

    /// Moves to a buffer of at least `needed` bytes, keeping the first `kept` bytes of the key.
    private mutating func grow(to needed: Int, keeping kept: Int) {
        let larger = max(needed, capacity * 2, 32)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: larger, alignment: 8)
        fresh.copyMemory(from: storage, byteCount: kept)
        if capacity > 0 { storage.deallocate() }
        storage = fresh
        capacity = larger
    }
}
