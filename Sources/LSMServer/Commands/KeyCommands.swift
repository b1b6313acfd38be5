import LSM

/// The generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME, RENAMENX, DBSIZE, FLUSHDB, FLUSHALL here;
/// expiry in KeyCommands+Expiry.swift; KEYS, SCAN and RANDOMKEY in KeyCommands+Scan.swift.
///
/// Flags and key positions are Redis 7's COMMAND INFO, but for DBSIZE, which counts by a scan here and so is not
/// `fast` (a fast read runs on the event loop).
enum KeyCommands {
    static let all: [Command] = [
        Command("del", arity: -2, flags: ["write"], keys: (1, -1, 1), summary: "Deletes one or more keys.", run: del),
        Command("unlink", arity: -2, flags: ["write", "fast"], keys: (1, -1, 1),
                summary: "Asynchronously deletes one or more keys.", run: del),
        Command("exists", arity: -2, flags: ["readonly", "fast"], keys: (1, -1, 1),
                summary: "Determines whether one or more keys exist.", run: countExisting),
        Command("touch", arity: -2, flags: ["readonly", "fast"], keys: (1, -1, 1),
                summary: "Returns the number of existing keys out of those specified after updating the time they "
                    + "were last accessed.", run: countExisting),
        Command("type", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1),
                summary: "Determines the type of value stored at a key.") { context in
            .simpleString(try context.keyspace.record(db: context.db, context.bytes(1))?.type.name ?? "none")
        },
        Command("rename", arity: 3, flags: ["write"], keys: (1, 2, 1), summary: "Renames a key and overwrites the "
                    + "destination.") { context in
            try rename(&context, onlyIfAbsent: false)
        },
        Command("renamenx", arity: 3, flags: ["write", "fast"], keys: (1, 2, 1),
                summary: "Renames a key only when the target key name doesn't exist.") { context in
            try rename(&context, onlyIfAbsent: true)
        },
        Command("dbsize", arity: 1, flags: ["readonly"], summary: "Returns the number of keys in the database.") {
            context in
            .integer(Int64(try context.keyspace.count(db: context.db)))
        },
        Command("flushdb", arity: -1, flags: ["write"], summary: "Removes all keys from the current database.") {
            context in
            try flush(&context, databases: [context.db])
        },
        Command("flushall", arity: -1, flags: ["write"], summary: "Removes all keys from all databases.") { context in
            try flush(&context, databases: Array(0..<Keyspace.databaseCount))
        },
    ] + expiryCommands + scanCommands

    /// DEL and UNLINK (deleting is constant time either way): how many of the keys existed, each counted once.
    private static func del(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let keys = (1..<context.count).map { context.bytes($0) }
        let db = context.db
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            var batch = WriteBatch()
            var deleted: Set<[UInt8]> = []
            for key in keys where !deleted.contains(key) {
                if try context.keyspace.record(db: db, key) != nil {
                    Keyspace.delete(db: db, key, into: &batch)
                    deleted.insert(key)
                }
            }
            if !batch.isEmpty { try context.write(batch) }
            return .integer(Int64(deleted.count))
        }
    }

    /// EXISTS and TOUCH (there is no access time to update): how many of the arguments name a live key, a key
    /// named twice counting twice, as in Redis.
    private static func countExisting(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        var found: Int64 = 0
        for index in 1..<context.count where try context.keyspace.record(db: context.db, context.bytes(index)) != nil {
            found += 1
        }
        return .integer(found)
    }

    /// RENAME and RENAMENX: the source's record, expiry included, moves to the destination in one batch, under
    /// the write lock. `ERR no such key` when the source does not exist; a key renamed to itself is left as it
    /// is (OK, or 0 for RENAMENX). A destination of any type is overwritten.
    ///
    /// Only strings can be renamed for now: a collection's members are stored under its name, so renaming one
    /// means moving them all, which is not written yet; such a key gets an error saying so.
    private static func rename(_ context: inout CommandContext, onlyIfAbsent: Bool) throws(CommandError)
        -> RESPReply {
        let source = context.bytes(1)
        let destination = context.bytes(2)
        let db = context.db
        return try context.keyspace.serializingWrites {
            () throws(CommandError) -> RESPReply in
            guard let record = try context.keyspace.record(db: db, source) else { throw CommandError.noSuchKey }
            if source == destination { return onlyIfAbsent ? .integer(0) : .simpleString("OK") }
            if onlyIfAbsent, try context.keyspace.record(db: db, destination) != nil { return .integer(0) }
            guard record.type == .string else {
                throw CommandError("ERR renaming a key that holds a \(record.type.name) is not supported yet")
            }
            var batch = WriteBatch()
            Keyspace.put(db: db, destination, record, into: &batch)
            Keyspace.delete(db: db, source, into: &batch)
            try context.write(batch)
            return onlyIfAbsent ? .integer(1) : .simpleString("OK")
        }
    }

    /// FLUSHDB and FLUSHALL: two range deletions per database, whatever it holds; `ASYNC` and `SYNC` are accepted
    /// (both are constant time here).
    private static func flush(_ context: inout CommandContext, databases: [Int]) throws(CommandError) -> RESPReply {
        if context.count > 2 { throw CommandError.syntax }
        if context.count == 2 && !["ASYNC", "SYNC"].contains(context.option(1)) { throw CommandError.syntax }
        var batch = WriteBatch()
        for db in databases { Keyspace.deleteAll(db: db, into: &batch) }
        try context.keyspace.serializingWrites { () throws(CommandError) in try context.write(batch) }
        return .simpleString("OK")
    }
}
