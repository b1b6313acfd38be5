/// The LZ4 block format: a compressor and a bounds-checked decompressor, written from the format's description.
///
/// A block is a series of sequences, each literal bytes copied as they are and then a match: a copy of bytes already
/// produced, up to 65,535 bytes back. The format carries neither the compressed nor the uncompressed size; callers
/// store those themselves (a table stores the uncompressed size before the block). Blocks written here are readable
/// by any LZ4 implementation and blocks written by any of them are read here.
///
/// The bytes: docs/FORMAT.md, "LZ4 block format".
enum LZ4 {
    /// The shortest match a sequence can describe.
    static let minimumMatch = 4
    /// The last bytes of a block are always literals; a match ends at least this many bytes before the end.
    static let lastLiterals = 5
    /// A match starts at least this many bytes before the end of the block, so shorter inputs are stored as literals.
    static let lastMatchDistance = 12
    /// The farthest back a match can reach.
    static let maxOffset = 65_535
    /// The most bytes one compressed byte can produce (a match-length byte of 255), so a block decompresses to at
    /// most this many times its compressed size.
    static let maxExpansion = 255
    /// The largest input ``LZ4Compressor/compress(_:into:)`` accepts, so positions fit the hash table's 32 bits.
    static let maxInputSize = 1 << 30

    /// The most bytes compressing `count` bytes can produce: all literals, plus a length byte per 255 of them and a
    /// token.
    static func compressedBound(_ count: Int) -> Int {
        count + count / 255 + 16
    }

    /// Decompresses the whole block `input` into `output`, which must be exactly the size the block decompresses to.
    ///
    /// Every read and write is checked against the two buffers, so any input is safe: a block that is truncated,
    /// reaches back before the start of the output, would write past its end or fills less than all of it throws
    /// ``LZ4Error``. The end-of-block rules the compressor obeys (docs/FORMAT.md) are not required.
    static func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(LZ4Error) {
        var decoder = LZ4Decoder(input: input, output: output)
        try decoder.run()
    }
}

/// Why an LZ4 block does not decompress. Offsets are positions in the compressed input.
enum LZ4Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input ends inside a sequence: in a length, the literals or the match offset (or is empty).
    case truncated(inputOffset: Int)
    /// A match offset of 0, which the format forbids.
    case zeroOffset(inputOffset: Int)
    /// A match reaches back before the first byte of the output.
    case offsetBeforeStart(inputOffset: Int, offset: Int, produced: Int)
    /// A sequence would write past the end of the output.
    case outputOverrun(inputOffset: Int)
    /// The input ended after producing fewer bytes than the output holds.
    case outputShort(produced: Int, expected: Int)

    var description: String {
        switch self {
        case .truncated(let at): "LZ4 input ends inside a sequence (at compressed byte \(at))"
        case .zeroOffset(let at): "LZ4 match offset 0 (at compressed byte \(at))"
        case .offsetBeforeStart(let at, let offset, let produced):
            "LZ4 match offset \(offset) reaches before the start of the output (\(produced) bytes produced, at "
                + "compressed byte \(at))"
        case .outputOverrun(let at): "LZ4 sequence writes past the declared size (at compressed byte \(at))"
        case .outputShort(let produced, let expected):
            "LZ4 block decompresses to \(produced) bytes, not the declared \(expected)"
        }
    }
}

/// A single-pass LZ4 compressor: a hash table of the positions where each 4-byte sequence was last seen finds
/// matches, the search steps further ahead the longer it finds none, and matches are extended both ways.
///
/// The table is kept between inputs and never cleared: positions are stored relative to a base that moves past each
/// input, so entries older than the current input are recognised and ignored. Compressing allocates nothing.
struct LZ4Compressor {
    /// Bits of the hash: 4,096 entries (16 KiB), plenty for blocks of a few KiB.
    private static let hashBits = 12
    private static let hashShift = UInt32(32 - hashBits)
    /// After this many failed probes in a row, the search steps two bytes at a time, then three, and so on.
    fileprivate static let skipTrigger = 6

    private var table: [UInt32]
    /// Added to positions of the current input; entries below it belong to earlier inputs.
    private var base: UInt32 = 1

    init() {
        table = [UInt32](repeating: 0, count: 1 << Self.hashBits)
    }

