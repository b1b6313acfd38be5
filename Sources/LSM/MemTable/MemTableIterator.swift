/// An ``InternalIterator`` over a ``MemTable``; keys are internal keys.
///
/// It holds its memtable strongly, so the arena that `key` and `value` point into outlives it. It may run while
/// the memtable's writer adds entries: it sees each entry added before its move, and possibly later ones. Nodes have
/// no back links, so ``prev()`` searches from the top for the last node before the current one (O(log n)).
/// Its moves never fail; they are declared without `throws`, which still satisfies the protocol.
final class MemTableIterator: InternalIterator {
    private let memTable: MemTable
    private var node: SkipListNode?

    init(memTable: MemTable) {
        self.memTable = memTable
    }

    var isValid: Bool { node != nil }

    func seekToFirst() {
        node = memTable.list.first
    }

    func seekToLast() {
        node = memTable.list.last
    }

    /// Positions at the first entry >= `target`. A target shorter than a trailer (not an internal key) is taken as
    /// a bare user key and lands on that key's newest entry or the next key.
    func seek(_ target: UnsafeRawBufferPointer) {
        if target.count < internalKeyTrailerSize {
            node = memTable.list.first(atOrAfter: target, trailer: .max)
        } else {
            let parsedUserKey = userKey(of: target)
            node = memTable.list.first(atOrAfter: parsedUserKey, trailer: target.fixed64(at: parsedUserKey.count))
        }
    }

    func next() {
        assert(isValid, "next() on an invalid MemTableIterator")
        node = node?.next(0)
    }

    func prev() {
        assert(isValid, "prev() on an invalid MemTableIterator")
        guard let current = node else { return }
        node = memTable.list.last(before: current.userKey, trailer: current.trailer)
    }

    var key: UnsafeRawBufferPointer {
        assert(isValid, "key on an invalid MemTableIterator")
        return node?.key ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    var value: UnsafeRawBufferPointer {
        assert(isValid, "value on an invalid MemTableIterator")
        return node?.value ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }
}
