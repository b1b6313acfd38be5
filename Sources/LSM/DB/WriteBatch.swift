/// A group of puts and deletes applied atomically: after a crash either all of them are recovered or none.
///
/// Encoded as the WAL stores it: an 8-byte starting sequence number and a 4-byte entry count (both filled in
/// when the batch is written), then each entry as a kind byte, the length-prefixed key and, for puts, the
/// length-prefixed value.
public struct WriteBatch: Sendable, Hashable {
    static let headerSize = 12

    private(set) var encoded: [UInt8]
    /// Number of puts and deletes in the batch.
    public private(set) var count: Int = 0
    private(set) var largestKey = 0
    private(set) var largestValue = 0

    public init() {
        encoded = [UInt8](repeating: 0, count: WriteBatch.headerSize)
    }

    /// Sets `key` to `value` when the batch is written. The bytes are copied into the batch's encoding directly.
    public mutating func put<Key: ContiguousRawBytes & ~Escapable, Value: ContiguousRawBytes & ~Escapable>(
        _ key: Key, _ value: Value
    ) {
        key.withRawBytes { key in value.withRawBytes { value in appendEntry(.value, key, value) } }
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

    /// Appends one entry: a put when `value` is given, a deletion otherwise.
    private mutating func appendEntry(
        _ kind: ValueKind, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?
    ) {
        // One growth for the whole entry (doubling, so a long batch still appends in amortized constant time)
        // rather than one per part.
        let valueLength = value.map { varintLength(UInt64($0.count)) + $0.count } ?? 0
        let needed = encoded.count + 1 + varintLength(UInt64(key.count)) + key.count + valueLength
        if needed > encoded.capacity { encoded.reserveCapacity(max(needed, 2 * encoded.capacity)) }
        encoded.append(kind.rawValue)
        encoded.appendLengthPrefixed(key)
        if let value {
            encoded.appendLengthPrefixed(value)
            largestValue = max(largestValue, value.count)
        }
        count += 1
        largestKey = max(largestKey, key.count)
    }

    /// Removes every entry.
    public mutating func clear() { self = WriteBatch() }

    public var isEmpty: Bool { count == 0 }

    /// Bytes the batch takes in the log.
    public var byteCount: Int { encoded.count }

    /// Throws when a key, a value or the whole batch is beyond ``Limits``.
    func validate() throws(LSMError) {
        if largestKey > Limits.maxKeySize {
            throw LSMError(.keyTooLarge, "key of \(largestKey) bytes exceeds the limit of \(Limits.maxKeySize)")
        }
        if largestValue > Limits.maxValueSize {
            throw LSMError(.valueTooLarge, "value of \(largestValue) bytes exceeds the limit of \(Limits.maxValueSize)")
        }
        if encoded.count > Limits.maxBatchSize {
            throw LSMError(.batchTooLarge, "batch of \(encoded.count) bytes exceeds the limit of \(Limits.maxBatchSize)")
        }
    }

    /// Appends `other`'s entries (group commit merges the batches of waiting writers into one log record).
    mutating func append(contentsOf other: WriteBatch) {
        encoded.append(contentsOf: other.encoded[WriteBatch.headerSize...])
        count += other.count
        largestKey = max(largestKey, other.largestKey)
        largestValue = max(largestValue, other.largestValue)
    }

    /// Stamps the first sequence number and the count into the header.
    mutating func setSequence(_ sequence: SequenceNumber) {
        encoded.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: UInt32(truncatingIfNeeded: count).littleEndian, toByteOffset: 8, as: UInt32.self)
        }
    }
}

/// Walks the entries of an encoded batch (a WAL record payload) without copying.
struct WriteBatchReader {
    /// Calls `body` with each entry's sequence, kind, key and value (empty for deletions); returns the sequence
    /// after the last entry. Malformed bytes throw `.corruption` (the caller names the file and offset).
    static func forEach(
        _ encoded: UnsafeRawBufferPointer,
        _ body: (SequenceNumber, ValueKind, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(LSMError) -> Void
    ) throws(LSMError) -> (first: SequenceNumber, count: Int) {
        var reader = ByteReader(encoded)
        guard let first = reader.readFixed64(), let count = reader.readFixed32() else {
            throw LSMError.corruption("write batch shorter than its 12-byte header")
        }
        // Every entry's sequence must be a valid one; checked before the loop so no sum below can overflow.
        guard count == 0 || first <= maxSequenceNumber - (UInt64(count) - 1) else {
            throw LSMError.corruption("write batch of \(count) entries starting at sequence \(first) runs past the "
                                      + "largest sequence number \(maxSequenceNumber)")
        }
        var seen: UInt32 = 0
        while !reader.isAtEnd {
            guard seen < count else {
                throw LSMError.corruption("write batch holds more entries than the \(count) its header says")
            }
            guard let rawKind = reader.readByte(), let kind = ValueKind(rawValue: rawKind) else {
                throw LSMError.corruption("write batch entry \(seen) has an unknown kind")
            }
            guard let key = reader.readLengthPrefixed() else {
                throw LSMError.corruption("write batch entry \(seen) has a truncated key")
            }
            var value = UnsafeRawBufferPointer(start: nil, count: 0)
            if kind == .value {
                guard let v = reader.readLengthPrefixed() else {
                    throw LSMError.corruption("write batch entry \(seen) has a truncated value")
                }
                value = v
            }
            try body(first + UInt64(seen), kind, key, value)
            seen += 1
        }
        guard seen == count else {
            throw LSMError.corruption("write batch header says \(count) entries but holds \(seen)")
        }
        return (first, Int(seen))
    }
}
