/// Walks the entries of an encoded batch (a WAL record payload) without copying.
struct WriteBatchReader {
    /// Calls `body` with each entry's sequence, kind, key and value (empty for deletions; for an expiring
    /// value, its stored form: the expiry, then the value, as ``ExpiringValue`` reads it; for a range
    /// deletion, the key is its start and the value its end); returns the sequence
    /// after the last entry. Malformed bytes throw `.corruption` (the caller names the file and offset).
    static func forEach(
        _ encoded: UnsafeRawBufferPointer,
        _ body: (SequenceNumber, ValueKind, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(LSMError) -> Void
    ) throws(LSMError) -> (first: SequenceNumber, count: Int) {
        var header = ByteReader(encoded)
        guard let first = header.readFixed64(), let count = header.readFixed32() else {
            throw LSMError.corruption("write batch shorter than its 12-byte header")
        }
        let entries = UnsafeRawBufferPointer(rebasing: encoded[WriteBatch.headerSize...])
        return (first, try forEachEntry(entries, first: first, count: count, body))
    }

    /// Calls `body` with each entry of `entries` (a batch's bytes after its header), numbered from `first`, and
    /// checks there are `count` of them; returns how many there were. Malformed bytes throw `.corruption`.
    static func forEachEntry(
        _ entries: UnsafeRawBufferPointer, first: SequenceNumber, count: UInt32,
        _ body: (SequenceNumber, ValueKind, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(LSMError) -> Void
    ) throws(LSMError) -> Int {
        // Every entry's sequence must be a valid one; checked before the loop so no sum below can overflow.
        guard count == 0 || first <= maxSequenceNumber - (UInt64(count) - 1) else {
            throw LSMError.corruption("write batch of \(count) entries starting at sequence \(first) runs past the "
                                      + "largest sequence number \(maxSequenceNumber)")
        }
        var reader = ByteReader(entries)
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
            if kind != .deletion {
                guard let v = reader.readLengthPrefixed() else {
                    throw LSMError.corruption("write batch entry \(seen) has a truncated value")
                }
                guard kind != .valueWithExpiry || v.count >= ExpiringValue.prefixSize else {
                    throw LSMError.corruption("write batch entry \(seen) has an expiring value of \(v.count) bytes, "
                                              + "shorter than its \(ExpiringValue.prefixSize)-byte expiry")
                }
                guard kind != .rangeDeletion || compareBytes(key, v) < 0 else {
                    throw LSMError.corruption("write batch entry \(seen) is a range deletion whose end is not above "
                                              + "its start")
                }
                value = v
            }
            try body(first + UInt64(seen), kind, key, value)
            seen += 1
        }
        guard seen == count else {
            throw LSMError.corruption("write batch header says \(count) entries but holds \(seen)")
        }
        return Int(seen)
    }
}
