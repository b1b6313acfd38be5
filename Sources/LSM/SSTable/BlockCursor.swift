import CLSMSupport

/// A position among the entries of one block's contents: the state and moves of ``BlockIterator``, as a value a
/// point read keeps on its stack, so that a lookup allocates no iterator objects.
///
/// `seek` binary-searches the restart points (whose keys are stored whole) and then decodes forward; `prev`
/// restarts from the preceding restart point, since prefix-compressed entries decode only forwards. The current
/// key is rebuilt in one buffer the cursor owns and reuses, and the value points into the contents, so moving
/// allocates nothing. A malformed entry throws `.corruption` (no path; the offset is within the block) and leaves
/// the cursor invalid: bytes on disk can never make it read out of bounds.
///
/// The contents must outlive the cursor (the caller keeps their block or mapping alive). Not copyable: it owns its
/// key buffer.
///
/// The bytes: docs/FORMAT.md, "Block contents" and "Data blocks".
struct BlockCursor: ~Copyable {
    private var data: UnsafeRawPointer
    private var entriesEnd: Int
    private var restartCount: Int
    private var order: BlockKeyOrder

    private var currentKey = KeyBuffer()
    private var valueOffset = 0
    private var valueLength = 0
    /// Offset of the current entry.
    private var current = 0
    /// Offset just past the current entry: where the next one starts.
    private var nextEntry = 0
    /// The restart point at or before the current entry.
    private var restartIndex = 0

    private(set) var isValid = false

    /// A cursor over contents whose restart array was checked (``restartLayout(_:)``).
    init(data: UnsafeRawPointer, entriesEnd: Int, restartCount: Int, order: BlockKeyOrder) {
        self.data = data
        self.entriesEnd = entriesEnd
        self.restartCount = restartCount
        self.order = order
    }

    /// A cursor over no entries: invalid, and every move leaves it so.
    init() {
        self.init(data: Self.noContents, entriesEnd: 0, restartCount: 0, order: .internalKey)
    }

