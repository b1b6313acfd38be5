/// A group of puts and deletes applied atomically: after a crash either all of them are recovered or none.
///
/// Encoded as the WAL stores it: an 8-byte starting sequence number and a 4-byte entry count (both filled in
/// when the batch is written), then each entry as a kind byte, the length-prefixed key and, for puts, the
/// length-prefixed value (preceded, for a put that expires, by its expiry).
public struct WriteBatch: Sendable, Hashable {
    static let headerSize = 12

    private(set) var encoded: [UInt8]
    /// Number of puts and deletes in the batch.
    public private(set) var count: Int = 0
    private(set) var largestKey = 0
    private(set) var largestValue = 0
    /// Whether a range deletion was given a start above its end, which ``validate()`` refuses.
    private var hasInvertedRange = false

    public init() {
        // Room for a small entry or two past the header, so that a batch of one small put allocates once.
        self.init(reservingEntryBytes: Self.initialEntryBytes)
    }

    /// The entry bytes a new batch has room for before it grows.
    static let initialEntryBytes = 116

    /// An empty batch with room for `entryBytes` bytes of entries (see ``entrySize(key:value:)``), so a batch built
    /// for one put allocates once.
    init(reservingEntryBytes entryBytes: Int) {
        encoded = []
        encoded.reserveCapacity(WriteBatch.headerSize + entryBytes)
        encoded.append(contentsOf: repeatElement(0, count: WriteBatch.headerSize))
    }

    /// The bytes an entry with a key of `key` bytes and a value of `value` bytes (nil: a deletion) takes, with an
    /// expiry when `expiring`.
    @inline(__always)
    static func entrySize(key: Int, value: Int?, expiring: Bool = false) -> Int {
        var size = 1 + varintLength(UInt64(key)) + key
        if let value {
            let stored = expiring ? value + ExpiringValue.prefixSize : value
            size += varintLength(UInt64(stored)) + stored
        }
        return size
    }

