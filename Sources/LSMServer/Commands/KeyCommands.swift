import LSM

/// The generic key commands: DEL, EXISTS, DBSIZE, FLUSHDB, FLUSHALL here; expiry in KeyCommands+Expiry.swift;
/// KEYS, SCAN and RANDOMKEY in KeyCommands+Scan.swift.
enum KeyCommands {
    static let all: [Command] = [
        Command("del", arity: -2, flags: ["write"], keys: (1, -1, 1), summary: "Deletes one or more keys.", run: del),
        Command("exists", arity: -2, flags: ["readonly", "fast"], keys: (1, -1, 1),
                summary: "Determines whether one or more keys exist.") { context in
            var found: Int64 = 0
            for index in 1..<context.count where try context.keyspace.record(db: context.db, context.bytes(index)) != nil {
                found += 1
            }
            return .integer(found)
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

    private static func del(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let keys = (1..<context.count).map { context.bytes($0) }
        let db = context.db
        return try context.keyspace.locks.withLocks(db: db, keys) { () throws(CommandError) -> RESPReply in
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

    /// FLUSHDB and FLUSHALL: two range deletions per database, whatever it holds; `ASYNC` and `SYNC` are accepted
    /// (both are constant time here).
    private static func flush(_ context: inout CommandContext, databases: [Int]) throws(CommandError) -> RESPReply {
        if context.count > 2 { throw CommandError.syntax }
        if context.count == 2 && !["ASYNC", "SYNC"].contains(context.option(1)) { throw CommandError.syntax }
        var batch = WriteBatch()
        for db in databases { Keyspace.deleteAll(db: db, into: &batch) }
        try context.keyspace.locks.withAllLocks { () throws(CommandError) in try context.write(batch) }
        return .simpleString("OK")
    }
}
