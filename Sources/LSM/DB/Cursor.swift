/// A single-pass, throwing cursor over a range of a database, as of one point in time.
///
/// A cursor sees the database as it was when it was made (or as of its snapshot): later writes do not show.
/// It runs in one direction, chosen when it is made; ``seek(to:)`` repositions it. Keys come in bytewise order
/// (descending for a reverse cursor), each once, with its newest value; deleted keys, and values whose expiry is at
/// or before the moment the cursor was made (or its snapshot was taken), do not appear.
///
/// ```swift
/// let cursor = try db.cursor(from: Array("a".utf8), to: Array("m".utf8))
/// while let (key, value) = try cursor.next() { ... }
/// ```
///
/// A cursor is not thread-safe; make one per thread. It keeps the files it reads alive until it is released.
public final class Cursor {
    private let iterator: ReadPathMergingIterator
    private let sequence: SequenceNumber
    /// Values that expire at or before this moment read as deleted.
    private let time: Timestamp
    /// The range deletions of every memtable and table the cursor reads: an entry one of them covers at the
    /// cursor's sequence, and that is older than it, reads as deleted.
    private let rangeTombstones: RangeTombstoneSet
    /// Whether there are any: each step tests this flag rather than the set, which it would copy.
    private let hasRangeTombstones: Bool
    private let lower: [UInt8]?
    private let upper: [UInt8]?
    private let reverse: Bool
    /// Memtables, version and snapshot the cursor reads, held so they outlive it.
    private let pinned: [AnyObject]
    private var positioned = false
    private var seekKey: [UInt8]?
    // Unchecked: only this object's own methods touch it, one at a time (it is not thread-safe), and a checked
    // access to it costs more than the key copy it guards.
    /// The user key of the entry last passed going forward (whose older versions are skipped), in a buffer the
    /// cursor owns and reuses so that stepping allocates nothing.
    @exclusivity(unchecked) private var lastUserKey = KeyBuffer()
    private var hasLastUserKey = false

    /// When the value ``next()`` returned last expires; nil when it does not, before the first entry, after the
    /// range is exhausted and after ``seek(to:)``.
    // Unchecked for the reason `lastUserKey` is: stepping sets it, and a checked access costs more than the step.
    @exclusivity(unchecked) public private(set) var expiry: Timestamp?

    init(
        iterator: ReadPathMergingIterator, sequence: SequenceNumber, time: Timestamp,
        rangeTombstones: RangeTombstoneSet, lower: [UInt8]?, upper: [UInt8]?, reverse: Bool, pinned: [AnyObject]
    ) {
        self.iterator = iterator
        self.sequence = sequence
        self.time = time
        self.rangeTombstones = rangeTombstones
        hasRangeTombstones = !rangeTombstones.isEmpty
        self.lower = lower
        self.upper = upper
        self.reverse = reverse
        self.pinned = pinned
    }

    /// Whether the cursor runs from the last key to the first.
    public var isReverse: Bool { reverse }

    /// Moves the cursor so that ``next()`` returns, going forward, the first key >= `key`, or going in reverse, the
    /// last key <= `key` (always within the cursor's bounds).
    public func seek(to key: [UInt8]) {
        seekKey = key
        positioned = false
        expiry = nil
    }

    /// The next entry, or nil when the range is exhausted.
    public func next() throws(LSMError) -> (key: [UInt8], value: [UInt8])? {
        var entry: (key: [UInt8], value: [UInt8])?
        _ = try next { key, value in entry = (key.array, value.array) }
        return entry
    }

    /// Moves to the next entry and lends its key and value to `body` without copying them; returns false, without
    /// calling `body`, when the range is exhausted. The bytes are valid only during the call.
    public func next(
        borrowing body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void
    ) throws(LSMError) -> Bool {
        if !positioned {
            try position()
            positioned = true
        }
        let found = reverse ? try nextReverse(body) : try nextForward(body)
        if !found { expiry = nil }
        return found
    }

    private func position() throws(LSMError) {
        hasLastUserKey = false
        if reverse {
            // Start just below the tighter of the upper bound and the seek key's successor.
            var bound = upper
            if let seekKey {
                let successor = seekKey + [0]
                if bound == nil || compareBytes(successor, bound!) < 0 { bound = successor }
            }
            if let bound {
                try iterator.seek(makeInternalKey(bound, maxSequenceNumber, .forSeek))
                if iterator.isValid { try iterator.prev() } else { try iterator.seekToLast() }
            } else {
                try iterator.seekToLast()
            }
        } else {
            var start = lower
            if let seekKey, start == nil || compareBytes(seekKey, start!) > 0 { start = seekKey }
            if let start {
                try iterator.seek(makeInternalKey(start, sequence, .forSeek))
            } else {
                try iterator.seekToFirst()
            }
        }
    }

