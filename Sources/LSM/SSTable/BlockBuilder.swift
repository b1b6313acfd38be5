/// Builds the contents of one block: prefix-compressed entries, then the restart array.
///
/// Each entry stores only the bytes of its key that differ from the previous key. Every `restartInterval` entries
/// the full key is stored instead (a restart point), so a reader can binary-search the restart points and only
/// decode a short run of entries linearly.
///
/// With `packsTrailers`, keys are internal keys and each entry stores its user key, prefix-compressed against the
/// previous user key, and its trailer as a ``PackedTrailer``.
///
/// The bytes: docs/FORMAT.md, "Block contents" and "Data blocks".
struct BlockBuilder {
    private let restartInterval: Int
    private let packsTrailers: Bool
    private var buffer: [UInt8] = []
    private var restarts: [UInt32] = [0]
    private var entriesSinceRestart = 0
    /// The previous entry's key, or its user key when trailers are packed.
    private var lastKey: [UInt8] = []
    private(set) var entryCount = 0

    /// `restartInterval` below 1 is treated as 1.
    init(restartInterval: Int, packsTrailers: Bool = false) {
        self.restartInterval = max(1, restartInterval)
        self.packsTrailers = packsTrailers
    }

    var isEmpty: Bool { entryCount == 0 }

    /// The size the block will have once finished (entries plus restart array), without its trailer.
    var estimatedSize: Int { buffer.count + (restarts.count + 1) * 4 }

    /// Appends an entry; keys must arrive in the order the block will be searched in, and be internal keys of
    /// kinds below 4 when trailers are packed.
    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let storedKey = packsTrailers ? userKey(of: key) : key
        var shared = 0
        if entriesSinceRestart < restartInterval {
            shared = lastKey.withUnsafeBytes { commonPrefixLength($0, storedKey) }
        } else {
            restarts.append(UInt32(buffer.count))
            entriesSinceRestart = 0
        }
        let unshared = UnsafeRawBufferPointer(rebasing: storedKey[shared...])
        // The lengths (and the packed trailer) go in with one append: three 5-byte varints and a packed trailer.
        withUnsafeTemporaryAllocation(byteCount: 15 + PackedTrailer.maxSize, alignment: 1) { header in
            var end = header.storeVarint64(UInt64(shared), at: 0)
            end = header.storeVarint64(UInt64(unshared.count), at: end)
            end = header.storeVarint64(UInt64(value.count), at: end)
            if packsTrailers {
                end = PackedTrailer.store(key.fixed64(at: key.count - internalKeyTrailerSize), into: header, at: end)
            }
            buffer.append(raw: UnsafeRawBufferPointer(rebasing: header[..<end]))
        }
        buffer.append(raw: unshared)
        buffer.append(raw: value)
        lastKey.replaceBytes(with: storedKey, keepingPrefix: shared)
        entriesSinceRestart += 1
        entryCount += 1
    }

    /// Returns the finished contents (entries, restart offsets, restart count) and empties the builder for the next
    /// block.
    mutating func finish() -> [UInt8] {
        var contents = buffer
        contents.reserveCapacity(estimatedSize)
        for restart in restarts { contents.appendFixed32(restart) }
        contents.appendFixed32(UInt32(restarts.count))
        buffer.removeAll(keepingCapacity: true)
        restarts.removeAll(keepingCapacity: true)
        restarts.append(0)
        entriesSinceRestart = 0
        lastKey.removeAll(keepingCapacity: true)
        entryCount = 0
        return contents
    }
}
