/// Iterates over a whole table: a ``TableCursor`` behind the ``InternalIterator`` interface that merging
/// iterators compose.
final class TableIterator: InternalIterator {
    // Unchecked: only this object's own methods touch it, one at a time (it is not thread-safe), and a checked
    // access costs more than most of the moves it guards.
    @exclusivity(unchecked) private var cursor: TableCursor

    /// An iterator over `table`; `fillsCache` as for ``TableCursor/init(table:fillsCache:)``.
    init(table: Table, fillsCache: Bool = true) {
        cursor = TableCursor(table: table, fillsCache: fillsCache)
    }

    var isValid: Bool { cursor.isValid }

    var key: UnsafeRawBufferPointer { cursor.key }

    var value: UnsafeRawBufferPointer { cursor.value }

    /// File offset of the current data block (for error reports), or of the index block when there is none.
    var currentBlockOffset: UInt64 { cursor.currentBlockOffset }

    func seekToFirst() throws(LSMError) { try cursor.seekToFirst() }

    func seekToLast() throws(LSMError) { try cursor.seekToLast() }

    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) { try cursor.seek(target) }

    func next() throws(LSMError) { try cursor.next() }

    func prev() throws(LSMError) { try cursor.prev() }
}
