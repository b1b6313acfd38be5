/// A forward-only k-way merge of sorted iterators in internal-key order, with a min-heap over the children.
///
/// Compaction may merge many tables at once (a chain of level-0 tables plus the level-1 tables they overlap), where
/// a heap's O(log k) per entry beats the read path's linear scan. The heap holds child numbers and each child's key
/// is cached beside it, so ordering the heap calls into no child and copies no reference; the current child stays
/// at the root and sinks into place after it moves (one sift per entry, not a pop and a push).
final class CompactionMergingIterator {
    /// One child and its current key, which stays valid until the child moves.
    private struct Slot {
        /// Borrowed from ``children``, which keeps it alive: calls through it cost no reference counting.
        unowned(unsafe) let iterator: any InternalIterator
        var key = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    private let children: [any InternalIterator]
    private let slots: UnsafeMutablePointer<Slot>
    /// A binary min-heap of slot numbers ordered by their keys; its root is the current entry.
    private let heap: UnsafeMutablePointer<Int>
    private var heapCount = 0

    init(children: [any InternalIterator]) {
        self.children = children
        slots = .allocate(capacity: max(1, children.count))
        heap = .allocate(capacity: max(1, children.count))
        for (index, child) in children.enumerated() {
            (slots + index).initialize(to: Slot(iterator: child))
        }
    }

    deinit {
        slots.deinitialize(count: children.count)
        slots.deallocate()
        heap.deallocate()
    }

    var isValid: Bool { heapCount > 0 }
    var key: UnsafeRawBufferPointer { slots[heap[0]].key }
    var value: UnsafeRawBufferPointer { slots[heap[0]].iterator.value }

    func seekToFirst() throws(LSMError) {
        heapCount = 0
        for index in children.indices {
            let child = slots[index].iterator
            try child.seekToFirst()
            guard child.isValid else { continue }
            slots[index].key = child.key
            heap[heapCount] = index
            heapCount += 1
        }
        for position in stride(from: heapCount / 2 - 1, through: 0, by: -1) { siftDown(from: position) }
    }

    func next() throws(LSMError) {
        guard heapCount > 0 else { return }
        let index = heap[0]
        let child = slots[index].iterator
        do {
            try child.next()
        } catch {
            heapCount = 0
            throw error
        }
        if child.isValid {
            slots[index].key = child.key
        } else {
            heapCount -= 1
            heap[0] = heap[heapCount]
        }
        if heapCount > 1 { siftDown(from: 0) }
    }

    /// Whether slot `a`'s key comes before slot `b`'s.
    @inline(__always)
    private func precedes(_ a: Int, _ b: Int) -> Bool {
        compareInternalKeys(slots[a].key, slots[b].key) < 0
    }

    /// Moves the slot at heap position `position` down until neither of its children precedes it.
    private func siftDown(from position: Int) {
        var parent = position
        let moving = heap[parent]
        while true {
            var child = 2 * parent + 1
            guard child < heapCount else { break }
            if child + 1 < heapCount && precedes(heap[child + 1], heap[child]) { child += 1 }
            guard precedes(heap[child], moving) else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = moving
    }
}
