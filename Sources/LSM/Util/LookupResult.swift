/// What a point lookup in one layer (memtable or table) found for a user key at a sequence.
enum LookupResult: Equatable {
    /// The newest visible entry is a value.
    case found([UInt8])
    /// The newest visible entry is a value that expires at `expiresAt`; the reader decides whether it has.
    case foundExpiring([UInt8], expiresAt: Timestamp)
    /// The newest visible entry is a tombstone: older layers must not be consulted.
    case deleted
    /// This layer holds no visible entry for the key.
    case notFound
}
