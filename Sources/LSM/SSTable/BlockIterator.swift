/// How a block's keys are stored and ordered, which decides how entries decode and how ``BlockIterator/seek(_:)``
/// compares.
enum BlockKeyOrder: Sendable {
    /// Internal-key order, each key stored whole (index blocks, and data blocks of table format versions 1 to 3);
    /// every key must be at least an internal-key trailer long.
    case internalKey
    /// Internal-key order, each entry storing its user key and its trailer packed (``PackedTrailer``: data blocks of
    /// table format version 4, docs/FORMAT.md, "Data blocks"). Cursors still present whole internal keys.
    case packedInternalKey
    /// Plain bytewise order (the properties block).
    case bytewise
}

/// Iterates over the entries of one ``Block``, which it keeps alive: a ``BlockCursor`` behind the
/// ``InternalIterator`` interface that merging and table iterators compose.
final class BlockIterator: InternalIterator {
    private let block: Block
    // Unchecked: only this object's own methods touch it, one at a time (it is not thread-safe), and a checked
    // access to it costs more than most of the moves it guards.
    @exclusivity(unchecked) private var cursor: BlockCursor

    init(block: Block, order: BlockKeyOrder) {
        self.block = block
        cursor = block.makeCursor(order: order)
    }

    var isValid: Bool { cursor.isValid }

    var key: UnsafeRawBufferPointer { cursor.key }

    var value: UnsafeRawBufferPointer { cursor.value }

    func seekToFirst() throws(LSMError) { try cursor.seekToFirst() }

    func seekToLast() throws(LSMError) { try cursor.seekToLast() }

    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) { try cursor.seek(target) }

    func next() throws(LSMError) { try cursor.next() }

    func prev() throws(LSMError) { try cursor.prev() }
}
