import LSM
import NIOConcurrencyHelpers

/// The Redis key spaces (databases 0 to ``databaseCount`` − 1) over one engine database: reads and writes of
/// keys' records in the layout of ``KeyEncoding``, and the lock that makes read-modify-write commands atomic.
final class Keyspace: Sendable {
    /// How many databases SELECT can choose from, as Redis's default `databases 16`.
    static let databaseCount = 16

    private let storage: Database
    /// Held by every command that writes, from its first read to its write.
    private let writeLock = NIOLock()
    /// The write thread's round of merged writes.
    let roundWrites = RoundWrites()

    init(database: Database) {
        storage = database
    }

    /// The engine database, for reading it: on the write thread in a round, what the round has written so far
    /// goes to the engine first, so that reads see it.
    var database: Database {
        if roundWrites.isBuffering { roundWrites.flush(to: storage) }
        return storage
    }

    /// Runs `body`, a command's reads and writes, while no other command writes: read-modify-write commands (INCR,
    /// APPEND, SET NX, RENAME, MSETNX...) are atomic against each other. Reads outside it see each command's batch
    /// whole or not at all. The server runs every writing command on its one write thread, so the lock is never
    /// contended there; it makes the command layer atomic wherever it is called from.
    func serializingWrites<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        writeLock.lock()
        defer { writeLock.unlock() }
        return try body()
    }

    /// The clock expiry is judged by: the engine's.
    var clock: WallClock { storage.options.clock }

    /// The record of `key` in database `db`, or nil when the key does not exist (or has expired); as of `snapshot`
    /// when one is given.
    func record(db: Int, _ key: [UInt8], snapshot: Snapshot? = nil) throws(CommandError) -> KeyRecord? {
        try key.withRawBytes { (key) throws(CommandError) in try record(db: db, key, snapshot: snapshot) }
    }

    /// ``record(db:_:snapshot:)`` of a key read where it lies.
    func record(db: Int, _ key: UnsafeRawBufferPointer, snapshot: Snapshot? = nil) throws(CommandError) -> KeyRecord? {
        // A key too long for the engine was never written: it does not exist (the engine would refuse the read).
        guard KeyEncoding.metadataKeyPrefixSize + key.count <= Limits.maxKeySize else { return nil }
        let found: (value: [UInt8], expiresAt: Timestamp?)?
        do {
            found = try KeyEncoding.withMetadataKey(db: db, key) { (engineKey) throws(LSMError) in
                try database.getWithExpiry(engineKey, snapshot: snapshot)
            }
        } catch {
            throw CommandError(error)
        }
        guard let found else { return nil }
        guard let record = KeyRecord(record: found.value, expiresAt: found.expiresAt) else {
            throw CommandError.damagedRecord
        }
        return record
    }

    /// The record of `key` when it holds a string, nil when the key does not exist; `WRONGTYPE` when it holds
    /// another type.
    func stringRecord(db: Int, _ key: [UInt8]) throws(CommandError) -> KeyRecord? {
        guard let record = try record(db: db, key) else { return nil }
        guard record.type == .string else { throw CommandError.wrongType }
        return record
    }

    /// Applies `batch` (not synced: the write thread syncs writes as `appendfsync` says). On the write thread in a
    /// round, the batch joins the round's writes (``RoundWrites``) once it is checked.
    func write(_ batch: WriteBatch) throws(CommandError) {
        do {
            if roundWrites.isBuffering {
                try batch.validate()
                roundWrites.add(batch, to: storage)
            } else {
                try storage.write(batch)
            }
        } catch {
            throw CommandError(writing: error)
        }
    }

    /// Applies `batch`, already checked, if the engine can take it without waiting
    /// (``Database/writeWithoutWaiting(_:)``); false, having written nothing, when it cannot or the write fails
    /// (a writer that may wait then writes it, and reports the failure).
    func writeWithoutWaiting(_ batch: WriteBatch) -> Bool {
        (try? storage.writeWithoutWaiting(batch)) ?? false
    }

    /// Adds to `batch` the write that makes `key` a string holding `value`, expiring at `expiresAt` (nil: never).
    static func putString(db: Int, _ key: [UInt8], _ value: some Collection<UInt8>, expiresAt: Timestamp?,
                          into batch: inout WriteBatch) {
        key.withUnsafeBytes { key in
            KeyEncoding.withContiguousBytes(of: value) { putString(db: db, key, $0, expiresAt: expiresAt, into: &batch) }
        }
    }

    /// Adds to `batch` the write that makes `key` a string holding `value`, expiring at `expiresAt` (nil: never),
    /// both read where they lie: with no array made of key, value or their encodings.
    static func putString(db: Int, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer,
                          expiresAt: Timestamp?, into batch: inout WriteBatch) {
        putRecord(db: db, key, .string, value, expiresAt: expiresAt, into: &batch)
    }

    /// Adds to `batch` the deletion of `key`, read where it lies.
    static func delete(db: Int, _ key: UnsafeRawBufferPointer, into batch: inout WriteBatch) {
        KeyEncoding.withMetadataKey(db: db, key) { batch.delete($0) }
    }

    /// Adds to `batch` the write that stores `record` as the record of `key`, expiring at its `expiresAt` (nil:
    /// never). A collection's members stay where they are: its record keeps their version.
    static func put(db: Int, _ key: [UInt8], _ record: KeyRecord, into batch: inout WriteBatch) {
        key.withUnsafeBytes { key in
            record.payload.withUnsafeBytes { payload in
                putRecord(db: db, key, record.type, payload, expiresAt: record.expiresAt, into: &batch)
            }
        }
    }

    /// Adds to `batch` the put of `key`'s metadata record, of type `type` and payload `payload`, with the engine's
    /// expiry when it expires; key and payload are read where they lie.
    private static func putRecord(db: Int, _ key: UnsafeRawBufferPointer, _ type: KeyType,
                                  _ payload: UnsafeRawBufferPointer, expiresAt: Timestamp?,
                                  into batch: inout WriteBatch) {
        KeyEncoding.withMetadataKey(db: db, key) { engineKey in
            KeyEncoding.withRecord(type, payload) { value in
                if let expiresAt {
                    batch.put(engineKey, value, expiresAt: expiresAt)
                } else {
                    batch.put(engineKey, value)
                }
            }
        }
    }

    /// Adds to `batch` the deletion of `key`: its metadata record (a collection's members go with compaction).
    static func delete(db: Int, _ key: [UInt8], into batch: inout WriteBatch) {
        key.withUnsafeBytes { delete(db: db, $0, into: &batch) }
    }

    /// Adds to `batch` the deletion of every key of database `db`: two range deletions, whatever their number.
    static func deleteAll(db: Int, into batch: inout WriteBatch) {
        let metadata = KeyEncoding.metadataRange(db: db)
        batch.deleteRange(from: metadata.start, to: metadata.end)
        let subKeys = KeyEncoding.subKeyRange(db: db)
        batch.deleteRange(from: subKeys.start, to: subKeys.end)
    }

    /// How many live keys database `db` holds, counted by a scan of its records.
    func count(db: Int) throws(CommandError) -> Int {
        let range = KeyEncoding.metadataRange(db: db)
        var count = 0
        do {
            let cursor = try database.cursor(from: range.start, to: range.end)
            while try cursor.next(borrowing: { _, _ in }) { count += 1 }
        } catch {
            throw CommandError(error)
        }
        return count
    }
}