    /// Sets `key` to `value` when the batch is written. The bytes are copied into the batch's encoding directly.
    public mutating func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value
    ) {
        key.withRawBytes { key in value.withRawBytes { value in appendEntry(.value, key, value) } }
    }

    /// Sets `key` to `value` when the batch is written, until `expiresAt`: from then on reads find no value, as if
    /// the key had been deleted at that moment (``Database/put(_:_:expiresAt:sync:)``).
    public mutating func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value, expiresAt: Timestamp
    ) {
        key.withRawBytes { key in value.withRawBytes { value in appendEntry(.valueWithExpiry, key, value, expiresAt) } }
    }

    /// Sets `key` to `value` until `expiresAt` when the batch is written (this form also takes array literals).
    public mutating func put(_ key: [UInt8], _ value: [UInt8], expiresAt: Timestamp) {
        key.withUnsafeBytes { key in
            value.withUnsafeBytes { value in appendEntry(.valueWithExpiry, key, value, expiresAt) }
        }
    }

    /// Removes `key` when the batch is written.
    public mutating func delete<Key: ContiguousRawBytes & ~Escapable>(_ key: Key) {
        key.withRawBytes { key in appendEntry(.deletion, key, nil) }
    }

    /// Sets `key` to `value` when the batch is written (this form also takes array literals).
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        key.withUnsafeBytes { key in value.withUnsafeBytes { value in appendEntry(.value, key, value) } }
    }

    /// Removes `key` when the batch is written (this form also takes array literals).
    public mutating func delete(_ key: [UInt8]) {
        key.withUnsafeBytes { key in appendEntry(.deletion, key, nil) }
    }

    /// Removes every key from `start` (inclusive) to `end` (exclusive) when the batch is written, as
    /// ``Database/deleteRange(from:to:sync:)`` does. An empty range (`start == end`) adds nothing; a start above the
    /// end makes the write fail with ``LSMError/Code/invalidArgument``.
    public mutating func deleteRange<Start: ContiguousRawBytes & ~Escapable, End: ContiguousRawBytes & ~Escapable>(
        from start: Start, to end: End
    ) {
        start.withRawBytes { start in end.withRawBytes { end in appendRangeDeletion(start, end) } }
    }

    /// Removes every key from `start` (inclusive) to `end` (exclusive) when the batch is written (this form also
    /// takes array literals).
    public mutating func deleteRange(from start: [UInt8], to end: [UInt8]) {
        start.withUnsafeBytes { start in end.withUnsafeBytes { end in appendRangeDeletion(start, end) } }
    }

    private mutating func appendRangeDeletion(_ start: UnsafeRawBufferPointer, _ end: UnsafeRawBufferPointer) {
        let order = compareBytes(start, end)
        if order > 0 { hasInvertedRange = true }
        if order < 0 { appendEntry(.rangeDeletion, start, end) }
    }

    /// Appends one entry: a put when `value` is given (expiring at `expiry` when that is given), a deletion
    /// otherwise.
    private mutating func appendEntry(
        _ kind: ValueKind, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?,
        _ expiry: Timestamp? = nil
    ) {
        // One growth for the whole entry (doubling, so a long batch still appends in amortized constant time)
        // rather than one per part.
        let size = Self.entrySize(key: key.count, value: value?.count, expiring: expiry != nil)
        let needed = encoded.count + size
        if needed > encoded.capacity { encoded.reserveCapacity(max(needed, 2 * encoded.capacity)) }
        encoded.append(addingCapacity: size) { (output: inout OutputSpan<UInt8>) in
            output.withUnsafeMutableBufferPointer { buffer, initialized in
                initialized = Self.encodeEntry(kind, key, value, expiresAt: expiry,
                                               into: UnsafeMutableRawBufferPointer(buffer))
            }
        }
        if let value {
            // A range deletion's "value" is the end of its range: a key.
            if kind == .rangeDeletion {
                largestKey = max(largestKey, value.count)
            } else {
                largestValue = max(largestValue, value.count)
            }
        }
        count += 1
        largestKey = max(largestKey, key.count)
    }

    /// Encodes one entry (a put when `value` is given, expiring at `expiry` when that is given, a deletion
    /// otherwise; for a range deletion, `key` is its start and `value` its end) at the start of `buffer`, which
    /// holds at least ``entrySize(key:value:expiring:)`` bytes; returns that size. `kind` is
    /// ``ValueKind/valueWithExpiry`` exactly when `expiry` is given. The bytes: docs/FORMAT.md, "Write batch".
    @inline(__always)
    static func encodeEntry(
        _ kind: ValueKind, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?,
        expiresAt expiry: Timestamp? = nil, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(buffer.count >= entrySize(key: key.count, value: value?.count, expiring: expiry != nil),
                     "entry buffer too small")
        assert((kind == .valueWithExpiry) == (expiry != nil), "an expiry goes with an expiring value only")
        buffer[0] = kind.rawValue
        let offset = buffer.storeLengthPrefixed(key, at: 1)
        guard let value else { return offset }
        guard let expiry else { return buffer.storeLengthPrefixed(value, at: offset) }
        return encodeExpiringValue(value, expiry, into: buffer, at: offset)
    }

    /// Stores an expiring put's value (its length, the expiry, the value) at `offset`; returns the offset after it.
    private static func encodeExpiringValue(
        _ value: UnsafeRawBufferPointer, _ expiry: Timestamp, into buffer: UnsafeMutableRawBufferPointer, at offset: Int
    ) -> Int {
        var offset = buffer.storeVarint64(UInt64(ExpiringValue.prefixSize + value.count), at: offset)
        ExpiringValue.storeExpiry(expiry, into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
        offset += ExpiringValue.prefixSize
        UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]).copyMemory(from: value)
        return offset + value.count
    }

    /// Removes every entry.
    public mutating func clear() { self = WriteBatch() }

    public var isEmpty: Bool { count == 0 }

    /// Bytes the batch takes in the log.
    public var byteCount: Int { encoded.count }

    /// Throws what ``Database/write(_:sync:)-6ld9p`` would refuse the batch for: a key, a value or the whole batch
    /// beyond ``Limits`` (``LSMError/Code/keyTooLarge``, ``LSMError/Code/valueTooLarge``,
    /// ``LSMError/Code/batchTooLarge``), or a range deletion whose start is above its end
    /// (``LSMError/Code/invalidArgument``). A caller that merges batches checks each before merging, so that one
    /// bad batch does not fail the others'.
    public func validate() throws(LSMError) {
        if hasInvertedRange {
            throw LSMError(.invalidArgument, "a range deletion's start is above its end")
        }
        try Self.validate(largestKey: largestKey, largestValue: largestValue, byteCount: encoded.count)
    }

    /// Throws when a batch whose largest key and value have these sizes, and which encodes to `byteCount` bytes
    /// with its header, is beyond ``Limits``.
    static func validate(largestKey: Int, largestValue: Int, byteCount: Int) throws(LSMError) {
        if largestKey > Limits.maxKeySize {
            throw LSMError(.keyTooLarge, "key of \(largestKey) bytes exceeds the limit of \(Limits.maxKeySize)")
        }
        if largestValue > Limits.maxValueSize {
            throw LSMError(.valueTooLarge, "value of \(largestValue) bytes exceeds the limit of \(Limits.maxValueSize)")
        }
        if byteCount > Limits.maxBatchSize {
            throw LSMError(.batchTooLarge, "batch of \(byteCount) bytes exceeds the limit of \(Limits.maxBatchSize)")
        }
    }

    /// Appends `other`'s entries after this batch's, so that both are written as one atomic batch (as several
    /// writers' batches are merged for one log record).
    public mutating func append(contentsOf other: WriteBatch) {
        encoded.append(contentsOf: other.encoded[WriteBatch.headerSize...])
        count += other.count
        hasInvertedRange = hasInvertedRange || other.hasInvertedRange
        largestKey = max(largestKey, other.largestKey)
        largestValue = max(largestValue, other.largestValue)
    }

    /// Calls `body` with the batch's entries: its encoding after the header, which a write logs behind a header
    /// stamped with its sequence (``withLogRecordHeader(firstSequence:count:_:)``).
    func withEntries<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try encoded.withBytes { (bytes: UnsafeRawBufferPointer) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: bytes[WriteBatch.headerSize...]))
        }
    }

    /// Calls `body` with the header of the log record that commits `count` entries numbered from `firstSequence`,
    /// built on the stack: the record is this header followed by the entries, so no batch is copied to be stamped.
    static func withLogRecordHeader<R, E: Error>(
        firstSequence: SequenceNumber, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try withUnsafeTemporaryAllocation(byteCount: WriteBatch.headerSize, alignment: 8) {
            (header: UnsafeMutableRawBufferPointer) throws(E) -> R in
            header.storeBytes(of: firstSequence.littleEndian, toByteOffset: 0, as: UInt64.self)
            header.storeBytes(of: UInt32(truncatingIfNeeded: count).littleEndian, toByteOffset: 8, as: UInt32.self)
            return try body(UnsafeRawBufferPointer(header))
        }
    }
}
