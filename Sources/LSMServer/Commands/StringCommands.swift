import LSM

/// The string commands: GET, SET and the rest of Redis's string family.
enum StringCommands {
    static let all: [Command] = [
        Command("get", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1), summary: "Returns the string value of a key.",
                run: get),
        Command("set", arity: -3, flags: ["write", "denyoom"], keys: (1, 1, 1),
                summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                run: set),
    ]

    private static func get(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let record = try context.keyspace.stringRecord(db: context.db, context.bytes(1))
        context.server.statistics.countLookup(hit: record != nil)
        return record.map { .bulkString(Array($0.payload)) } ?? .null
    }

    /// SET's options once read.
    private struct SetOptions {
        enum Condition { case always, ifAbsent, ifPresent }
        var condition = Condition.always
        var returnsOldValue = false
        /// The new expiry; nil: none (or the old one with KEEPTTL).
        var expiresAt: Timestamp?
        var keepsExpiry = false
    }

    private static func set(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let options = try setOptions(context)
        let key = context.bytes(1)
        let value = context.bytes(2)
        guard value.count < Limits.maxValueSize else { throw CommandError.stringTooLong }
        let db = context.db
        return try context.keyspace.locks.withLock(db: db, key) { () throws(CommandError) -> RESPReply in
            let needsOld = options.condition != .always || options.returnsOldValue || options.keepsExpiry
            let old = needsOld ? try context.keyspace.record(db: db, key) : nil
            if options.returnsOldValue, let old, old.type != .string { throw CommandError.wrongType }
            let oldReply: RESPReply = old.map { .bulkString(Array($0.payload)) } ?? .null
            switch options.condition {
            case .ifAbsent where old != nil, .ifPresent where old == nil:
                return options.returnsOldValue ? oldReply : .null
            default:
                break
            }
            var batch = WriteBatch()
            let expiresAt = options.keepsExpiry ? old?.expiresAt : options.expiresAt
            if let expiresAt, expiresAt <= context.now {
                Keyspace.delete(db: db, key, into: &batch)
            } else {
                Keyspace.putString(db: db, key, value, expiresAt: expiresAt, into: &batch)
            }
            try context.write(batch)
            return options.returnsOldValue ? oldReply : .simpleString("OK")
        }
    }

    private static func setOptions(_ context: CommandContext) throws(CommandError) -> SetOptions {
        var options = SetOptions()
        var hasExpiry = false
        var index = 3
        while index < context.count {
            let option = context.option(index)
            let hasArgument = index + 1 < context.count
            switch option {
            case "NX" where options.condition != .ifPresent: options.condition = .ifAbsent
            case "XX" where options.condition != .ifAbsent: options.condition = .ifPresent
            case "GET": options.returnsOldValue = true
            case "KEEPTTL" where !hasExpiry:
                options.keepsExpiry = true
                hasExpiry = true
            case "EX", "PX", "EXAT", "PXAT":
                guard !hasExpiry, hasArgument else { throw CommandError.syntax }
                options.expiresAt = try expiry(option, argument: index + 1, context, command: "set")
                hasExpiry = true
                index += 1
            default:
                throw CommandError.syntax
            }
            index += 1
        }
        return options
    }

    /// The moment an `EX`/`PX`/`EXAT`/`PXAT` option with its argument at `argument` names; `ERR invalid expire
    /// time in 'COMMAND' command` for a time of zero or less, or one past what milliseconds can hold.
    static func expiry(_ option: String, argument: Int, _ context: CommandContext, command: String)
        throws(CommandError) -> Timestamp {
        let amount = try context.integer(argument)
        guard amount > 0 else { throw CommandError.invalidExpireTime(in: command) }
        let milliseconds: Int64
        switch option {
        case "EX", "EXAT":
            let (product, overflow) = amount.multipliedReportingOverflow(by: 1000)
            guard !overflow else { throw CommandError.invalidExpireTime(in: command) }
            milliseconds = product
        default:
            milliseconds = amount
        }
        if option == "EX" || option == "PX" {
            let (sum, overflow) = context.now.millisecondsSinceEpoch.addingReportingOverflow(milliseconds)
            guard !overflow else { throw CommandError.invalidExpireTime(in: command) }
            return Timestamp(millisecondsSinceEpoch: sum)
        }
        return Timestamp(millisecondsSinceEpoch: milliseconds)
    }
}
