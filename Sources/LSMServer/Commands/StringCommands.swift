import LSM
import NIOCore

/// The string commands: Redis 7's string family. This file has GET and the commands that set a whole value (SET,
/// SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX); the others are in StringCommands+Multiple (MGET, MSET, MSETNX),
/// StringCommands+Counters (INCR and the rest) and StringCommands+Ranges (APPEND, STRLEN, GETRANGE, SETRANGE).
///
/// As in Redis, a command that reads a key for its reply (GET, GETEX, GETDEL, GETSET, SET GET, MGET, STRLEN,
/// GETRANGE) counts a keyspace hit or miss; one that reads a key to change it (INCR, APPEND, SETNX...) does not.
enum StringCommands {
    static let all: [Command] = wholeValueCommands + multipleKeyCommands + counterCommands + rangeCommands

    /// The longest string a key can hold: the engine's largest value less the record's type byte.
    static let maxLength = Limits.maxValueSize - 1

    private static let wholeValueCommands: [Command] = [
        Command("get", arity: 2, flags: ["readonly", "fast"], keys: (1, 1, 1),
                summary: "Returns the string value of a key.") { context in
            let record = try context.arguments[1].withUnsafeReadableBytes { (key) throws(CommandError) in
                try readString(context, key)
            }
            return record.map { .bulkString(Array($0.payload)) } ?? .null
        },
        Command("set", arity: -3, flags: ["write", "denyoom"], keys: (1, 1, 1),
                summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                writesBlindly: setWritesBlindly) { context in
            let options = try extendedOptions(context, from: 3, ofSet: true)
            let outcome = try set(&context, valueAt: 2, options, command: "set")
            if options.returnsOldValue { return outcome.old.map { .bulkString(Array($0.payload)) } ?? .null }
            return outcome.wrote ? .simpleString("OK") : .null
        },
        Command("setnx", arity: 3, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Set the string value of a key only when the key doesn't exist.") { context in
            var options = ExtendedOptions()
            options.condition = .ifAbsent
            return .integer(try set(&context, valueAt: 2, options, command: "setnx").wrote ? 1 : 0)
        },
        Command("setex", arity: 4, flags: ["write", "denyoom"], keys: (1, 1, 1),
                summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
                writesBlindly: { _ in true }) { context in
            var options = ExtendedOptions()
            options.expiry = ("EX", 2)
            _ = try set(&context, valueAt: 3, options, command: "setex")
            return .simpleString("OK")
        },
        Command("psetex", arity: 4, flags: ["write", "denyoom"], keys: (1, 1, 1),
                summary: "Sets both string value and expiration time in milliseconds of a key. "
                    + "The key is created if it doesn't exist.", writesBlindly: { _ in true }) { context in
            var options = ExtendedOptions()
            options.expiry = ("PX", 2)
            _ = try set(&context, valueAt: 3, options, command: "psetex")
            return .simpleString("OK")
        },
        Command("getset", arity: 3, flags: ["write", "denyoom", "fast"], keys: (1, 1, 1),
                summary: "Returns the previous string value of a key after setting it to a new value.") { context in
            // SET GET without options: the new value has no expiry.
            var options = ExtendedOptions()
            options.returnsOldValue = true
            return try set(&context, valueAt: 2, options, command: "getset").old
                .map { .bulkString(Array($0.payload)) } ?? .null
        },
        Command("getdel", arity: 2, flags: ["write", "fast"], keys: (1, 1, 1),
                summary: "Returns the string value of a key after deleting the key.", run: getdel),
        Command("getex", arity: -2, flags: ["write", "fast"], keys: (1, 1, 1),
                summary: "Returns the string value of a key after setting its expiration time.", run: getex),
    ]

    /// Whether a SET request reads nothing before it writes: none of its options (from argument 3) is NX, XX, GET or
    /// KEEPTTL, in any case. An option word that is really another option's argument only makes it say no.
    private static func setWritesBlindly(_ arguments: [ByteBuffer]) -> Bool {
        arguments.dropFirst(3).allSatisfy { !readingOptions.contains(CommandContext.optionWord($0)) }
    }

