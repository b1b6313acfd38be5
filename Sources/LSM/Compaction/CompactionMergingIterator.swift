import HeapModule

/// A forward-only k-way merge of sorted iterators in internal-key order, with a min-heap over the children.
///
/// Compaction may merge many tables at once (every level-0 table plus the level-1 tables they overlap), where a
/// heap's O(log k) per entry beats the read path's linear scan.
final class CompactionMergingIterator {
    /// A child in the heap, ordered by its current key. A child's key does not change while it is in the heap:
    /// it is popped before it moves.
    private struct Entry: Comparable {
        let child: any InternalIterator

        static func < (a: Entry, b: Entry) -> Bool { compareInternalKeys(a.child.key, b.child.key) < 0 }
        static func == (a: Entry, b: Entry) -> Bool { compareInternalKeys(a.child.key, b.child.key) == 0 }
    }

    private let children: [any InternalIterator]
    private var heap = Heap<Entry>()
    private var current: (any InternalIterator)?

    init(children: [any InternalIterator]) {
        self.children = children
    }

    var isValid: Bool { current != nil }
    var key: UnsafeRawBufferPointer { current!.key }
    var value: UnsafeRawBufferPointer { current!.value }

    func seekToFirst() throws(LSMError) {
        heap = Heap()
        for child in children {
            try child.seekToFirst()
            if child.isValid { heap.insert(Entry(child: child)) }
        }
        current = heap.popMin()?.child
    }

    func next() throws(LSMError) {
        guard let current else { return }
        try current.next()
        if current.isValid { heap.insert(Entry(child: current)) }
        self.current = heap.popMin()?.child
    }
}
