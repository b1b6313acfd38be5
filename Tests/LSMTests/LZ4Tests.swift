import Testing
@testable import LSM

/// Inputs of the kinds compression meets: empty and tiny, text, random, long runs, overlapping repeats, and one larger
/// than the 64 KiB window.
func lz4SampleInputs() -> [(name: String, bytes: [UInt8])] {
    var random = SplitMix64(seed: 0x4C5A34)
    func noise(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
    let words = ["table", "block", "key", "value", "level", "merge", "the", "a", "compaction", "sorted"]
    var text: [UInt8] = []
    while text.count < 20_000 { text += Array((words.randomElement(using: &random)! + " ").utf8) }
    var runs: [UInt8] = []
    for (index, length) in [1, 4, 15, 19, 20, 270, 271, 4096, 70_000].enumerated() {
        runs += noise(3) + [UInt8](repeating: UInt8(index), count: length)
    }
    var overlapping: [UInt8] = []
    for pattern in [[0x61], [0x62, 0x63], [0x64, 0x65, 0x66], [0x67, 0x68, 0x69, 0x6A]] as [[UInt8]] {
        overlapping += noise(2) + (0..<300).map { pattern[$0 % pattern.count] }
    }
    let stretch = noise(10_000)
    let far = stretch + Array(text.prefix(50_000)) + noise(5_000) + stretch + noise(20)
    return [
        ("empty", []), ("one byte", [7]), ("twelve bytes", Array("abcabcabcabc".utf8)),
        ("thirteen bytes", [UInt8](repeating: 0x7A, count: 13)), ("text", text), ("random", noise(5_000)),
        ("runs", runs), ("overlapping", overlapping), ("far", far),
        ("text then noise", Array(text.prefix(3_000)) + noise(3_000)),
    ]
}

/// The positions where each match of a compressed block starts and ends in the output, read sequence by sequence
/// (the test's own walk of the format, independent of the decoder).
private func matchSpans(_ compressed: [UInt8]) -> [Range<Int>] {
    var spans: [Range<Int>] = []
    var input = 0
    var output = 0
    func length(_ start: Int) -> Int {
        var total = start
        guard start == 15 else { return total }
        while true {
            let byte = Int(compressed[input])
            input += 1
            total += byte
            if byte != 255 { return total }
        }
    }
    while input < compressed.count {
        let token = Int(compressed[input])
        input += 1
        let literals = length(token >> 4)
        input += literals
        output += literals
        if input == compressed.count { break }
        input += 2
        let match = length(token & 15) + 4
        spans.append(output..<(output + match))
        output += match
    }
    return spans
}

@Suite struct LZ4Tests {
    @Test func everySampleRoundTrips() throws {
        for (name, input) in lz4SampleInputs() {
            let compressed = LZ4.compress(input)
            #expect(compressed.count <= LZ4.compressedBound(input.count), "\(name)")
            let roundTrips = try LZ4.decompress(compressed, size: input.count) == input
            #expect(roundTrips, "\(name)")
        }
    }

    @Test func repetitionShrinksAndNoiseGrowsOnlyByTheBound() throws {
        let samples = Dictionary(uniqueKeysWithValues: lz4SampleInputs().map { ($0.name, $0.bytes) })
        let text = try #require(samples["text"])
        #expect(LZ4.compress(text).count < text.count / 2)
        let runs = try #require(samples["runs"])
        #expect(LZ4.compress(runs).count < runs.count / 50)
        let far = try #require(samples["far"])
        // The second copy of the random stretch, 65,000 bytes back, costs a few bytes of matches.
        #expect(LZ4.compress(far).count < LZ4.compress(Array(far.prefix(far.count - 10_020))).count + 100)
        let noise = try #require(samples["random"])
        #expect(LZ4.compress(noise).count > noise.count)
        // Too short to hold a match: one sequence of literals.
        #expect(LZ4.compress(Array("abcabcabcabc".utf8)) == [0xC0] + Array("abcabcabcabc".utf8))
        #expect(LZ4.compress([]) == [0x00])
    }

    @Test func theCompressorKeepsTheEndOfBlockRules() {
        for (name, input) in lz4SampleInputs() {
            for span in matchSpans(LZ4.compress(input)) {
                #expect(span.lowerBound <= input.count - 12, "\(name): a match starts within 12 bytes of the end")
                #expect(span.upperBound <= input.count - 5, "\(name): a match covers the last 5 bytes")
            }
        }
    }

    @Test func aReusedCompressorMatchesAFreshOne() {
        var reused = LZ4Compressor()
        let inputs = lz4SampleInputs().map(\.bytes)
        for input in inputs + inputs.reversed() {
            var output = [UInt8](repeating: 0, count: LZ4.compressedBound(input.count))
            let count = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { reused.compress(source, into: $0) }
            }
            // Entries the table kept from earlier inputs are never taken for matches in this one.
            let same = Array(output.prefix(count)) == LZ4.compress(input)
            #expect(same, "\(input.count) bytes")
        }
    }

    @Test func handMadeBlocksDecode() throws {
        #expect(try LZ4.decompress([0x00], size: 0) == [])
        #expect(try LZ4.decompress([0x10, 0x41], size: 1) == [0x41])
        // "a", then a match one back of 5 bytes (offset 1 overlaps what it makes), then the literals "bbbbb".
        let block: [UInt8] = [0x11, 0x61, 0x01, 0x00, 0x50, 0x62, 0x62, 0x62, 0x62, 0x62]
        #expect(try LZ4.decompress(block, size: 11) == Array("aaaaaabbbbb".utf8))
        // A literal length of 15 + 255 + 3 = 273 takes two extension bytes.
        let literals = [UInt8](repeating: 0x71, count: 273)
        #expect(try LZ4.decompress([0xF0, 0xFF, 0x03] + literals, size: 273) == literals)
        // A match length of 4 + 15 + 1 = 20, two back: "xy" repeated.
        let pattern: [UInt8] = [0x2F, 0x78, 0x79, 0x02, 0x00, 0x01, 0x00]
        #expect(try LZ4.decompress(pattern, size: 22) == (0..<22).map { $0 % 2 == 0 ? 0x78 : 0x79 })
    }

    @Test func malformedBlocksThrowTypedErrors() {
        let cases: [(block: [UInt8], size: Int, error: LZ4Error)] = [
            ([], 0, .truncated(inputOffset: 0)),
            ([0x30, 0x61], 3, .truncated(inputOffset: 1)),
            ([0xF0], 20, .truncated(inputOffset: 1)),
            ([0xF0, 0xFF, 0xFF, 0xFF], 2_000, .truncated(inputOffset: 1)),
            ([0x20, 0x61, 0x62], 1, .outputOverrun(inputOffset: 1)),
            ([0x10, 0x61, 0x01], 5, .truncated(inputOffset: 3)),
            ([0x10, 0x61, 0x00, 0x00, 0x00], 5, .zeroOffset(inputOffset: 2)),
            ([0x10, 0x61, 0x02, 0x00, 0x00], 5, .offsetBeforeStart(inputOffset: 2, offset: 2, produced: 1)),
            ([0x11, 0x61, 0x01, 0x00, 0x00], 5, .outputOverrun(inputOffset: 4)),
            ([0x1F, 0x61, 0x01, 0x00, 0xFF, 0xFF, 0x00], 100, .outputOverrun(inputOffset: 4)),
            ([0x10, 0x61, 0x01, 0x00, 0x00], 9, .outputShort(produced: 5, expected: 9)),
            ([0x10, 0x61], 2, .outputShort(produced: 1, expected: 2)),
        ]
        for (block, size, expected) in cases {
            #expect(throws: expected, "\(block) into \(size) bytes") { try LZ4.decompress(block, size: size) }
        }
    }

    @Test func everyTruncationAndWrongSizeIsRejected() throws {
        let input = try #require(lz4SampleInputs().first { $0.name == "text then noise" }).bytes
        let compressed = LZ4.compress(input)
        for length in 0..<compressed.count {
            #expect(throws: LZ4Error.self, "prefix of \(length) bytes") {
                try LZ4.decompress(Array(compressed.prefix(length)), size: input.count)
            }
        }
        for size in [0, input.count - 1, input.count + 1] {
            #expect(throws: LZ4Error.self, "size \(size)") { try LZ4.decompress(compressed, size: size) }
        }
    }

    @Test func damagedBlocksFailOrDecodeButNeverReadOutside() throws {
        let input = Array(try #require(lz4SampleInputs().first { $0.name == "overlapping" }).bytes)
        let compressed = LZ4.compress(input)
        var failures = 0
        for position in compressed.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = compressed
                damaged[position] ^= flip
                do {
                    #expect(try LZ4.decompress(damaged, size: input.count).count == input.count)
                } catch {
                    failures += 1
                }
            }
        }
        // Flipped literals decode to other bytes; flipped tokens, lengths and offsets mostly do not decode.
        #expect(failures > compressed.count / 2)
    }
}
