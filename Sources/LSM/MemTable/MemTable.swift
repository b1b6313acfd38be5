import Synchronization

/// Sorted in-memory buffer of recent writes: every entry (value or tombstone) under its internal key, until the
/// memtable is flushed to a table.
///
/// Entries live in an arena-backed ``SkipList``, so adding one allocates no heap object and reading one copies
/// nothing until a caller asks for a value.
///
/// ## Why `@unchecked Sendable` is safe
/// ``add(sequence:kind:key:value:)`` has one caller at a time: the database serializes its writers. Everything else
/// may run on any thread concurrently with that writer. Readers take no lock because the skiplist publishes each
/// node with release stores only after writing it entirely, readers follow links with acquire loads, and nodes are
/// never changed, moved or freed while the memtable lives (see ``SkipList``). The counters are atomics. Range
/// deletions, which are rare, are kept apart in a list under a lock, and a read looks at them only when there are
/// some.
final class MemTable: @unchecked Sendable {
    /// The entries. Its `insert` is called only from `add`, which the caller serializes.
    let list = SkipList()
    /// The user keys of the entries, so a lookup of a key not here usually skips the walk down `list`.
    private let keyFilter: MemTableKeyFilter
    private let count = Atomic<Int>(0)
    private let deletions = Atomic<Int>(0)
    /// The range deletions, in the order written.
    private let rangeDeletions = Locked<[RangeTombstone]>([])
    /// How many there are: read without the lock, so reads of a memtable without any pay one load.
    private let rangeDeletionCount = Atomic<Int>(0)
    /// Bytes they take, roughly, counted toward the memtable's size.
    private let rangeDeletionBytes = Atomic<Int>(0)

    /// A memtable whose key filter is sized for about `expectedBytes` of entries (it works, less well, past them).
    init(expectedBytes: Int = Options().memtableSize) {
        keyFilter = MemTableKeyFilter(expectedBytes: expectedBytes)
    }

    /// Adds an entry: for ``ValueKind/rangeDeletion``, `key` is the range's start and `value` its end. Callers
    /// serialize calls to `add`; reads may run concurrently. `key` and `value` are copied.
    @inline(__always)
    func add(sequence: SequenceNumber, kind: ValueKind, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if kind == .rangeDeletion { return addRangeDeletion(sequence: sequence, start: key, end: value) }
        keyFilter.add(key)
        list.insert(userKey: key, trailer: packTrailer(sequence, kind), value: value)
        // One writer at a time: a plain load and store, not a locked read-modify-write.
        count.store(count.load(ordering: .relaxed) + 1, ordering: .relaxed)
        if kind == .deletion { deletions.store(deletions.load(ordering: .relaxed) + 1, ordering: .relaxed) }
    }

    /// Adds many entries at once, none a range deletion, in ascending internal-key order: what a large write
    /// batch or commit group does, so that the skiplist searches from one entry to the next instead of from its
    /// top for each (``SkipList/insert(sorted:)``). Callers serialize it with ``add(sequence:kind:key:value:)``.
    func add(sorted entries: UnsafeBufferPointer<SkipList.Entry>) {
        var deleted = 0
        for entry in entries {
            keyFilter.add(entry.userKey)
            if UInt8(truncatingIfNeeded: entry.trailer) == ValueKind.deletion.rawValue { deleted += 1 }
        }
        list.insert(sorted: entries)
        count.store(count.load(ordering: .relaxed) + entries.count, ordering: .relaxed)
        if deleted > 0 { deletions.store(deletions.load(ordering: .relaxed) + deleted, ordering: .relaxed) }
    }

    /// The newest entry for `userKey` whose sequence is <= `sequence` (sequences above ``maxSequenceNumber`` read
    /// everything).
    ///
    /// Seeks to `(userKey, sequence, .forSeek)`, which lands on the newest visible entry of `userKey` if there is
    /// one and otherwise on a later user key. `hash` is the key's ``BloomFilter/hash(_:)``, which a lookup computes
    /// once for the memtables' and the tables' filters.
    func get(_ userKey: UnsafeRawBufferPointer, hash: UInt64, sequence: SequenceNumber) -> LookupResult {
        let covering = hasRangeDeletions ? coveringRangeDeletion(userKey, atOrBelow: sequence) : nil
        guard keyFilter.mayContain(hash: hash) else { return covering == nil ? .notFound : .deleted }
        let trailer = packTrailer(min(sequence, maxSequenceNumber), .forSeek)
        guard let node = list.first(atOrAfter: userKey, trailer: trailer),
              compareBytes(node.userKey, userKey) == 0
        else { return covering == nil ? .notFound : .deleted }
        if let covering, node.trailer >> 8 < covering { return .deleted }
        switch UInt8(truncatingIfNeeded: node.trailer) {
        case ValueKind.deletion.rawValue: return .deleted
        case ValueKind.valueWithExpiry.rawValue:
            // Writes and log replay refuse an expiring value too short for its expiry.
            guard let (expiry, value) = ExpiringValue.split(node.value) else { return .deleted }
            return .foundExpiring(value.array, expiresAt: expiry)
        default: return .found(node.value.array)
        }
    }

    @inline(never)
    private func addRangeDeletion(
        sequence: SequenceNumber, start: UnsafeRawBufferPointer, end: UnsafeRawBufferPointer
    ) {
        let tombstone = RangeTombstone(start: start.array, end: end.array, sequence: sequence)
        rangeDeletions.withLock { $0.append(tombstone) }
        rangeDeletionBytes.store(rangeDeletionBytes.load(ordering: .relaxed) + start.count + end.count + 64,
                                 ordering: .relaxed)
        rangeDeletionCount.store(rangeDeletionCount.load(ordering: .relaxed) + 1, ordering: .releasing)
    }

    /// Whether any range deletion has been added.
    var hasRangeDeletions: Bool { rangeDeletionCount.load(ordering: .acquiring) > 0 }

    /// The highest sequence at or below `sequence` of a range deletion covering `userKey`, or nil.
    private func coveringRangeDeletion(
        _ userKey: UnsafeRawBufferPointer, atOrBelow sequence: SequenceNumber
    ) -> SequenceNumber? {
        rangeDeletions.withLock { tombstones in
            var highest: SequenceNumber?
            for tombstone in tombstones where tombstone.sequence <= sequence && tombstone.covers(userKey) {
                highest = max(highest ?? 0, tombstone.sequence)
            }
            return highest
        }
    }

    /// The range deletions written so far.
    var rangeTombstones: [RangeTombstone] {
        hasRangeDeletions ? rangeDeletions.withLock { $0 } : []
    }

    /// Bytes the entries take (see ``Arena/memoryUsage``); what decides when the memtable is full.
    var approximateMemoryUsage: Int { list.memoryUsage + rangeDeletionBytes.load(ordering: .relaxed) }

    /// Entries added so far (range deletions aside).
    var entryCount: Int { count.load(ordering: .relaxed) }

    /// Whether nothing, not even a range deletion, has been added.
    var isEmpty: Bool { entryCount == 0 && rangeDeletionCount.load(ordering: .relaxed) == 0 }

    /// Deletions among them.
    var deletionCount: Int { deletions.load(ordering: .relaxed) }

    /// An iterator over every entry in internal-key order; it keeps this memtable alive.
    func makeIterator() -> MemTableIterator {
        MemTableIterator(memTable: self)
    }
}