    /// SET's options that read the key first.
    private static let readingOptions: Set<String> = ["NX", "XX", "GET", "KEEPTTL"]

    /// The string `key` holds, read for a reply as Redis's `lookupKeyRead` and `checkType` read it: counts a
    /// keyspace hit or miss (a key of another type is a hit), then `WRONGTYPE` when the key is not a string.
    static func readString(_ context: CommandContext, _ key: [UInt8]) throws(CommandError) -> KeyRecord? {
        try key.withRawBytes { (key) throws(CommandError) in try readString(context, key) }
    }

    /// ``readString(_:_:)`` of a key read where it lies.
    static func readString(_ context: CommandContext, _ key: UnsafeRawBufferPointer) throws(CommandError)
        -> KeyRecord? {
        let record = try context.keyspace.record(db: context.db, key)
        context.server.statistics.countLookup(hit: record != nil)
        if let record, record.type != .string { throw CommandError.wrongType }
        return record
    }

    /// Adds to `batch` the write that makes `key` hold `value` until `expiresAt`, or its deletion when that moment
    /// has passed (an `EXAT` or `PXAT` in the past, or a kept expiry the clock reached meanwhile).
    static func put(_ context: CommandContext, _ key: [UInt8], _ value: some Collection<UInt8>,
                    expiresAt: Timestamp?, into batch: inout WriteBatch) {
        key.withUnsafeBytes { key in
            KeyEncoding.withContiguousBytes(of: value) { put(context, key, $0, expiresAt: expiresAt, into: &batch) }
        }
    }

    /// ``put(_:_:_:expiresAt:into:)`` of a key and value read where they lie.
    static func put(_ context: CommandContext, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer,
                    expiresAt: Timestamp?, into batch: inout WriteBatch) {
        if let expiresAt, expiresAt <= context.now {
            Keyspace.delete(db: context.db, key, into: &batch)
        } else {
            Keyspace.putString(db: context.db, key, value, expiresAt: expiresAt, into: &batch)
        }
    }

    // MARK: - SET and its variants

    /// SET's and GETEX's options, as Redis's `parseExtendedStringArgumentsOrReply` reads them.
    private struct ExtendedOptions {
        enum Condition { case always, ifAbsent, ifPresent }
        var condition = Condition.always
        /// SET's GET.
        var returnsOldValue = false
        /// SET's KEEPTTL.
        var keepsExpiry = false
        /// GETEX's PERSIST.
        var removesExpiry = false
        /// `EX`, `PX`, `EXAT` or `PXAT` and the index of its argument, which is read only once the options parsed
        /// (a syntax error wins over an invalid time, and GETEX of a missing key ignores the time).
        var expiry: (option: String, argument: Int)?

        /// Whether SET must read the key before it writes: NX, XX, GET and KEEPTTL look at it (the options
        /// ``setWritesBlindly(_:)`` looks for).
        var readsKey: Bool { condition != .always || returnsOldValue || keepsExpiry }

        /// The moment the expiry option names; nil when there is none.
        func expiresAt(_ context: CommandContext, command: String) throws(CommandError) -> Timestamp? {
            guard let expiry else { return nil }
            return try StringCommands.expiry(expiry.option, argument: expiry.argument, context, command: command)
        }
    }

    /// The options from argument `start` on, for SET (`ofSet`) or for GETEX. As in Redis, an option may be
    /// repeated (the last expiry wins) but options that contradict each other (NX and XX, two kinds of expiry,
    /// KEEPTTL or PERSIST with an expiry) are a syntax error, as is an expiry without its argument.
    private static func extendedOptions(_ context: CommandContext, from start: Int, ofSet: Bool)
        throws(CommandError) -> ExtendedOptions {
        var options = ExtendedOptions()
        var index = start
        while index < context.count {
            let option = context.option(index)
            switch option {
            case "NX" where ofSet && options.condition != .ifPresent: options.condition = .ifAbsent
            case "XX" where ofSet && options.condition != .ifAbsent: options.condition = .ifPresent
            case "GET" where ofSet: options.returnsOldValue = true
            case "KEEPTTL" where ofSet && options.expiry == nil: options.keepsExpiry = true
            case "PERSIST" where !ofSet && options.expiry == nil: options.removesExpiry = true
            case "EX", "PX", "EXAT", "PXAT":
                guard index + 1 < context.count, !options.keepsExpiry, !options.removesExpiry,
                      options.expiry == nil || options.expiry?.option == option else { throw CommandError.syntax }
                options.expiry = (option, index + 1)
                index += 1
            default:
                throw CommandError.syntax
            }
            index += 1
        }
        return options
    }