    /// Compresses `input` (at most ``LZ4/maxInputSize`` bytes) into the start of `output`, which must hold at least
    /// ``LZ4/compressedBound(_:)`` bytes, and returns the compressed size. The encoding: docs/FORMAT.md, "LZ4 block
    /// format".
    mutating func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        precondition(input.count <= LZ4.maxInputSize, "LZ4 input of \(input.count) bytes is too large")
        precondition(output.count >= LZ4.compressedBound(input.count), "LZ4 output buffer is too small")
        if UInt32.max - base <= UInt32(input.count) {
            for index in table.indices { table[index] = 0 }
            base = 1
        }
        let start = base
        base += UInt32(input.count) + 1
        var encoder = LZ4Encoder(input: input, output: output)
        table.withUnsafeMutableBufferPointer { encoder.run(table: $0, base: start) }
        return encoder.written
    }

    /// The table slot of a 4-byte sequence (Knuth's multiplicative hash).
    @inline(__always)
    fileprivate static func slot(_ sequence: UInt32) -> Int {
        Int((sequence &* 2_654_435_761) >> hashShift)
    }
}

/// One compression: reads `input`, writes sequences to `output`. Positions are checked against the buffers before
/// each unchecked load or store (the compressor's preconditions size `output` for the worst case).
private struct LZ4Encoder {
    let input: UnsafeRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    private(set) var written = 0

    init(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) {
        self.input = input
        self.output = output
    }

    /// Positions are below ``LZ4/maxInputSize`` (2^30), so they convert to `UInt32` and add to `base` without
    /// checks (the compressor moves `base` back to 1 before it could pass `UInt32.max`).
    mutating func run(table: UnsafeMutableBufferPointer<UInt32>, base: UInt32) {
        let count = input.count
        // A match must start LZ4.lastMatchDistance bytes before the end, after at least one literal.
        guard count > LZ4.lastMatchDistance else { return emitLastLiterals(from: 0) }
        let matchStartLimit = count - LZ4.lastMatchDistance
        let matchEndLimit = count - LZ4.lastLiterals
        var anchor = 0
        var position = 0
        while true {
            // Search for a 4-byte sequence seen before, within reach.
            var attempts = 1 << LZ4Compressor.skipTrigger
            var candidate = 0
            while true {
                guard position < matchStartLimit else { return emitLastLiterals(from: anchor) }
                let sequence = load32(position)
                let slot = LZ4Compressor.slot(sequence)
                let stored = table[slot]
                table[slot] = base &+ UInt32(truncatingIfNeeded: position)
                if stored >= base {
                    candidate = Int(stored - base)
                    if position - candidate <= LZ4.maxOffset && load32(candidate) == sequence { break }
                }
                position &+= attempts &>> LZ4Compressor.skipTrigger
                attempts &+= 1
            }
            // Extend the match backwards over literals not yet emitted, then forwards.
            while position > anchor && candidate > 0 && input[position - 1] == input[candidate - 1] {
                position -= 1
                candidate -= 1
            }
            let end = matchEnd(from: position + LZ4.minimumMatch, candidate: candidate + LZ4.minimumMatch,
                               limit: matchEndLimit)
            emitSequence(literalsFrom: anchor, matchAt: position, offset: position - candidate, end: end)
            position = end
            anchor = end
            // The position just before the match's end starts a sequence the next matches may reuse.
            table[LZ4Compressor.slot(load32(end - 2))] = base &+ UInt32(truncatingIfNeeded: end - 2)
        }
    }

    /// Where the match that agrees up to `position` (with `candidate` behind it) stops agreeing, no further than
    /// `limit`.
    private func matchEnd(from position: Int, candidate: Int, limit: Int) -> Int {
        var position = position
        var candidate = candidate
        while position + 8 <= limit {
            let difference = load64(position) ^ load64(candidate)
            if difference != 0 { return position + difference.trailingZeroBitCount / 8 }
            position += 8
            candidate += 8
        }
        while position < limit && input[position] == input[candidate] {
            position += 1
            candidate += 1
        }
        return position
    }

    /// Writes the sequence of the literals from `anchor` up to `start` and the match of `end - start` bytes at
    /// `start` reaching `offset` back.
    private mutating func emitSequence(literalsFrom anchor: Int, matchAt start: Int, offset: Int, end: Int) {
        let tokenAt = written
        written += 1
        let literals = start - anchor
        var token = UInt8(min(literals, 15)) << 4
        if literals >= 15 { emitLength(literals - 15) }
        copyLiterals(anchor..<start)
        output[written] = UInt8(truncatingIfNeeded: offset)
        output[written + 1] = UInt8(truncatingIfNeeded: offset >> 8)
        written += 2
        let matchLength = end - start - LZ4.minimumMatch
        token |= UInt8(min(matchLength, 15))
        if matchLength >= 15 { emitLength(matchLength - 15) }
        output[tokenAt] = token
    }

