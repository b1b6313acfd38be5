import LSM

/// APPEND, STRLEN, GETRANGE (and its old name SUBSTR) and SETRANGE: the commands on part of a string. The writes
/// keep the key's expiry.
extension StringCommands {
    static let rangeCommands: [Command] = [
        Command("append", arity: 3, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", run: append),
        Command("strlen", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1),
                summary: "Returns the length of a string value.") { context in
            .integer(Int64(try readString(context, context.bytes(1))?.payload.count ?? 0))
        },
        Command("getrange", arity: 4, flags: ["readonly"], keys: (1, 1, 1),
                summary: "Returns a substring of the string stored at a key.", run: getrange),
        Command("substr", arity: 4, flags: ["readonly"], keys: (1, 1, 1),
                summary: "Returns a substring from a string value.", run: getrange),
        Command("setrange", arity: 4, flags: ["write", "denyoom"], keys: (1, 1, 1),
                summary: "Overwrites a part of a string value with another by an offset. "
                    + "Creates the key if it doesn't exist.", run: setrange),
    ]

    /// APPEND: the new length. A missing key is created, even by an empty suffix (as in Redis, it then holds "").
    private static func append(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let key = context.bytes(1)
        let suffix = context.bytes(2)
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            let record = try context.keyspace.stringRecord(db: context.db, key)
            let old = record?.payload ?? []
            let length = old.count + suffix.count
            guard length <= maxLength else { throw CommandError.stringTooLong }
            // Nothing appended to an existing string changes nothing: no write.
            if record == nil || !suffix.isEmpty {
                var value: [UInt8] = []
                value.reserveCapacity(length)
                value.append(contentsOf: old)
                value.append(contentsOf: suffix)
                var batch = WriteBatch()
                put(context, key, value, expiresAt: record?.expiresAt, into: &batch)
                try context.write(batch)
            }
            return .integer(Int64(length))
        }
    }

    /// GETRANGE and SUBSTR: the bytes from `start` to `end`, both included, counted from the end when negative,
    /// as Redis 7 clamps them: both negative with start after end is empty; otherwise each is clamped to the
    /// string (so `0 -100` of "hello" is "h"), and start after end is empty. A missing key is the empty string.
    /// The indices are read before the key, so they are checked even when it is missing.
    private static func getrange(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let start = try context.integer(2)
        let end = try context.integer(3)
        guard let record = try readString(context, context.bytes(1)) else { return .bulkString([]) }
        let value = record.payload
        let length = Int64(value.count)
        if start < 0 && end < 0 && start > end { return .bulkString([]) }
        // Adding a negative index to a length cannot overflow.
        let first = max(0, start < 0 ? length + start : start)
        let last = min(length - 1, max(0, end < 0 ? length + end : end))
        guard first <= last else { return .bulkString([]) }
        let lower = value.startIndex + Int(first)
        return .bulkString(Array(value[lower...(lower + Int(last - first))]))
    }

    /// SETRANGE: overwrites the string from `offset` with the value, padding with zero bytes past its end; the new
    /// length. An empty value changes nothing (a missing key stays missing and gives 0), and is checked before
    /// the size limit, as in Redis.
    private static func setrange(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let offset = try context.integer(2)
        guard offset >= 0 else { throw CommandError("ERR offset is out of range") }
        let key = context.bytes(1)
        let patch = context.bytes(3)
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            let record = try context.keyspace.stringRecord(db: context.db, key)
            if patch.isEmpty { return .integer(Int64(record?.payload.count ?? 0)) }
            // Compared before adding, which could overflow.
            guard offset <= Int64(maxLength - patch.count) else { throw CommandError.stringTooLong }
            let start = Int(offset)
            let end = start + patch.count
            var value = Array(record?.payload ?? [])
            if value.count < end { value += [UInt8](repeating: 0, count: end - value.count) }
            value.replaceSubrange(start..<end, with: patch)
            var batch = WriteBatch()
            put(context, key, value, expiresAt: record?.expiresAt, into: &batch)
            try context.write(batch)
            return .integer(Int64(value.count))
        }
    }
}
