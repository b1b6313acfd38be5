import LSM

/// MGET, MSET and MSETNX: the string commands on several keys, each atomic as in Redis, where commands do not
/// interleave.
extension StringCommands {
    static let multipleKeyCommands: [Command] = [
        Command("mget", arity: -2, flags: ["readonly", "fast"], keys: (1, -1, 1),
                summary: "Atomically returns the string values of one or more keys.", run: mget),
        Command("mset", arity: -3, flags: ["write", "denyoom"], keys: (1, -1, 2),
                summary: "Atomically creates or modifies the string values of one or more keys.",
                writesBlindly: { _ in true }) { context in
            try mset(&context, command: "mset", onlyIfNoneExists: false)
        },
        Command("msetnx", arity: -3, flags: ["write", "denyoom"], keys: (1, -1, 2),
                summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.") {
            context in
            try mset(&context, command: "msetnx", onlyIfNoneExists: true)
        },
    ]

    /// MGET: each key's string, nil for a key that is missing or of another type (never `WRONGTYPE`). The keys
    /// are read at one moment, so an MSET is seen whole or not at all.
    private static func mget(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let keys = (1..<context.count).map { context.bytes($0) }
        let records = try context.keyspace.records(db: context.db, keys)
        return .array(records.map { record in
            context.server.statistics.countLookup(hit: record != nil)
            guard let record, record.type == .string else { return .null }
            return .bulkString(Array(record.payload))
        })
    }

    /// MSET and MSETNX (Redis's `msetGenericCommand`): sets every key to its value in one write batch, dropping
    /// their expiries and whatever type they held; a key given twice gets its last value. MSETNX first looks at
    /// every key under their locks and writes nothing (replying 0) when any exists, whatever its type.
    private static func mset(_ context: inout CommandContext, command: String, onlyIfNoneExists: Bool)
        throws(CommandError) -> RESPReply {
        // The arity admits an even count (a key without its value): Redis refuses it with the arity error too.
        guard context.count % 2 == 1 else { throw CommandError.wrongArity(command) }
        let pairs = stride(from: 1, to: context.count, by: 2).map {
            (key: context.bytes($0), value: context.bytes($0 + 1))
        }
        guard pairs.allSatisfy({ $0.value.count <= maxLength }) else { throw CommandError.stringTooLong }
        let db = context.db
        var batch = WriteBatch()
        for pair in pairs {
            Keyspace.putString(db: db, pair.key, pair.value, expiresAt: nil, into: &batch)
        }
        guard onlyIfNoneExists else {
            try context.writeBlindly(batch)
            return .simpleString("OK")
        }
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            for pair in pairs where try context.keyspace.record(db: db, pair.key) != nil {
                return .integer(0)
            }
            try context.write(batch)
            return .integer(1)
        }
    }
}