    /// Writes the final sequence: the literals from `anchor` to the end, with no match.
    private mutating func emitLastLiterals(from anchor: Int) {
        let literals = input.count - anchor
        output[written] = UInt8(min(literals, 15)) << 4
        written += 1
        if literals >= 15 { emitLength(literals - 15) }
        copyLiterals(anchor..<input.count)
    }

    /// The extension bytes of a length of 15 or more: 255 while at least 255 remain, then the rest.
    private mutating func emitLength(_ remaining: Int) {
        var remaining = remaining
        while remaining >= 255 {
            output[written] = 255
            written += 1
            remaining -= 255
        }
        output[written] = UInt8(remaining)
        written += 1
    }

    private mutating func copyLiterals(_ range: Range<Int>) {
        guard !range.isEmpty, let source = input.baseAddress, let target = output.baseAddress else { return }
        (target + written).copyMemory(from: source + range.lowerBound, byteCount: range.count)
        written += range.count
    }

    @inline(__always)
    private func load32(_ position: Int) -> UInt32 {
        UInt32(littleEndian: input.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    @inline(__always)
    private func load64(_ position: Int) -> UInt64 {
        UInt64(littleEndian: input.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }
}

/// One decompression. Every length read from the input is checked against what remains of the input or the output
/// before any byte is copied, so the copies themselves stay inside both buffers.
private struct LZ4Decoder {
    let input: UnsafeRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    /// The next byte of input to read and of output to write.
    private var inputPosition = 0
    private var outputPosition = 0

    init(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) {
        self.input = input
        self.output = output
    }

    mutating func run() throws(LZ4Error) {
        while true {
            let token = try readByte()
            var literals = Int(token >> 4)
            if literals == 15 {
                literals = try readLength(literals, atMost: input.count - inputPosition,
                                          else: .truncated(inputOffset: inputPosition))
            }
            guard literals <= input.count - inputPosition else { throw .truncated(inputOffset: inputPosition) }
            guard literals <= output.count - outputPosition else { throw .outputOverrun(inputOffset: inputPosition) }
            copyLiterals(literals)
            // The last sequence ends with its literals, where the input ends.
            if inputPosition == input.count { break }
            let offsetAt = inputPosition
            let offset = Int(try readByte()) | Int(try readByte()) << 8
            guard offset != 0 else { throw .zeroOffset(inputOffset: offsetAt) }
            guard offset <= outputPosition else {
                throw .offsetBeforeStart(inputOffset: offsetAt, offset: offset, produced: outputPosition)
            }
            var length = Int(token & 15) + LZ4.minimumMatch
            let room = output.count - outputPosition
            if length == 15 + LZ4.minimumMatch {
                length = try readLength(length, atMost: room, else: .outputOverrun(inputOffset: inputPosition))
            }
            guard length <= room else { throw .outputOverrun(inputOffset: inputPosition) }
            copyMatch(length: length, offset: offset)
        }
        guard outputPosition == output.count else {
            throw .outputShort(produced: outputPosition, expected: output.count)
        }
    }

    private mutating func readByte() throws(LZ4Error) -> UInt8 {
        guard inputPosition < input.count else { throw .truncated(inputOffset: inputPosition) }
        defer { inputPosition += 1 }
        return input[inputPosition]
    }

    /// Adds the extension bytes that follow a length field of 15 to `length`, throwing `failure` as soon as the sum
    /// passes `limit` (what remains to read or to write), so it never overflows.
    private mutating func readLength(_ length: Int, atMost limit: Int, else failure: LZ4Error) throws(LZ4Error) -> Int {
        var length = length
        while true {
            let byte = try readByte()
            length += Int(byte)
            guard length <= limit else { throw failure }
            if byte != 255 { return length }
        }
    }

    /// Copies `count` literals, which the caller checked fit both buffers.
    private mutating func copyLiterals(_ count: Int) {
        guard count > 0, let source = input.baseAddress, let target = output.baseAddress else { return }
        (target + outputPosition).copyMemory(from: source + inputPosition, byteCount: count)
        inputPosition += count
        outputPosition += count
    }

    /// Copies the match of `length` bytes `offset` back, both checked by the caller. When it overlaps the bytes it
    /// produces (offset below length), it copies the `offset`-byte pattern in pieces that never overlap, each as
    /// long as everything produced since the match's start.
    private mutating func copyMatch(length: Int, offset: Int) {
        guard let base = output.baseAddress else { return }
        let source = base + (outputPosition - offset)
        var copied = 0
        while copied < length {
            let piece = min(offset + copied, length - copied)
            (base + outputPosition + copied).copyMemory(from: source, byteCount: piece)
            copied += piece
        }
        outputPosition += length
    }
}
