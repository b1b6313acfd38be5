/// How a data block of table format version 4 stores an internal key's 8-byte trailer `(sequence << 8) | kind`:
/// a head byte, then `n` bytes. The head holds the kind (bits 0–1), `n` (bits 2–4) and the sequence's low three bits
/// (bits 5–7); the `n` bytes hold the rest of the sequence (`sequence >> 3`), little-endian. A sequence below 2^27
/// takes at most four bytes instead of eight, and the decoder needs no loop: one load and a mask.
///
/// The bytes: docs/FORMAT.md, "Data blocks".
enum PackedTrailer {
    /// The most bytes a packed trailer takes: the head and seven bytes of a 56-bit sequence shifted right by 3.
    static let maxSize = 8

    /// Stores the packed form of `trailer` (whose kind must be below 4) at `offset` of `buffer`, which must have
    /// ``maxSize`` bytes there; returns the offset just past it.
    @inline(__always)
    static func store(_ trailer: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        assert(trailer & 0xFF < 4, "an entry's kind fits two bits")
        let sequence = trailer >> 8
        let rest = sequence >> 3
        let count = (64 - rest.leadingZeroBitCount + 7) / 8
        buffer[offset] = UInt8(trailer & 3) | UInt8(count << 2) | UInt8(sequence & 7) << 5
        for index in 0..<count { buffer[offset + 1 + index] = UInt8(truncatingIfNeeded: rest >> (8 * index)) }
        return offset + 1 + count
    }

    /// The trailer packed at `offset` and the offset just past it, or nil when it does not end by `end` or its
    /// sequence exceeds 56 bits. Eight bytes from `offset + 1` must be readable when `offset < end` (in a block, the
    /// restart array of at least eight bytes follows the entries).
    @inline(__always)
    static func load(from data: UnsafeRawPointer, at offset: Int, end: Int) -> (trailer: UInt64, end: Int)? {
        guard offset < end else { return nil }
        let head = data.load(fromByteOffset: offset, as: UInt8.self)
        let count = Int(head >> 2) & 7
        guard count < end - offset else { return nil }
        let word = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: offset + 1, as: UInt64.self))
        let sequence = (word & ((1 &<< UInt64(count &* 8)) &- 1)) &<< 3 | UInt64(head >> 5)
        guard sequence <= maxSequenceNumber else { return nil }
        return (sequence << 8 | UInt64(head & 3), offset + 1 + count)
    }
}
