import CLSMSupport

/// CRC32C (Castagnoli), the checksum on every WAL record, SSTable block and footer.
enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    @inline(__always)
    static func checksum(_ bytes: UnsafeRawBufferPointer, extending crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return lsm_crc32c_extend(crc, base, bytes.count)
    }

    static func checksum(_ bytes: [UInt8], extending crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, extending: crc) }
    }

    private static let maskDelta: UInt32 = 0xA282_EAD8

    /// Stored checksums are masked so that a CRC computed over bytes that themselves contain CRCs stays strong.
    @inline(__always)
    static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ maskDelta
    }

    @inline(__always)
    static func unmask(_ masked: UInt32) -> UInt32 {
        let rotated = masked &- maskDelta
        return (rotated >> 17) | (rotated << 15)
    }
}
