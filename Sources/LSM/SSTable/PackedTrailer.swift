/// The varint that stands for an internal key's 8-byte trailer in a data block of table format version 4:
/// `(sequence << 2) | kind`, so sequences below 2^26 take four bytes instead of eight.
///
/// The bytes: docs/FORMAT.md, "Data blocks".
enum PackedTrailer {
    /// The packed form of `trailer`, `(sequence << 8) | kind`, whose kind must be below 4.
    @inline(__always)
    static func pack(_ trailer: UInt64) -> UInt64 {
        assert(trailer & 0xFF < 4, "an entry's kind fits two bits")
        return (trailer >> 8) << 2 | (trailer & 3)
    }

    /// The trailer `packed` stands for, or nil when its sequence exceeds 56 bits.
    @inline(__always)
    static func unpack(_ packed: UInt64) -> UInt64? {
        guard packed >> 2 <= maxSequenceNumber else { return nil }
        return (packed >> 2) << 8 | (packed & 3)
    }
}
