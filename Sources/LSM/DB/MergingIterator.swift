/// Merges sorted child iterators into one sorted stream in internal-key order, forward and backward.
///
/// The read path merges few children (the memtables, the level-0 tables, one iterator per deeper level), so the
/// current child is found by a linear scan, which beats a heap at that size. Entries equal in internal key do not
/// occur (sequence numbers are unique), so ties need no rule.
final class MergingIterator: InternalIterator {
    private enum Direction { case forward, reverse }

    private let children: [any InternalIterator]
    private var current: (any InternalIterator)?
    private var direction = Direction.forward

    init(children: [any InternalIterator]) {
        self.children = children
    }

    var isValid: Bool { current != nil }
    var key: UnsafeRawBufferPointer { current!.key }
    var value: UnsafeRawBufferPointer { current!.value }

    func seekToFirst() throws(LSMError) {
        for child in children { try child.seekToFirst() }
        direction = .forward
        pickSmallest()
    }

    func seekToLast() throws(LSMError) {
        for child in children { try child.seekToLast() }
        direction = .reverse
        pickLargest()
    }

    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) {
        for child in children { try child.seek(target) }
        direction = .forward
        pickSmallest()
    }

    func next() throws(LSMError) {
        guard let current else { return }
        if direction == .reverse {
            // Every other child sits before the current key; move each to its first entry after it.
            let key = current.key
            for child in children where child !== current {
                try child.seek(key)
                if child.isValid && compareInternalKeys(child.key, key) == 0 { try child.next() }
            }
            direction = .forward
        }
        try current.next()
        pickSmallest()
    }

    func prev() throws(LSMError) {
        guard let current else { return }
        if direction == .forward {
            // Every other child sits after the current key; move each to its last entry before it.
            let key = current.key
            for child in children where child !== current {
                try child.seek(key)
                if child.isValid { try child.prev() } else { try child.seekToLast() }
            }
            direction = .reverse
        }
        try current.prev()
        pickLargest()
    }

    private func pickSmallest() {
        var best: (any InternalIterator)?
        for child in children where child.isValid {
            if let b = best, compareInternalKeys(child.key, b.key) >= 0 { continue }
            best = child
        }
        current = best
    }

    private func pickLargest() {
        var best: (any InternalIterator)?
        for child in children where child.isValid {
            if let b = best, compareInternalKeys(child.key, b.key) <= 0 { continue }
            best = child
        }
        current = best
    }
}
