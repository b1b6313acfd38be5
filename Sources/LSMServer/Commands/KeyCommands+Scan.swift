import LSM

/// KEYS, SCAN and RANDOMKEY: the commands that walk a database's keys. None is `fast`, since a fast read runs on
/// the event loop and these scan.
extension KeyCommands {
    static let scanCommands: [Command] = [
        Command("keys", arity: 2, flags: ["readonly"], summary: "Returns all key names that match a pattern.",
                run: keys),
        Command("scan", arity: -2, flags: ["readonly"], summary: "Iterates over the key names in the database.",
                run: scan),
        Command("randomkey", arity: 1, flags: ["readonly"], summary: "Returns a random key name from the database.") {
            context in
            try context.keyspace.randomKey(db: context.db).map { .bulkString($0) } ?? .null
        },
    ]

    /// How many keys SCAN visits when COUNT does not say.
    private static let defaultScanCount = 10

    /// The filter a KEYS or MATCH pattern stands for; nil for `*`, which Redis takes as no pattern at all (so it,
    /// unlike `**`, lists the empty key).
    private static func keyFilter(_ pattern: [UInt8]) -> GlobPattern? {
        pattern == [UInt8(ascii: "*")] ? nil : GlobPattern(pattern)
    }

    /// KEYS: every live key matching the pattern, in bytewise order. Only the keys starting with the pattern's
    /// literal prefix are read, and a pattern without wildcards is one lookup.
    private static func keys(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let db = context.db
        let filter = keyFilter(context.bytes(1))
        let prefix = filter?.literalPrefix ?? []
        if filter?.isLiteral == true {
            return .array(try context.keyspace.record(db: db, prefix) != nil ? [.bulkString(prefix)] : [])
        }
        var found: [RESPReply] = []
        try context.keyspace.forEachKeyType(db: db, from: prefix) { key, _ in
            guard key.starts(with: prefix) else { return false }
            if filter?.matches(key) ?? true { found.append(.bulkString(Array(key))) }
            return true
        }
        return .array(found)
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: visits up to COUNT keys after the cursor's position
    /// and returns those matching the pattern and type (so a call may return none and still not be done), with
    /// the cursor to continue from, or `0` when no key is left.
    ///
    /// COUNT bounds the work of a call whatever MATCH filters out, as in Redis, which counts visited keys too.
    /// A MATCH with a literal prefix visits only the keys that start with it. A cursor is the number of the last
    /// key visited (``ScanCursors``); a number not handed out (or forgotten, or of another database) is
    /// `ERR invalid cursor`. An unknown TYPE matches nothing, as in Redis 7.
    private static func scan(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let db = context.db
        let cursors = context.server.scanCursors
        guard let number = scanCursor(context.arguments[1].readableBytesView) else {
            throw CommandError("ERR invalid cursor")
        }
        var after: [UInt8]?
        if number != 0 {
            guard let position = cursors.position(number, db: db) else { throw CommandError("ERR invalid cursor") }
            after = position
        }

        var count = defaultScanCount
        var filter: GlobPattern?
        var typeName: [UInt8]?
        var index = 2
        while index < context.count {
            guard index + 1 < context.count else { throw CommandError.syntax }
            switch context.option(index) {
            case "COUNT":
                let value = try context.integer(index + 1)
                guard value >= 1 else { throw CommandError.syntax }
                count = Int(clamping: value)
            case "MATCH":
                filter = keyFilter(context.bytes(index + 1))
            case "TYPE":
                // Compared without case, as Redis compares it.
                typeName = context.bytes(index + 1).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            default:
                throw CommandError.syntax
            }
            index += 2
        }

        // Continue after the cursor's key (the smallest key above it is it followed by a zero byte), or at the
        // pattern's prefix when that is further on: no key before the prefix can match.
        let prefix = filter?.literalPrefix ?? []
        var start = after.map { $0 + [0] } ?? prefix
        if start.lexicographicallyPrecedes(prefix) { start = prefix }
        var visited = 0
        var last: [UInt8] = []
        var isDone = true
        var found: [RESPReply] = []
        try context.keyspace.forEachKeyType(db: db, from: start) { key, type in
            guard key.starts(with: prefix) else { return false }
            guard visited < count else {
                isDone = false
                return false
            }
            visited += 1
            if visited == count { last = Array(key) }
            if typeName.map({ $0.elementsEqual(type.name.utf8) }) ?? true, filter?.matches(key) ?? true {
                found.append(.bulkString(Array(key)))
            }
            return true
        }
        let next = isDone ? 0 : cursors.cursor(db: db, after: last)
        return .array([.bulkString(Array(String(next).utf8)), .array(found)])
    }

    /// A SCAN cursor argument: decimal digits only, within 64 bits; nil otherwise.
    private static func scanCursor(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return UInt64(String(decoding: bytes, as: UTF8.self))
    }
}
