/// Merges sorted child iterators into one sorted stream in internal-key order, forward and backward.
///
/// The read path merges few children (the memtables, the level-0 tables, one iterator per deeper level), so the
/// current child is found by a linear scan over each child's cached key, which beats a heap at that size. The
/// scan is needed only when the current child moves past the runner-up (the best of the others): in a long scan
/// one child usually supplies runs of entries, each costing one comparison. Entries equal in internal key do not
/// occur (sequence numbers are unique), so ties need no rule.
final class ReadPathMergingIterator: InternalIterator {
    private enum Direction {
        case forward, reverse

        /// Whether internal key `a` comes before `b` when travelling this way.
        @inline(__always)
        func orders(_ a: UnsafeRawBufferPointer, before b: UnsafeRawBufferPointer) -> Bool {
            let comparison = compareInternalKeys(a, b)
            return self == .forward ? comparison < 0 : comparison > 0
        }
    }

    /// One child and its current entry, cached so that choosing a child or reading the entry calls into none of
    /// them (each call through an existential costs a retain and a release).
    private struct Slot {
        /// Borrowed from ``children``, which keeps it alive.
        unowned(unsafe) let iterator: any InternalIterator
        /// The child's key and value; valid until the child moves. Meaningful only when `isValid`.
        var key = UnsafeRawBufferPointer(start: nil, count: 0)
        var value = UnsafeRawBufferPointer(start: nil, count: 0)
        var isValid = false
    }

    private let children: [any InternalIterator]
    private let slots: UnsafeMutablePointer<Slot>
    private let count: Int
    /// The slot of the current entry, or -1 when the iterator is exhausted.
    private var current = -1
    /// The best valid slot other than `current` in the current direction, or -1 when there is none.
    private var runnerUp = -1
    private var direction = Direction.forward

    init(children: [any InternalIterator]) {
        self.children = children
        count = children.count
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: max(1, children.count))
        for (index, child) in children.enumerated() {
            (slots + index).initialize(to: Slot(iterator: child))
        }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    var isValid: Bool { current >= 0 }
    var key: UnsafeRawBufferPointer { slots[current].key }
    var value: UnsafeRawBufferPointer { slots[current].value }

    func seekToFirst() throws(LSMError) {
        try positionEveryChild(then: .forward) { (child) throws(LSMError) in try child.seekToFirst() }
    }

    func seekToLast() throws(LSMError) {
        try positionEveryChild(then: .reverse) { (child) throws(LSMError) in try child.seekToLast() }
    }

    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) {
        try positionEveryChild(then: .forward) { (child) throws(LSMError) in try child.seek(target) }
    }

    /// Positions every child with `position`, then picks the first of them for travel in `direction`.
    @inline(__always)
    private func positionEveryChild(
        then direction: Direction, _ position: (any InternalIterator) throws(LSMError) -> Void
    ) throws(LSMError) {
        for index in 0..<count {
            let child = slots[index].iterator
            try position(child)
            refresh(index, from: child)
        }
        self.direction = direction
        pick(direction)
    }

    func next() throws(LSMError) {
        guard current >= 0 else { return }
        guard direction == .forward else { return try turn(.forward) }
        try stepCurrent(.forward)
    }

    func prev() throws(LSMError) {
        guard current >= 0 else { return }
        guard direction == .reverse else { return try turn(.reverse) }
        try stepCurrent(.reverse)
    }

    /// Steps to the neighbour of the current entry in `newDirection`, the opposite of the way the merge was travelling.
    /// The other children sit on the far side of the current key: each moves to its nearest entry on the near side
    /// first (after the key going forward, before it going backward).
    private func turn(_ newDirection: Direction) throws(LSMError) {
        let key = slots[current].key
        for index in 0..<count where index != current {
            let child = slots[index].iterator
            try child.seek(key)
            if newDirection == .forward {
                if child.isValid && compareInternalKeys(child.key, key) == 0 { try child.next() }
            } else {
                if child.isValid { try child.prev() } else { try child.seekToLast() }
            }
            refresh(index, from: child)
        }
        direction = newDirection
        try step(current, newDirection)
        pick(newDirection)
    }

    /// Moves the current child one step in `direction`, the way the merge already travels. The current child stays
    /// the first in that direction unless it moved past the runner-up: only then does a new pick scan the children.
    @inline(__always)
    private func stepCurrent(_ direction: Direction) throws(LSMError) {
        try step(current, direction)
        if runnerUp >= 0 {
            let moved = slots[current]
            if !moved.isValid || direction.orders(slots[runnerUp].key, before: moved.key) { pick(direction) }
        } else if !slots[current].isValid {
            current = -1
        }
    }

    /// Moves child `index` one step in `direction`; on a throw the merge becomes invalid, as the protocol requires.
    @inline(__always)
    private func step(_ index: Int, _ direction: Direction) throws(LSMError) {
        let child = slots[index].iterator
        do {
            if direction == .forward {
                try child.next()
            } else {
                try child.prev()
            }
        } catch {
            current = -1
            throw error
        }
        refresh(index, from: child)
    }

    /// Re-reads the entry of `child`, the iterator of slot `index`, after it moved.
    @inline(__always)
    private func refresh(_ index: Int, from child: any InternalIterator) {
        let valid = child.isValid
        slots[index].isValid = valid
        slots[index].key = valid ? child.key : UnsafeRawBufferPointer(start: nil, count: 0)
        slots[index].value = valid ? child.value : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Makes the first child in `direction` current (the smallest going forward, the largest going backward) and
    /// the second the runner-up.
    @inline(__always)
    private func pick(_ direction: Direction) {
        var best = -1
        var second = -1
        for index in 0..<count where slots[index].isValid {
            let key = slots[index].key
            if best < 0 || direction.orders(key, before: slots[best].key) {
                second = best
                best = index
            } else if second < 0 || direction.orders(key, before: slots[second].key) {
                second = index
            }
        }
        current = best
        runnerUp = second
    }
}
