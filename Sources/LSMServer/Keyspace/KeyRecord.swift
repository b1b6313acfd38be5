import LSM

/// A key's metadata record as read: its type, when it expires, and for a string its value.
struct KeyRecord: Sendable, Hashable {
    var type: KeyType
    /// When the key expires; nil when it does not.
    var expiresAt: Timestamp?
    /// For a string, its value; for a collection, its version and size (docs/FORMAT.md, "Server key encoding").
    var payload: ArraySlice<UInt8>

    /// Decodes a metadata record's value; nil when its first byte names no type (a damaged or foreign record).
    init?(record: [UInt8], expiresAt: Timestamp?) {
        guard let first = record.first, let type = KeyType(rawValue: first) else { return nil }
        self.type = type
        self.expiresAt = expiresAt
        payload = record[1...]
    }
}
