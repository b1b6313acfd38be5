import Testing
@testable import LSM
import CLSMSupport

@Suite struct CodingTests {
    @Test func commonPrefixLengthFindsTheFirstDifferenceAtEveryPosition() {
        let base = (0..<40).map { UInt8($0 + 1) }
        for length in 0...40 {
            let a = Array(base[..<length])
            for position in 0...length {
                var b = a
                if position < length { b[position] ^= 0x80 }
                let found = a.withUnsafeBytes { x in b.withUnsafeBytes { y in commonPrefixLength(x, y) } }
                #expect(found == position, "length \(length), difference at \(position)")
            }
            let longer = a + [9, 9]
            #expect(a.withUnsafeBytes { x in longer.withUnsafeBytes { y in commonPrefixLength(x, y) } } == length)
        }
    }

    @Test func copyForwardCopiesEveryLengthAtEveryAlignment() {
        let source = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for offset in 0..<9 {
            for count in 0...(source.count - offset) {
                var target = [UInt8](repeating: 0xEE, count: source.count + 2)
                target.withUnsafeMutableBytes { to in
                    source.withUnsafeBytes { from in
                        lsm_copy_forward(to.baseAddress! + 1, from.baseAddress! + offset, count)
                    }
                }
                let expected = [0xEE] + source[offset..<(offset + count)]
                    + [UInt8](repeating: 0xEE, count: source.count + 1 - count)
                #expect(target == expected, "offset \(offset), \(count) bytes")
            }
        }
    }

    @Test func replaceBytesKeepsThePrefixAndTakesTheRest() {
        for (start, next, prefix) in [([1, 2, 3, 4], [1, 2, 7, 8], 2), ([1, 2, 3], [1, 2, 3, 4, 5], 3),
                                      ([1, 2, 3, 4, 5], [1, 9], 1), ([], [5, 6], 0), ([1, 2], [1, 2], 2)]
            as [([UInt8], [UInt8], Int)] {
            var bytes = start
            next.withUnsafeBytes { bytes.replaceBytes(with: $0, keepingPrefix: prefix) }
            #expect(bytes == next)
        }
    }

    @Test func varintRoundTripsAcrossBoundaries() {
        let values: [UInt64] = [0, 1, 127, 128, 255, 16383, 16384, 1 << 21, (1 << 28) - 1, UInt64(UInt32.max),
                                1 << 35, 1 << 56, UInt64.max - 1, UInt64.max]
        var bytes: [UInt8] = []
        for v in values { bytes.appendVarint64(v) }
        bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            for v in values {
                #expect(reader.readVarint64() == v)
            }
            #expect(reader.isAtEnd)
        }
        for v in values {
            var one: [UInt8] = []
            one.appendVarint64(v)
            #expect(one.count == varintLength(v))
        }
    }

    @Test func truncatedAndOverlongVarintsAreRejected() {
        var bytes: [UInt8] = []
        bytes.appendVarint64(UInt64.max)
        for cut in 0..<bytes.count {
            Array(bytes[0..<cut]).withUnsafeBytes { raw in
                var reader = ByteReader(raw)
                #expect(reader.readVarint64() == nil)
            }
        }
        let overlong = [UInt8](repeating: 0xFF, count: 11)
        overlong.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            #expect(reader.readVarint64() == nil)
        }
    }

    @Test func fixedWidthIsLittleEndian() {
        var bytes: [UInt8] = []
        bytes.appendFixed32(0x0403_0201)
        bytes.appendFixed64(0x0807_0605_0403_0201)
        #expect(bytes == [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func crc32cMatchesKnownVectors() {
        // Vectors from RFC 3720 (iSCSI), section B.4.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func hardwareAndPortableCRCAgreeAndExtend() {
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let portable = data.withUnsafeBytes { lsm_crc32c_extend_portable(0, $0.baseAddress, $0.count) }
            #expect(CRC32C.checksum(data) == portable)
            let split = length / 3
            let extended = CRC32C.checksum(Array(data[split...]), extending: CRC32C.checksum(Array(data[..<split])))
            #expect(extended == portable)
        }
    }

    /// The hardware path runs long inputs as three interleaved lanes joined by shift tables, in rounds of 3 KiB and
    /// then of 384 bytes: every length up to two long rounds plus every short-round remainder, and every alignment,
    /// must give the byte-table result.
    @Test func interleavedHardwareCRCMatchesTheTableAtEveryLengthAndAlignment() {
        var random = SplitMix64(seed: 32)
        let data = (0..<7200).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        data.withUnsafeBytes { bytes in
            var mismatches: [Int] = []
            for length in 0...7000 {
                let prefix = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
                let expected = lsm_crc32c_extend_portable(0x1234_5678, prefix.baseAddress, length)
                if lsm_crc32c_extend(0x1234_5678, prefix.baseAddress, length) != expected { mismatches.append(length) }
            }
            #expect(mismatches.isEmpty, "lengths: \(mismatches.prefix(20))")
            for offset in 1..<8 {
                for length in [383, 384, 385, 3071, 3072, 3073, 4097, 6200] {
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
                    #expect(
                        lsm_crc32c_extend(0, slice.baseAddress, length)
                            == lsm_crc32c_extend_portable(0, slice.baseAddress, length),
                        "offset \(offset), length \(length)")
                }
            }
        }
    }

    @Test func maskRoundTrips() {
        for crc: UInt32 in [0, 1, 0xDEAD_BEEF, UInt32.max] {
            #expect(CRC32C.unmask(CRC32C.mask(crc)) == crc)
            #expect(CRC32C.mask(crc) != crc)
        }
    }

    @Test func internalKeysSortByUserKeyThenNewestFirst() {
        let a5 = makeInternalKey(Array("a".utf8), 5, .value)
        let a9 = makeInternalKey(Array("a".utf8), 9, .deletion)
        let b1 = makeInternalKey(Array("b".utf8), 1, .value)
        let empty = makeInternalKey([UInt8](), 100, .value)
        #expect(compareInternalKeys(a9, a5) < 0)
        #expect(compareInternalKeys(a5, b1) < 0)
        #expect(compareInternalKeys(empty, a9) < 0)
        #expect(compareInternalKeys(a5, a5) == 0)
        a9.withUnsafeBytes { raw in
            let parsed = ParsedInternalKey(raw)
            #expect(parsed?.sequence == 9)
            #expect(parsed?.kind == .deletion)
            #expect(parsed.map { Array($0.userKey) } == Array("a".utf8))
        }
        [UInt8]([1, 2, 3]).withUnsafeBytes { #expect(ParsedInternalKey($0) == nil) }
    }
}
