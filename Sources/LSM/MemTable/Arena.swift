import Synchronization

/// Bump allocator for memtable entries: one manual allocation per block of many entries instead of one heap object
/// per entry, and everything freed at once when the memtable goes away.
///
/// Entries come from 1 MiB blocks; an entry larger than a quarter block gets a block of its own, so a large value
/// neither wastes the rest of the current block nor forces a new one. Blocks never move, so pointers handed out stay
/// valid for the arena's lifetime. Every allocation is 8-byte aligned.
///
/// One thread allocates at a time (the memtable's writer); ``memoryUsage`` may be read from any thread.
final class Arena {
    /// Size of a shared block.
    static let blockSize = 1 << 20
    /// Alignment of every allocation: enough for the skiplist's pointer links.
    static let alignment = MemoryLayout<UnsafeMutableRawPointer>.alignment

    /// Every block allocated, freed in `deinit`.
    private var blocks: [UnsafeMutableRawPointer] = []
    /// Next free byte of the current shared block, nil before the first one.
    private var cursor: UnsafeMutableRawPointer?
    /// Bytes left after `cursor` in the current shared block.
    private var remaining = 0
    /// Bytes consumed so far; see ``memoryUsage``.
    private let consumed = Atomic<Int>(0)

    init() {}

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// Bytes this arena has used: allocations (rounded up to the alignment), the unused tails of blocks it has moved
    /// past, and dedicated blocks. The untouched end of the current block does not count, so a memtable with a few
    /// small entries reports a few bytes rather than a whole block (its untouched pages are not resident either).
    var memoryUsage: Int { consumed.load(ordering: .relaxed) }

    /// Returns `byteCount` bytes of uninitialized memory, aligned to ``alignment``, valid until the arena is freed.
    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = max(Self.alignment, (byteCount + Self.alignment - 1) & ~(Self.alignment - 1))
        if size > Self.blockSize / 4 {
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.alignment)
            blocks.append(block)
            addConsumed(size)
            return block
        }
        let start: UnsafeMutableRawPointer
        if let cursor, size <= remaining {
            start = cursor
        } else {
            addConsumed(remaining)
            start = UnsafeMutableRawPointer.allocate(byteCount: Self.blockSize, alignment: Self.alignment)
            blocks.append(start)
            remaining = Self.blockSize
        }
        cursor = start + size
        remaining -= size
        addConsumed(size)
        return start
    }

    /// Adds to ``memoryUsage``. Only the one allocating thread writes it, so a plain load and store do, not a
    /// locked read-modify-write on every entry.
    @inline(__always)
    private func addConsumed(_ bytes: Int) {
        consumed.store(consumed.load(ordering: .relaxed) + bytes, ordering: .relaxed)
    }
}