    private func nextForward(
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
    ) throws(LSMError) -> Bool {
        while iterator.isValid {
            let parsed = try currentKey()
            if parsed.sequence > sequence {
                try iterator.next()
                continue
            }
            if hasLastUserKey && compareBytes(lastUserKey.bytes, parsed.userKey) == 0 {
                try iterator.next()
                continue
            }
            if let upper, upper.withUnsafeBytes({ compareBytes(parsed.userKey, $0) }) >= 0 {
                return false
            }
            lastUserKey.assign(parsed.userKey)
            hasLastUserKey = true
            if isDeletedByRange(parsed) {
                try iterator.next()
                continue
            }
            switch parsed.kind {
            case .deletion:
                try iterator.next()
                continue
            case .rangeDeletion:
                throw LSMError.corruption("a data entry has the kind of a range deletion")
            case .value:
                expiry = nil
                body(lastUserKey.bytes, iterator.value)
            case .valueWithExpiry:
                let (entryExpiry, value) = try splitExpiringValue(iterator.value)
                if entryExpiry <= time {
                    try iterator.next()
                    continue
                }
                expiry = entryExpiry
                body(lastUserKey.bytes, value)
            }
            try iterator.next()
            return true
        }
        return false
    }

    /// Whether a range deletion the cursor sees covers `entry` and is newer than it.
    @inline(__always)
    private func isDeletedByRange(_ entry: ParsedInternalKey) -> Bool {
        guard hasRangeTombstones,
              let covering = rangeTombstones.coveringSequence(entry.userKey, atOrBelow: sequence) else { return false }
        return entry.sequence < covering
    }

    /// The expiry and user value of an expiring entry's stored value; damage when it is too short.
    @inline(__always)
    private func splitExpiringValue(
        _ stored: UnsafeRawBufferPointer
    ) throws(LSMError) -> (Timestamp, UnsafeRawBufferPointer) {
        guard let split = ExpiringValue.split(stored) else {
            throw LSMError.corruption("expiring value of \(stored.count) bytes is shorter than its expiry")
        }
        return split
    }

    /// The key the merged iterator is at, parsed.
    @inline(__always)
    private func currentKey() throws(LSMError) -> ParsedInternalKey {
        guard let parsed = ParsedInternalKey(iterator.key) else {
            throw LSMError.corruption("malformed internal key found while iterating")
        }
        return parsed
    }

    private func nextReverse(
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
    ) throws(LSMError) -> Bool {
        while iterator.isValid {
            let first = try currentKey()
            if let lower, lower.withUnsafeBytes({ compareBytes(first.userKey, $0) }) < 0 {
                return false
            }
            let userKey = first.userKey.array
            // Going backward, a key's versions come oldest first: the visible one is the last seen at or below
            // the cursor's sequence.
            var visibleKind: ValueKind?
            var visibleValue: [UInt8] = []
            var visibleExpiry: Timestamp?
            while iterator.isValid {
                let parsed = try currentKey()
                if userKey.withUnsafeBytes({ compareBytes($0, parsed.userKey) }) != 0 { break }
                if parsed.sequence <= sequence {
                    visibleKind = isDeletedByRange(parsed) ? .deletion : parsed.kind
                    visibleExpiry = nil
                    switch visibleKind ?? .deletion {
                    case .deletion: visibleValue = []
                    case .rangeDeletion:
                        throw LSMError.corruption("a data entry has the kind of a range deletion")
                    case .value: visibleValue = iterator.value.array
                    case .valueWithExpiry:
                        let (entryExpiry, value) = try splitExpiringValue(iterator.value)
                        visibleExpiry = entryExpiry
                        visibleValue = value.array
                    }
                }
                try iterator.prev()
            }
            if let visibleKind, visibleKind.isValue, visibleExpiry.map({ $0 > time }) ?? true {
                expiry = visibleExpiry
                userKey.withUnsafeBytes { key in visibleValue.withUnsafeBytes { value in body(key, value) } }
                return true
            }
        }
        return false
    }
}