    /// What an empty cursor points at; never read, since it has no entries.
    private nonisolated(unsafe) static let noContents = UnsafeRawPointer(
        UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))

    /// A cursor over `contents`, after checking their restart array; `.corruption` (offset within the block) when
    /// it is malformed.
    init(contents: UnsafeRawBufferPointer, order: BlockKeyOrder) throws(LSMError) {
        self.init()
        try reseat(contents: contents, order: order)
    }

    /// Points the cursor at other contents, whose restart array was checked (``restartLayout(_:)``), keeping its
    /// key buffer, so that a cursor moving from block to block allocates nothing; invalid until it next moves.
    mutating func reseat(data: UnsafeRawPointer, entriesEnd: Int, restartCount: Int, order: BlockKeyOrder) {
        self.data = data
        self.entriesEnd = entriesEnd
        self.restartCount = restartCount
        self.order = order
        invalidate()
    }

    /// ``reseat(data:entriesEnd:restartCount:order:)`` on the entries of `block`, which the caller keeps alive.
    mutating func reseat(on block: Block, order: BlockKeyOrder) {
        reseat(data: block.baseAddress, entriesEnd: block.entriesEnd, restartCount: block.restartCount, order: order)
    }

    /// ``reseat(data:entriesEnd:restartCount:order:)`` on `contents`, after checking their restart array;
    /// `.corruption` (offset within the block) when it is malformed, which leaves the cursor on no entries.
    mutating func reseat(contents: UnsafeRawBufferPointer, order: BlockKeyOrder) throws(LSMError) {
        guard let layout = Self.restartLayout(contents), let base = contents.baseAddress else {
            reseatOnNothing()
            throw LSMError.corruption("malformed block restart array (block of \(contents.count) bytes)",
                                      offset: UInt64(max(0, contents.count - 4)))
        }
        reseat(data: base, entriesEnd: layout.entriesEnd, restartCount: layout.restartCount, order: order)
    }

    /// Leaves the cursor on no entries (its key buffer kept): invalid, and every move leaves it so.
    mutating func reseatOnNothing() {
        reseat(data: Self.noContents, entriesEnd: 0, restartCount: 0, order: order)
    }

    /// Checks the restart array: a count in the last four bytes, that many offsets before it, the first 0 and each
    /// greater than the last and inside the entries. Contents with no entry bytes are valid whatever their restarts.
    static func restartLayout(_ bytes: UnsafeRawBufferPointer) -> (entriesEnd: Int, restartCount: Int)? {
        guard bytes.count >= 4 else { return nil }
        let count = Int(bytes.fixed32(at: bytes.count - 4))
        guard count <= (bytes.count - 4) / 4 else { return nil }
        let entriesEnd = bytes.count - 4 - count * 4
        if entriesEnd == 0 { return (0, 0) }
        guard count > 0, bytes.fixed32(at: entriesEnd) == 0 else { return nil }
        var previous = 0
        for index in 1..<count {
            let point = Int(bytes.fixed32(at: entriesEnd + index * 4))
            guard point > previous, point < entriesEnd else { return nil }
            previous = point
        }
        return (entriesEnd, count)
    }

    var key: UnsafeRawBufferPointer { currentKey.bytes }

    var value: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data + valueOffset, count: valueLength) }

    /// Blocks with at most this many restart points have all their restart keys prefetched before a seek.
    static let prefetchedRestarts = 32

    /// The offset of the `index`th restart point; `index` must be below ``restartCount``.
    @inline(__always)
    private func restartPoint(_ index: Int) -> Int {
        Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: entriesEnd + index * 4, as: UInt32.self)))
    }

    mutating func seekToFirst() throws(LSMError) {
        guard restartCount > 0 else { return invalidate() }
        seekToRestart(0)
        try advance()
    }

    mutating func seekToLast() throws(LSMError) {
        guard restartCount > 0 else { return invalidate() }
        seekToRestart(restartCount - 1)
        repeat {
            try advance()
        } while isValid && nextEntry < entriesEnd
    }

    mutating func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) {
        guard restartCount > 0 else { return invalidate() }
        if order != .bytewise && target.count < internalKeyTrailerSize {
            invalidate()
            throw LSMError(.invalidArgument, "seek target of \(target.count) bytes is not an internal key")
        }
        // A data block's restart keys are few, and each probe of the search below would otherwise wait for its
        // own cache miss: their loads start together here.
        if restartCount <= Self.prefetchedRestarts {
            for index in 0..<restartCount { lsm_prefetch(data + restartPoint(index)) }
        }
        // The last restart point whose key is below the target; the answer lies at or after it.
        var low = 0
        var high = restartCount - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if try compareRestartKey(mid, with: target) < 0 {
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

    mutating func next() throws(LSMError) {
        assert(isValid)
        try advance()
    }

    mutating func prev() throws(LSMError) {
        assert(isValid)
        let original = current
        var index = restartIndex
        while restartPoint(index) >= original {
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
                                      offset: UInt64(restartPoint(index)))
        }
    }

    private mutating func invalidate() {
        isValid = false
        currentKey.removeAll()
        valueLength = 0
    }

    private mutating func seekToRestart(_ index: Int) {
        restartIndex = index
        nextEntry = restartPoint(index)
        currentKey.removeAll()
    }

    @inline(__always)
    private func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        switch order {
        case .internalKey, .packedInternalKey: compareInternalKeys(a, b)
        case .bytewise: compareBytes(a, b)
        }
    }

    /// Decodes the entry at ``nextEntry`` into the current position, or becomes invalid at the end of the entries.
    private mutating func advance() throws(LSMError) {
        current = nextEntry
        guard current < entriesEnd else { return invalidate() }
        let entry = try decodeHeader(at: current)
        if order == .packedInternalKey {
            // What is shared is the user key: the key held without its trailer (none after a restart).
            guard entry.shared <= max(0, currentKey.count - internalKeyTrailerSize) else {
                throw malformed(at: current)
            }
            currentKey.replaceSuffix(after: entry.shared, with: data + entry.keyStart, count: entry.unshared,
                                     trailer: entry.trailer)
        } else {
            let length = entry.shared + entry.unshared
            guard entry.shared <= currentKey.count, order == .bytewise || length >= internalKeyTrailerSize else {
                throw malformed(at: current)
            }
            currentKey.replaceSuffix(after: entry.shared, with: data + entry.keyStart, count: entry.unshared)
        }
        valueOffset = entry.keyStart + entry.unshared
        valueLength = entry.valueLength
        nextEntry = valueOffset + valueLength
        while restartIndex + 1 < restartCount && restartPoint(restartIndex + 1) <= current {
            restartIndex += 1
        }
        isValid = true
    }

    /// How the key at restart point `index`, stored whole there (nothing is shared with a previous key), compares
    /// with `target`.
    private mutating func compareRestartKey(_ index: Int, with target: UnsafeRawBufferPointer) throws(LSMError)
        -> Int {
        let offset = restartPoint(index)
        let entry = try decodeHeader(at: offset)
        let stored = UnsafeRawBufferPointer(start: data + entry.keyStart, count: entry.unshared)
        guard entry.shared == 0 else { throw malformed(at: offset) }
        switch order {
        case .bytewise:
            return compareBytes(stored, target)
        case .internalKey:
            guard entry.unshared >= internalKeyTrailerSize else { throw malformed(at: offset) }
            return compareInternalKeys(stored, target)
        case .packedInternalKey:
            return compareInternalKeys(userKey: stored, trailer: entry.trailer, target)
        }
    }

    /// Parses the three varints that start an entry (and the packed trailer that follows them in a block of
    /// ``BlockKeyOrder/packedInternalKey`` order; 0 otherwise) and checks that its key bytes and value lie inside
    /// the entries.
    @inline(__always)
    private mutating func decodeHeader(at offset: Int) throws(LSMError)
        -> (shared: Int, unshared: Int, valueLength: Int, keyStart: Int, trailer: UInt64) {
        var shared: Int
        var unshared: Int
        var valueLength: Int
        var keyStart: Int
        var trailer: UInt64 = 0
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
        if order == .packedInternalKey {
            // The restart array (at least eight bytes, since there are entries) follows the entries.
            guard let packed = PackedTrailer.load(from: data, at: keyStart, end: entriesEnd) else {
                throw malformed(at: offset)
            }
            (trailer, keyStart) = packed
        }
        guard unshared <= entriesEnd - keyStart, valueLength <= entriesEnd - keyStart - unshared else {
            throw malformed(at: offset)
        }
        return (shared, unshared, valueLength, keyStart, trailer)
    }

    /// Invalidates the iterator and returns the error for a bad entry at `offset`.
    private mutating func malformed(at offset: Int) -> LSMError {
        invalidate()
        return LSMError.corruption("malformed block entry", offset: UInt64(offset))
    }
}
