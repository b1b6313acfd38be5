import Synchronization

/// Which data blocks of one open, memory-mapped table have passed their checksum, so that each is verified once per
/// open table rather than on every read, as an engine with a block cache verifies a block once when it enters the
/// cache. A mapped table is read in place and needs no cache of its own (the page cache holds it already).
///
/// Blocks are known by their index entries, listed when the table opens; a block whose handle is not among them
/// (which a sound index never gives) is simply never recorded, so it is verified on every read.
final class VerifiedBlocks: Sendable {
    /// The data blocks' handles, in the index's order (ascending offsets in a sound table).
    private let handles: [BlockHandle]
    /// One bit per entry of `handles`, set once that block has been verified.
    nonisolated(unsafe) private let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let wordCount: Int

    /// Lists the data blocks `index` points at. A malformed entry ends the list: reading that block fails later,
    /// where it is named, as it does without this record.
    init(index: Block) {
        var handles: [BlockHandle] = []
        let iterator = index.makeIterator(order: .internalKey)
        do throws(LSMError) {
            try iterator.seekToFirst()
            while iterator.isValid, let handle = BlockHandle(decoding: iterator.value) {
                handles.append(handle)
                try iterator.next()
            }
        } catch {
            // The entries read so far are listed; the rest are verified on every read.
        }
        self.handles = handles
        wordCount = (handles.count + 63) / 64
        words = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: max(1, wordCount))
        for word in 0..<wordCount { (words + word).initialize(to: Atomic(0)) }
    }

    deinit {
        words.deinitialize(count: wordCount)
        words.deallocate()
    }

    /// Whether the block at `handle` has been verified.
    @inline(__always)
    func contains(_ handle: BlockHandle) -> Bool {
        guard let ordinal = ordinal(of: handle) else { return false }
        return words[ordinal >> 6].load(ordering: .acquiring) & (1 << UInt64(ordinal & 63)) != 0
    }

    /// Records that the block at `handle` passed its checksum.
    func insert(_ handle: BlockHandle) {
        guard let ordinal = ordinal(of: handle) else { return }
        words[ordinal >> 6].bitwiseOr(1 << UInt64(ordinal & 63), ordering: .releasing)
    }

    /// The position of `handle` among the listed blocks (offset and size both equal), found by binary search.
    private func ordinal(of handle: BlockHandle) -> Int? {
        var low = 0
        var high = handles.count
        while low < high {
            let middle = (low + high) >> 1
            if handles[middle].offset < handle.offset { low = middle + 1 } else { high = middle }
        }
        guard low < handles.count, handles[low] == handle else { return nil }
        return low
    }
}
