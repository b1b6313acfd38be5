import Testing
@testable import LSM

@Suite struct KeyBufferTests {
    @Test func rebuildsPrefixCompressedKeysAcrossGrowth() {
        var buffer = KeyBuffer()
        #expect(buffer.count == 0)
        var expected: [UInt8] = []
        // Each key keeps part of the one before and adds a longer suffix, so the buffer grows past its first 64
        // bytes while a kept prefix must survive the move.
        for round in 0..<12 {
            let kept = expected.count / 2
            let suffix = [UInt8](repeating: UInt8(ascii: "a") + UInt8(round), count: 10 * round + 3)
            suffix.withUnsafeBytes { buffer.replaceSuffix(after: kept, with: $0.baseAddress!, count: $0.count) }
            expected = Array(expected.prefix(kept)) + suffix
            #expect(Array(buffer.bytes) == expected, "round \(round)")
        }
        let whole: [UInt8] = Array("a whole key".utf8)
        whole.withUnsafeBytes { buffer.assign($0) }
        #expect(Array(buffer.bytes) == whole)
        [UInt8]().withUnsafeBytes { buffer.assign($0) }
        #expect(buffer.count == 0)
        whole.withUnsafeBytes { buffer.assign($0) }
        buffer.removeAll()
        #expect(buffer.bytes.isEmpty)
    }
}
