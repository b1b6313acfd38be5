/// How a block's keys are ordered, which decides how ``BlockIterator/seek(_:)`` compares.
enum BlockKeyOrder: Sendable {
    /// Internal-key order (data and index blocks); every key must be at least an internal-key trailer long.
    case internalKey
    /// Plain bytewise order (the properties block).
    case bytewise
}

/// Iterates over the entries of one ``Block``.
///
/// `seek` binary-searches the restart points (whose keys are stored whole) and then decodes forward; `prev`
/// restarts from the preceding restart point, since prefix-compressed entries decode only forwards. The current
/// key is rebuilt in one buffer the iterator owns and reuses, and the value points into the block, so moving
/// allocates nothing. A malformed entry throws `.corruption` (no path; the offset is within the block) and leaves
/// the iterator invalid: bytes on disk can never make it read out of bounds.
///
/// The bytes: docs/FORMAT.md, "Block contents".
final class BlockIterator: InternalIterator {
    private let block: Block
    private let data: UnsafeRawPointer
    private let entriesEnd: Int
    private let restartCount: Int
    private let order: BlockKeyOrder

    // Unchecked: only this object's own methods touch it, one at a time (it is not thread-safe), and a checked
    // access to it costs more than the key copy it guards.
    @exclusivity(unchecked) private var currentKey = KeyBuffer()
    private var valueOffset = 0
    private var valueLength = 0
    /// Offset of the current entry.
    private var current = 0
    /// Offset just past the current entry: where the next one starts.
    private var nextEntry = 0
    /// The restart point at or before the current entry.
    private var restartIndex = 0

    private(set) var isValid = false

    init(block: Block, order: BlockKeyOrder) {
        self.block = block
        self.data = block.baseAddress
        self.entriesEnd = block.entriesEnd
        self.restartCount = block.restartCount
        self.order = order
    }

    var key: UnsafeRawBufferPointer { currentKey.bytes }

    var value: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data + valueOffset, count: valueLength) }

    func seekToFirst() throws(LSMError) {
        guard restartCount > 0 else { return invalidate() }
        seekToRestart(0)
        try advance()
    }

    func seekToLast() throws(LSMError) {
        guard restartCount > 0 else { return invalidate() }
        seekToRestart(restartCount - 1)
        repeat {
            try advance()
        } while isValid && nextEntry < entriesEnd
    }

    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) {
        guard restartCount > 0 else { return invalidate() }
        if order == .internalKey && target.count < internalKeyTrailerSize {
            invalidate()
            throw LSMError(.invalidArgument, "seek target of \(target.count) bytes is not an internal key")
        }
        // The last restart point whose key is below the target; the answer lies at or after it.
        var low = 0
        var high = restartCount - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if compare(try restartKey(mid), target) < 0 {
                low = mid
            } else {
                high = mid - 1
            }
        }
        seekToRestart(low)
        while true {
            try advance()
            if !isValid || compare(key, target) >= 0 { return }
        }
    }

    func next() throws(LSMError) {
        assert(isValid)
        try advance()
    }

    func prev() throws(LSMError) {
        assert(isValid)
        let original = current
        var index = restartIndex
        while block.restartPoint(index) >= original {
            if index == 0 { return invalidate() }
            index -= 1
        }
        seekToRestart(index)
        repeat {
            try advance()
        } while isValid && nextEntry < original
        guard isValid, nextEntry == original else {
            invalidate()
            throw LSMError.corruption("block restart point \(index) is not on an entry boundary",
                                      offset: UInt64(block.restartPoint(index)))
        }
    }

    private func invalidate() {
        isValid = false
        currentKey.removeAll()
        valueLength = 0
    }

    private func seekToRestart(_ index: Int) {
        restartIndex = index
        nextEntry = block.restartPoint(index)
        currentKey.removeAll()
    }

    @inline(__always)
    private func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        switch order {
        case .internalKey: compareInternalKeys(a, b)
        case .bytewise: compareBytes(a, b)
        }
    }

    /// Decodes the entry at ``nextEntry`` into the current position, or becomes invalid at the end of the entries.
    private func advance() throws(LSMError) {
        current = nextEntry
        guard current < entriesEnd else { return invalidate() }
        let entry = try decodeHeader(at: current)
        let length = entry.shared + entry.unshared
        guard entry.shared <= currentKey.count, order == .bytewise || length >= internalKeyTrailerSize else {
            throw malformed(at: current)
        }
        currentKey.replaceSuffix(after: entry.shared, with: data + entry.keyStart, count: entry.unshared)
        valueOffset = entry.keyStart + entry.unshared
        valueLength = entry.valueLength
        nextEntry = valueOffset + valueLength
        while restartIndex + 1 < restartCount && block.restartPoint(restartIndex + 1) <= current {
            restartIndex += 1
        }
        isValid = true
    }

    /// The whole key stored at restart point `index` (where nothing is shared with a previous key).
    private func restartKey(_ index: Int) throws(LSMError) -> UnsafeRawBufferPointer {
        let offset = block.restartPoint(index)
        let entry = try decodeHeader(at: offset)
        guard entry.shared == 0, order == .bytewise || entry.unshared >= internalKeyTrailerSize else {
            throw malformed(at: offset)
        }
        return UnsafeRawBufferPointer(start: data + entry.keyStart, count: entry.unshared)
    }

    /// Parses the three varints that start an entry and checks that its key bytes and value lie inside the entries.
    @inline(__always)
    private func decodeHeader(at offset: Int) throws(LSMError)
        -> (shared: Int, unshared: Int, valueLength: Int, keyStart: Int) {
        var shared: Int
        var unshared: Int
        var valueLength: Int
        var keyStart: Int
        if entriesEnd - offset >= 3 {
            let a = data.load(fromByteOffset: offset, as: UInt8.self)
            let b = data.load(fromByteOffset: offset + 1, as: UInt8.self)
            let c = data.load(fromByteOffset: offset + 2, as: UInt8.self)
            shared = Int(a)
            unshared = Int(b)
            valueLength = Int(c)
            keyStart = offset + 3
            if (a | b | c) >= 0x80 {
                var reader = ByteReader(UnsafeRawBufferPointer(start: data, count: entriesEnd), position: offset)
                guard let s = reader.readVarint32(), let u = reader.readVarint32(), let v = reader.readVarint32() else {
                    throw malformed(at: offset)
                }
                shared = Int(s)
                unshared = Int(u)
                valueLength = Int(v)
                keyStart = reader.position
            }
        } else {
            throw malformed(at: offset)
        }
        guard unshared <= entriesEnd - keyStart, valueLength <= entriesEnd - keyStart - unshared else {
            throw malformed(at: offset)
        }
        return (shared, unshared, valueLength, keyStart)
    }

    /// Invalidates the iterator and returns the error for a bad entry at `offset`.
    private func malformed(at offset: Int) -> LSMError {
        invalidate()
        return LSMError.corruption("malformed block entry", offset: UInt64(offset))
    }
}
