import CLSMSupport
import Synchronization

/// One skiplist entry, living in an ``Arena``: a view over raw memory, so holding or passing one costs no ARC.
///
/// Layout, from the lowest address (the allocation is pointer-aligned):
///
///     links[height - 1] ... links[1] links[0] | height: UInt32 | keyCount: UInt32 | valueCount: UInt32 | key | value
///                                             ^ pointer
///
/// The node is addressed by the end of its link array, so link `level` is at `pointer - 8 * (level + 1)` whatever
/// the height, and the header (at `pointer`, 8-aligned) follows. `key` is the internal key (user key then trailer),
/// contiguous so iterators can hand it out directly.
struct SkipListNode {
    /// Bytes of the fixed header between the links and the key.
    static let headerSize = 12

    let pointer: UnsafeMutableRawPointer

    /// Number of links.
    @inline(__always)
    var height: Int { Int(pointer.load(as: UInt32.self)) }

    /// The internal key.
    @inline(__always)
    var key: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer + Self.headerSize,
                               count: Int(pointer.load(fromByteOffset: 4, as: UInt32.self)))
    }

    /// The value stored after the key.
    @inline(__always)
    var value: UnsafeRawBufferPointer {
        let keyCount = Int(pointer.load(fromByteOffset: 4, as: UInt32.self))
        return UnsafeRawBufferPointer(start: pointer + Self.headerSize + keyCount,
                                      count: Int(pointer.load(fromByteOffset: 8, as: UInt32.self)))
    }

    /// The user-key part of ``key``.
    @inline(__always)
    var userKey: UnsafeRawBufferPointer {
        let keyCount = Int(pointer.load(fromByteOffset: 4, as: UInt32.self))
        return UnsafeRawBufferPointer(start: pointer + Self.headerSize, count: keyCount - internalKeyTrailerSize)
    }

    /// The trailer `(sequence << 8) | kind` ending ``key``.
    @inline(__always)
    var trailer: UInt64 {
        let keyCount = Int(pointer.load(fromByteOffset: 4, as: UInt32.self))
        return UInt64(littleEndian: pointer.loadUnaligned(
            fromByteOffset: Self.headerSize + keyCount - internalKeyTrailerSize, as: UInt64.self))
    }

    /// Where link `level` is stored.
    @inline(__always)
    func linkSlot(_ level: Int) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
        (pointer - MemoryLayout<UnsafeMutableRawPointer>.stride * (level + 1))
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    }

    /// The successor at `level`. The acquire load pairs with the writer's release store in
    /// ``SkipList/insert(userKey:trailer:value:)``, so the successor's contents are visible once it is.
    @inline(__always)
    func next(_ level: Int) -> SkipListNode? {
        lsm_atomic_load_acquire_ptr(linkSlot(level)).map(SkipListNode.init(pointer:))
    }

    /// Orders this node's key against the internal key `userKey` + `trailer`: user key ascending, trailer descending
    /// (as ``compareInternalKeys(_:_:)``), with the target in two parts so callers need not assemble it.
    @inline(__always)
    func compare(toUserKey targetUserKey: UnsafeRawBufferPointer, trailer targetTrailer: UInt64) -> Int {
        let r = compareBytes(userKey, targetUserKey)
        if r != 0 { return r }
        let own = trailer
        return own > targetTrailer ? -1 : (own < targetTrailer ? 1 : 0)
    }
}

/// A skiplist of arena-allocated nodes in internal-key order, with one writer and lock-free readers.
///
/// ## Concurrency
/// ``insert(userKey:trailer:value:)`` must be serialized by the caller; every other member may run on any number
/// of threads at once, concurrently with the writer, without locks. A node is written completely (contents and its
/// own links) before it becomes reachable, then linked in bottom-up with release stores; readers follow links with
/// acquire loads, so a node they reach is fully written. Nodes are never unlinked or moved and the arena is freed
/// only with the list, so a pointer a reader holds stays valid. The current height is a relaxed hint: a reader that
/// sees a new height before the head's links at that level are set finds nil there and simply descends.
final class SkipList {
    /// Highest node; with branching 1/4 this suits lists of millions of entries.
    static let maxHeight = 12

    private let arena = Arena()
    /// The head's links, allocated separately so it needs no key; `head` addresses their end, like any node.
    private let headLinks: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let head: SkipListNode
    /// Height of the tallest node so far (at least 1).
    private let height = Atomic<Int>(1)
    /// Draws node heights; used by the writer only.
    private var random = SplitMix64(seed: 0x2545_F491_4F6C_DD1D)

