/// Builds the contents of one block: prefix-compressed entries, then the restart array.
///
/// Each entry stores only the bytes of its key that differ from the previous key. Every `restartInterval` entries
/// the full key is stored instead (a restart point), so a reader can binary-search the restart points and only
/// decode a short run of entries linearly.
///
/// The bytes: docs/FORMAT.md, "Block contents".
struct BlockBuilder {
    private let restartInterval: Int
    private var buffer: [UInt8] = []
    private var restarts: [UInt32] = [0]
    private var entriesSinceRestart = 0
    private var lastKey: [UInt8] = []
    private(set) var entryCount = 0

    /// `restartInterval` below 1 is treated as 1.
    init(restartInterval: Int) {
        self.restartInterval = max(1, restartInterval)
    }

    var isEmpty: Bool { entryCount == 0 }

    /// The size the block will have once finished (entries plus restart array), without its trailer.
    var estimatedSize: Int { buffer.count + (restarts.count + 1) * 4 }

    /// The last key added, or empty if none.
    var lastAddedKey: [UInt8] { lastKey }

    /// Appends an entry; keys must arrive in the order the block will be searched in.
    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        var shared = 0
        if entriesSinceRestart < restartInterval {
            let limit = min(lastKey.count, key.count)
            shared = lastKey.withUnsafeBytes { last in
                var n = 0
                while n < limit && last[n] == key[n] { n += 1 }
                return n
            }
        } else {
            restarts.append(UInt32(buffer.count))
            entriesSinceRestart = 0
        }
        buffer.appendVarint32(UInt32(shared))
        buffer.appendVarint32(UInt32(key.count - shared))
        buffer.appendVarint32(UInt32(value.count))
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: key[shared...]))
        buffer.append(contentsOf: value)
        lastKey.removeSubrange(shared...)
        lastKey.append(contentsOf: UnsafeRawBufferPointer(rebasing: key[shared...]))
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
