import LSM

/// How the server lays Redis keys out in the engine's one ordered key space (docs/FORMAT.md, "Server key
/// encoding").
///
/// Every key has one metadata record, `0x01 ‖ db ‖ key`, whose value starts with the key's ``KeyType``: a string's
/// value follows that byte; a collection's version and size follow it, and its members live in sub-key records
/// `0x02 ‖ db ‖ u32 key length ‖ key ‖ u64 version ‖ member` under that version, so that deleting, overwriting or
/// expiring a collection rewrites only its metadata record (the stale sub-keys are removed later by compaction).
/// A key's expiry is the engine's expiry of its metadata record. Records of one database are contiguous, so
/// FLUSHDB is two range deletions.
enum KeyEncoding {
    /// The first byte of every metadata record's engine key.
    static let metadataNamespace: UInt8 = 0x01
    /// The first byte of every sub-key record's engine key.
    static let subKeyNamespace: UInt8 = 0x02
    /// The bytes of a metadata record's engine key before the user key: namespace and database.
    static let metadataKeyPrefixSize = 2

    /// The engine key of `key`'s metadata record in database `db`.
    static func metadataKey(db: Int, _ key: some Collection<UInt8>) -> [UInt8] {
        withContiguousBytes(of: key) { key in withMetadataKey(db: db, key) { Array($0) } }
    }

    /// Calls `body` with the engine key of `key`'s metadata record in database `db` (as ``metadataKey(db:_:)``),
    /// laid out in temporary memory: what a write that needs no array of it passes to its batch.
    static func withMetadataKey<R, E: Error>(
        db: Int, _ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try withPrefixed(metadataNamespace, UInt8(db), key, body)
    }

    /// Calls `body` with the value of a metadata record of type `type` and payload `payload` (as
    /// ``record(_:_:)``), laid out in temporary memory.
    static func withRecord<R, E: Error>(
        _ type: KeyType, _ payload: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try withPrefixed(type.rawValue, nil, payload, body)
    }

    /// Calls `body` with `first`, then `second` when given, then `bytes`, in temporary memory (on the stack when
    /// small).
    private static func withPrefixed<R, E: Error>(
        _ first: UInt8, _ second: UInt8?, _ bytes: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let prefix = second == nil ? 1 : 2
        let result: Result<R, E> = withUnsafeTemporaryAllocation(byteCount: prefix + bytes.count, alignment: 1) {
            buffer in
            buffer[0] = first
            if let second { buffer[1] = second }
            UnsafeMutableRawBufferPointer(rebasing: buffer[prefix...]).copyMemory(from: bytes)
            return Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }

    /// The user key of a metadata record's engine key (the bytes after namespace and database).
    static func userKey(ofMetadataKey engineKey: UnsafeRawBufferPointer) -> [UInt8] {
        Array(engineKey.dropFirst(metadataKeyPrefixSize))
    }

    /// The engine keys bounding every metadata record of database `db`: `[0x01 ‖ db, 0x01 ‖ db + 1)`.
    static func metadataRange(db: Int) -> (start: [UInt8], end: [UInt8]) {
        ([metadataNamespace, UInt8(db)], [metadataNamespace, UInt8(db + 1)])
    }

    /// The engine keys bounding every sub-key record of database `db`.
    static func subKeyRange(db: Int) -> (start: [UInt8], end: [UInt8]) {
        ([subKeyNamespace, UInt8(db)], [subKeyNamespace, UInt8(db + 1)])
    }

    /// The value of a metadata record: the key's type byte, then its payload (a string's value; a collection's
    /// version and size).
    static func record(_ type: KeyType, _ payload: some Collection<UInt8>) -> [UInt8] {
        withContiguousBytes(of: payload) { payload in withRecord(type, payload) { Array($0) } }
    }

    /// Calls `body` with the bytes of `collection`, in place when it stores them contiguously.
    static func withContiguousBytes<R>(of collection: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) -> R)
        -> R {
        if let result = collection.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(collection).withUnsafeBytes(body)
    }
}