    /// SET, SETNX, SETEX, PSETEX and GETSET (Redis's `setGenericCommand`): sets `key` (argument 1) to the
    /// argument at `valueAt` as `options` say; whether it wrote, and the key's previous record (read only when
    /// an option needs it). The expiry is checked first, then GET's read (`WRONGTYPE` on another type), then NX
    /// or XX, which look at keys of every type.
    private static func set(_ context: inout CommandContext, valueAt valueIndex: Int, _ options: ExtendedOptions,
                            command: String) throws(CommandError) -> (wrote: Bool, old: KeyRecord?) {
        guard context.arguments[valueIndex].readableBytes <= maxLength else { throw CommandError.stringTooLong }
        let newExpiry = try options.expiresAt(context, command: command)
        if !options.readsKey {
            // Nothing to read first: key and value go from the request into the batch, with no copies between.
            var batch = WriteBatch()
            context.arguments[1].withUnsafeReadableBytes { key in
                context.arguments[valueIndex].withUnsafeReadableBytes { value in
                    put(context, key, value, expiresAt: newExpiry, into: &batch)
                }
            }
            try context.writeBlindly(batch)
            return (true, nil)
        }
        let key = context.bytes(1)
        let value = context.bytes(valueIndex)
        return try context.keyspace.serializingWrites {
            () throws(CommandError) -> (wrote: Bool, old: KeyRecord?) in
            // Here the key is read (``ExtendedOptions/readsKey``): for GET as a reply, for NX, XX and KEEPTTL as it is.
            let old = options.returnsOldValue
                ? try readString(context, key) : try context.keyspace.record(db: context.db, key)
            switch options.condition {
            case .ifAbsent where old != nil, .ifPresent where old == nil: return (false, old)
            default: break
            }
            var batch = WriteBatch()
            put(context, key, value, expiresAt: options.keepsExpiry ? old?.expiresAt : newExpiry, into: &batch)
            try context.write(batch)
            return (true, old)
        }
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

    // MARK: - GETDEL and GETEX

    private static func getdel(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let key = context.bytes(1)
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            guard let record = try readString(context, key) else { return .null }
            var batch = WriteBatch()
            Keyspace.delete(db: context.db, key, into: &batch)
            try context.write(batch)
            return .bulkString(Array(record.payload))
        }
    }

    /// GETEX: GET that also sets the key's expiry (`EX`, `PX`, `EXAT`, `PXAT`; a moment already past deletes the
    /// key) or removes it (`PERSIST`). As in Redis, the time is checked only once the key is found to be a
    /// string: GETEX of a missing key with an invalid time is nil. It writes only when the expiry changes.
    private static func getex(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let options = try extendedOptions(context, from: 2, ofSet: false)
        let key = context.bytes(1)
        return try context.keyspace.serializingWrites { () throws(CommandError) -> RESPReply in
            guard let record = try readString(context, key) else { return .null }
            var expiresAt = record.expiresAt
            if options.expiry != nil {
                expiresAt = try options.expiresAt(context, command: "getex")
            } else if options.removesExpiry {
                expiresAt = nil
            }
            if expiresAt != record.expiresAt {
                var batch = WriteBatch()
                put(context, key, record.payload, expiresAt: expiresAt, into: &batch)
                try context.write(batch)
            }
            return .bulkString(Array(record.payload))
        }
    }
}
