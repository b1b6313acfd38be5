import LSM

/// INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT: arithmetic on a string holding a number, 0 for a missing key. Each
/// reads and writes under the key's lock, so concurrent increments all count; the key keeps its expiry.
extension StringCommands {
    static let counterCommands: [Command] = [
        Command("incr", arity: 2, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Increments the integer value of a key by one. "
                    + "Uses 0 as initial value if the key doesn't exist.") { context in
            try increment(&context, by: 1)
        },
        Command("decr", arity: 2, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Decrements the integer value of a key by one. "
                    + "Uses 0 as initial value if the key doesn't exist.") { context in
            try increment(&context, by: -1)
        },
        Command("incrby", arity: 3, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Increments the integer value of a key by a number. "
                    + "Uses 0 as initial value if the key doesn't exist.") { context in
            try increment(&context, by: context.integer(2))
        },
        Command("decrby", arity: 3, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Decrements a number from the integer value of a key. "
                    + "Uses 0 as initial value if the key doesn't exist.") { context in
            let decrement = try context.integer(2)
            // Its negation does not exist; Redis refuses it before looking at the key.
            guard decrement != .min else { throw CommandError("ERR decrement would overflow") }
            return try increment(&context, by: -decrement)
        },
        Command("incrbyfloat", arity: 3, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Increment the floating point value of a key by a number. "
                    + "Uses 0 as initial value if the key doesn't exist.", run: incrbyfloat),
    ]

    /// INCR, DECR, INCRBY and DECRBY (Redis's `incrDecrCommand`): the key's value must be an integer in Redis's
    /// strict form (`" 1"`, `"01"`, `"1.0"` are not), and the sum must fit 64 bits.
    private static func increment(_ context: inout CommandContext, by increment: Int64) throws(CommandError)
        -> RESPReply {
        let key = context.bytes(1)
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            let record = try context.keyspace.stringRecord(db: context.db, key)
            var value: Int64 = 0
            if let record {
                guard let current = RedisNumber.integer(record.payload) else { throw CommandError.notInteger }
                value = current
            }
            let (sum, overflow) = value.addingReportingOverflow(increment)
            guard !overflow else { throw CommandError.overflow }
            var batch = WriteBatch()
            put(context, key, RedisNumber.text(sum), expiresAt: record?.expiresAt, into: &batch)
            try context.write(batch)
            return .integer(sum)
        }
    }

    /// INCRBYFLOAT: adds in C's `long double` as Redis does and stores the sum in Redis's fixed-point form
    /// (`1e3` plus 0 stores `1000`; `0.1` plus `0.2` stores `0.3` on x86_64). The type is checked first, then the
    /// value, then the increment; both read as `strtold` reads them, so `inf` is read but a sum that is infinite
    /// is refused.
    private static func incrbyfloat(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let key = context.bytes(1)
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            let record = try context.keyspace.stringRecord(db: context.db, key)
            var value: RedisNumber.LongDouble = 0
            if let record {
                guard let current = RedisNumber.longDouble(record.payload) else { throw CommandError.notFloat }
                value = current
            }
            guard let increment = RedisNumber.longDouble(context.arguments[2].readableBytesView) else {
                throw CommandError.notFloat
            }
            let sum = value + increment
            guard sum.isFinite else { throw CommandError("ERR increment would produce NaN or Infinity") }
            let text = RedisNumber.text(sum)
            var batch = WriteBatch()
            put(context, key, text, expiresAt: record?.expiresAt, into: &batch)
            try context.write(batch)
            return .bulkString(text)
        }
    }
}