    init() {
        headLinks = .allocate(capacity: Self.maxHeight)
        headLinks.initialize(repeating: nil, count: Self.maxHeight)
        head = SkipListNode(pointer: UnsafeMutableRawPointer(headLinks + Self.maxHeight))
    }

    deinit {
        headLinks.deallocate()
    }

    /// Bytes used by the entries (see ``Arena/memoryUsage``).
    var memoryUsage: Int { arena.memoryUsage }

    /// Adds the entry with internal key `userKey` + `trailer`. Writer only. An entry equal to an existing key is
    /// placed before it.
    func insert(userKey: UnsafeRawBufferPointer, trailer: UInt64, value: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: SkipListNode.self, capacity: Self.maxHeight) { previous in
            _ = findGreaterOrEqual(userKey: userKey, trailer: trailer, previous: previous)
            let nodeHeight = randomHeight()
            let currentHeight = height.load(ordering: .relaxed)
            if nodeHeight > currentHeight {
                for level in currentHeight..<nodeHeight { previous.initializeElement(at: level, to: head) }
                height.store(nodeHeight, ordering: .relaxed)
            }
            let node = makeNode(height: nodeHeight, userKey: userKey, trailer: trailer, value: value)
            link(node, height: nodeHeight, after: previous)
        }
    }

    /// Links `node`, fully written, in after `previous[level]` at each of its levels: its own links first, then,
    /// bottom-up with release stores, the links that make it reachable.
    @inline(__always)
    private func link(
        _ node: SkipListNode, height nodeHeight: Int, after previous: UnsafeMutableBufferPointer<SkipListNode>
    ) {
        for level in 0..<nodeHeight {
            let next = lsm_atomic_load_relaxed_ptr(previous[level].linkSlot(level))
            lsm_atomic_store_relaxed_ptr(node.linkSlot(level), next)
        }
        for level in 0..<nodeHeight {
            lsm_atomic_store_release_ptr(previous[level].linkSlot(level), node.pointer)
        }
    }

    /// An entry to insert: its internal key (user key and trailer) and value, borrowed from the caller.
    struct Entry {
        var userKey: UnsafeRawBufferPointer
        var trailer: UInt64
        var value: UnsafeRawBufferPointer

        /// Internal-key order: user key ascending, trailer descending (as ``compareInternalKeys(_:_:)``).
        static func precedes(_ a: Entry, _ b: Entry) -> Bool {
            let r = compareBytes(a.userKey, b.userKey)
            return r != 0 ? r < 0 : a.trailer > b.trailer
        }
    }

    /// Adds `entries`, which are in ascending internal-key order (``Entry/precedes(_:_:)``). Writer only.
    ///
    /// Each search starts from where the one before it ended (a splice: per level, the nodes the last entry went
    /// between), climbing only as high as the levels whose nodes no longer enclose the new key. Keys close
    /// together then cost a search of a few low levels, whose nodes the last search left in the cache, instead of
    /// a walk down from the top, which misses the cache at almost every step in a large memtable.
    func insert(sorted entries: UnsafeBufferPointer<Entry>) {
        withUnsafeTemporaryAllocation(of: SkipListNode.self, capacity: Self.maxHeight) { previous in
            withUnsafeTemporaryAllocation(of: SkipListNode?.self, capacity: Self.maxHeight) { following in
                // Levels below `splicedLevels` hold the splice: previous[l] < key < following[l] for the entry
                // to insert (following[l] nil: the end of the list).
                var splicedLevels = 0
                for entry in entries {
                    let currentHeight = height.load(ordering: .relaxed)
                    // The lowest level the splice still encloses the key at (every level above it does too:
                    // their nodes lie at or beyond those below). The previous node is below the key, as keys
                    // ascend.
                    var enclosing = 0
                    while enclosing < splicedLevels, let next = following[enclosing],
                          next.compare(toUserKey: entry.userKey, trailer: entry.trailer) < 0 {
                        enclosing += 1
                    }
                    var node: SkipListNode
                    var level: Int
                    if enclosing < splicedLevels {
                        node = previous[enclosing]
                        level = enclosing - 1
                    } else {
                        node = head
                        level = currentHeight - 1
                    }
                    while level >= 0 {
                        let next = node.next(level)
                        if let next, next.compare(toUserKey: entry.userKey, trailer: entry.trailer) < 0 {
                            node = next
                        } else {
                            previous.initializeElement(at: level, to: node)
                            following.initializeElement(at: level, to: next)
                            level -= 1
                        }
                    }
                    splicedLevels = currentHeight
                    let nodeHeight = randomHeight()
                    if nodeHeight > currentHeight {
                        for level in currentHeight..<nodeHeight {
                            previous.initializeElement(at: level, to: head)
                            following.initializeElement(at: level, to: nil)
                        }
                        height.store(nodeHeight, ordering: .relaxed)
                        splicedLevels = nodeHeight
                    }
                    let inserted = makeNode(height: nodeHeight, userKey: entry.userKey, trailer: entry.trailer,
                                            value: entry.value)
                    link(inserted, height: nodeHeight, after: previous)
                    // The new node is below the next key: it is the splice's previous node where it is linked.
                    for level in 0..<nodeHeight { previous[level] = inserted }
                }
            }
        }
    }

    /// The first node whose key is >= `userKey` + `trailer`, or nil.
    func first(atOrAfter userKey: UnsafeRawBufferPointer, trailer: UInt64) -> SkipListNode? {
        findGreaterOrEqual(userKey: userKey, trailer: trailer, previous: nil)
    }

    /// The last node whose key is < `userKey` + `trailer`, or nil. O(log n): nodes have no back links.
    func last(before userKey: UnsafeRawBufferPointer, trailer: UInt64) -> SkipListNode? {
        var node = head
        var level = height.load(ordering: .relaxed) - 1
        while true {
            if let next = node.next(level), next.compare(toUserKey: userKey, trailer: trailer) < 0 {
                node = next
            } else if level == 0 {
                return node.pointer == head.pointer ? nil : node
            } else {
                level -= 1
            }
        }
    }

    /// The first node, or nil when the list is empty.
    var first: SkipListNode? { head.next(0) }

    /// The last node, or nil when the list is empty; found by running along the top levels first.
    var last: SkipListNode? {
        var node = head
        var level = height.load(ordering: .relaxed) - 1
        while true {
            if let next = node.next(level) {
                node = next
            } else if level == 0 {
                return node.pointer == head.pointer ? nil : node
            } else {
                level -= 1
            }
        }
    }

    /// Descends from the top level to the first node >= the target. When `previous` is given, records at each level
    /// below the current height the last node before the target (where an insert links in).
    private func findGreaterOrEqual(
        userKey: UnsafeRawBufferPointer, trailer: UInt64, previous: UnsafeMutableBufferPointer<SkipListNode>?
    ) -> SkipListNode? {
        var node = head
        var level = height.load(ordering: .relaxed) - 1
        while true {
            let next = node.next(level)
            if let next, next.compare(toUserKey: userKey, trailer: trailer) < 0 {
                node = next
            } else {
                previous?.initializeElement(at: level, to: node)
                if level == 0 { return next }
                level -= 1
            }
        }
    }

    /// Allocates and fills a node, links unset. Lengths fit `UInt32` because ``Limits`` bounds keys and values.
    private func makeNode(
        height nodeHeight: Int, userKey: UnsafeRawBufferPointer, trailer: UInt64, value: UnsafeRawBufferPointer
    ) -> SkipListNode {
        let keyCount = userKey.count + internalKeyTrailerSize
        assert(keyCount <= UInt32.max && value.count <= UInt32.max, "entry beyond the memtable's 4 GiB field limit")
        let linksSize = MemoryLayout<UnsafeMutableRawPointer>.stride * nodeHeight
        let base = arena.allocate(byteCount: linksSize + SkipListNode.headerSize + keyCount + value.count)
        base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: nodeHeight)
        let pointer = base + linksSize
        pointer.storeBytes(of: UInt32(truncatingIfNeeded: nodeHeight), as: UInt32.self)
        pointer.storeBytes(of: UInt32(truncatingIfNeeded: keyCount), toByteOffset: 4, as: UInt32.self)
        pointer.storeBytes(of: UInt32(truncatingIfNeeded: value.count), toByteOffset: 8, as: UInt32.self)
        let keyStart = pointer + SkipListNode.headerSize
        if let source = userKey.baseAddress { keyStart.copyMemory(from: source, byteCount: userKey.count) }
        (keyStart + userKey.count).storeBytes(of: trailer.littleEndian, as: UInt64.self)
        if let source = value.baseAddress { (keyStart + keyCount).copyMemory(from: source, byteCount: value.count) }
        return SkipListNode(pointer: pointer)
    }

    /// A height from 1 to ``maxHeight``, each level kept with probability 1/4.
    private func randomHeight() -> Int {
        var nodeHeight = 1
        while nodeHeight < Self.maxHeight {
            guard random.next() & 3 == 0 else { break }
            nodeHeight += 1
        }
        return nodeHeight
    }
}
