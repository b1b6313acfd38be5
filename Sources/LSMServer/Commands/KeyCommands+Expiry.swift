import LSM

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST.
///
/// A key's expiry is its metadata record's expiry in the engine, so setting or removing one rewrites the record
/// with its value unchanged.
extension KeyCommands {
    static let expiryCommands: [Command] = [
        Command("expire", arity: -3, flags: ["write", "fast"], keys: (1, 1, 1),
                summary: "Sets the expiration time of a key in seconds.") { context in
            try expire(&context, inSeconds: true, relative: true)
        },
        Command("pexpire", arity: -3, flags: ["write", "fast"], keys: (1, 1, 1),
                summary: "Sets the expiration time of a key in milliseconds.") { context in
            try expire(&context, inSeconds: false, relative: true)
        },
        Command("expireat", arity: -3, flags: ["write", "fast"], keys: (1, 1, 1),
                summary: "Sets the expiration time of a key to a Unix timestamp.") { context in
            try expire(&context, inSeconds: true, relative: false)
        },
        Command("pexpireat", arity: -3, flags: ["write", "fast"], keys: (1, 1, 1),
                summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.") { context in
            try expire(&context, inSeconds: false, relative: false)
        },
        Command("ttl", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1),
                summary: "Returns the expiration time in seconds of a key.") { context in
            try timeToLive(context, inMilliseconds: false, absolute: false)
        },
        Command("pttl", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1),
                summary: "Returns the expiration time in milliseconds of a key.") { context in
            try timeToLive(context, inMilliseconds: true, absolute: false)
        },
        Command("expiretime", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1),
                summary: "Returns the expiration time of a key as a Unix timestamp.") { context in
            try timeToLive(context, inMilliseconds: false, absolute: true)
        },
        Command("pexpiretime", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1),
                summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.") { context in
            try timeToLive(context, inMilliseconds: true, absolute: true)
        },
        Command("persist", arity: 2, flags: ["write", "fast"], keys: (1, 1, 1),
                summary: "Removes the expiration time of a key.", run: persist),
    ]

    /// EXPIRE's `NX`, `XX`, `GT` and `LT`.
    private struct ExpireConditions {
        /// Only when the key has no expiry.
        var ifNone = false
        /// Only when the key has an expiry.
        var ifSome = false
        /// Only when the new expiry is later (no expiry counts as infinitely late, so never).
        var ifLater = false
        /// Only when the new expiry is earlier (no expiry counts as infinitely late, so always).
        var ifEarlier = false

        /// Whether a key expiring at `current` (nil: never) may get the expiry `new`.
        func allow(current: Timestamp?, new: Timestamp) -> Bool {
            if ifNone && current != nil { return false }
            if ifSome && current == nil { return false }
            if ifLater, current.map({ new <= $0 }) ?? true { return false }
            if ifEarlier, let current, new >= current { return false }
            return true
        }
    }

    /// The EXPIRE family: 1 when the key's expiry was set (or, for a moment already past, the key deleted), 0
    /// when the key does not exist or a condition refused. As in Redis, options are checked first, then the time
    /// (`ERR invalid expire time in 'expire' command` when it overflows milliseconds), then the key; the time may
    /// be zero or negative.
    private static func expire(_ context: inout CommandContext, inSeconds: Bool, relative: Bool) throws(CommandError)
        -> RESPReply {
        let conditions = try expireConditions(context)
        let invalidTime = CommandError.invalidExpireTime(in: context.name)
        var milliseconds = try context.integer(2)
        if inSeconds {
            let (product, overflow) = milliseconds.multipliedReportingOverflow(by: 1000)
            guard !overflow else { throw invalidTime }
            milliseconds = product
        }
        let now = context.now
        if relative {
            let (sum, overflow) = milliseconds.addingReportingOverflow(now.millisecondsSinceEpoch)
            guard !overflow else { throw invalidTime }
            milliseconds = sum
        }
        let expiresAt = Timestamp(millisecondsSinceEpoch: milliseconds)
        let key = context.bytes(1)
        let db = context.db
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            guard var record = try context.keyspace.record(db: db, key),
                  conditions.allow(current: record.expiresAt, new: expiresAt)
            else { return .integer(0) }
            var batch = WriteBatch()
            if expiresAt <= now {
                Keyspace.delete(db: db, key, into: &batch)
            } else {
                record.expiresAt = expiresAt
                Keyspace.put(db: db, key, record, into: &batch)
            }
            try context.write(batch)
            return .integer(1)
        }
    }

    /// The options after EXPIRE's time, in any order and repeated at will; Redis's errors for an unknown one and
    /// for the combinations that contradict each other.
    private static func expireConditions(_ context: CommandContext) throws(CommandError) -> ExpireConditions {
        var conditions = ExpireConditions()
        for index in 3..<context.count {
            switch context.option(index) {
            case "NX": conditions.ifNone = true
            case "XX": conditions.ifSome = true
            case "GT": conditions.ifLater = true
            case "LT": conditions.ifEarlier = true
            default: throw CommandError("ERR Unsupported option \(context.text(index))")
            }
        }
        if conditions.ifNone && (conditions.ifSome || conditions.ifLater || conditions.ifEarlier) {
            throw CommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
        }
        if conditions.ifLater && conditions.ifEarlier {
            throw CommandError("ERR GT and LT options at the same time are not compatible")
        }
        return conditions
    }

    /// TTL, PTTL, EXPIRETIME and PEXPIRETIME: −2 when the key does not exist, −1 when it does not expire, else the
    /// time left (or the moment of expiry), in milliseconds or in seconds rounded to the nearest as Redis rounds
    /// (`(ms + 500) / 1000`, for EXPIRETIME too).
    private static func timeToLive(_ context: CommandContext, inMilliseconds: Bool, absolute: Bool)
        throws(CommandError) -> RESPReply {
        guard let record = try context.keyspace.record(db: context.db, context.bytes(1)) else { return .integer(-2) }
        guard let expiresAt = record.expiresAt else { return .integer(-1) }
        let milliseconds = max(0, absolute ? expiresAt.millisecondsSinceEpoch
                                           : context.now.milliseconds(until: expiresAt))
        if inMilliseconds { return .integer(milliseconds) }
        // Rounded without adding first, which could overflow for an expiry near the end of time.
        return .integer(milliseconds / 1000 + (milliseconds % 1000 >= 500 ? 1 : 0))
    }

    /// PERSIST: 1 when the key had an expiry and now has none, 0 when it does not exist or does not expire.
    private static func persist(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let key = context.bytes(1)
        let db = context.db
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            guard var record = try context.keyspace.record(db: db, key), record.expiresAt != nil else {
                return .integer(0)
            }
            record.expiresAt = nil
            var batch = WriteBatch()
            Keyspace.put(db: db, key, record, into: &batch)
            try context.write(batch)
            return .integer(1)
        }
    }
}
