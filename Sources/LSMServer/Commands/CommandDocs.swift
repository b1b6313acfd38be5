/// What COMMAND, COMMAND INFO, COMMAND DOCS and COMMAND LIST say of the commands: built from the command table
/// (name, arity, flags, keys, summary), with each command's group (by the family that defines it), the Redis
/// version that added it, and its ACL categories (from its flags and group, as Redis derives the implicit ones).
enum CommandDocs {
    /// The Redis command group of each family's commands. A family added to ``CommandTable/standard`` gets its
    /// line here; a command of none is `generic`.
    static let groups: [String: String] = {
        let families: [(group: String, commands: [Command])] = [
            ("connection", ConnectionCommands.all), ("string", StringCommands.all), ("generic", KeyCommands.all),
            ("server", ServerCommands.all),
        ]
        var groups: [String: String] = [:]
        for family in families {
            for command in family.commands { groups[command.name] = family.group }
        }
        return groups
    }()

    /// The subcommands of each container command.
    static let subcommands: [String: [Subcommand]] = [
        "client": ConnectionCommands.clientSubcommands,
        "config": ServerCommands.configSubcommands,
        "command": ServerCommands.commandSubcommands,
    ]

    /// The Redis version that added each command (COMMAND DOCS' `since`), for Redis's commands this server has or
    /// is likely to get; a command missing here has no `since`, as Redis's module commands.
    static let since: [String: String] = [
        // Connection.
        "auth": "1.0.0", "client": "2.4.0", "echo": "1.0.0", "hello": "6.0.0", "ping": "1.0.0", "quit": "1.0.0",
        "reset": "6.2.0", "select": "1.0.0",
        // Server.
        "bgsave": "1.0.0", "command": "2.8.13", "config": "2.0.0", "dbsize": "1.0.0", "flushall": "1.0.0",
        "flushdb": "1.0.0", "info": "1.0.0", "lastsave": "1.0.0", "save": "1.0.0", "shutdown": "1.0.0",
        "time": "2.6.0",
        // Strings.
        "append": "2.0.0", "decr": "1.0.0", "decrby": "1.0.0", "get": "1.0.0", "getdel": "6.2.0", "getex": "6.2.0",
        "getrange": "2.4.0", "getset": "1.0.0", "incr": "1.0.0", "incrby": "1.0.0", "incrbyfloat": "2.6.0",
        "lcs": "7.0.0", "mget": "1.0.0", "mset": "1.0.1", "msetnx": "1.0.1", "psetex": "2.6.0", "set": "1.0.0",
        "setex": "2.0.0", "setnx": "1.0.0", "setrange": "2.2.0", "strlen": "2.2.0", "substr": "1.0.0",
        // Keys.
        "copy": "6.2.0", "del": "1.0.0", "exists": "1.0.0", "expire": "1.0.0", "expireat": "1.2.0",
        "expiretime": "7.0.0", "keys": "1.0.0", "move": "1.0.0", "object": "2.2.3", "persist": "2.2.0",
        "pexpire": "2.6.0", "pexpireat": "2.6.0", "pexpiretime": "7.0.0", "pttl": "2.6.0", "randomkey": "1.0.0",
        "rename": "1.0.0", "renamenx": "1.0.0", "scan": "2.8.0", "touch": "3.2.1", "ttl": "1.0.0", "type": "1.0.0",
        "unlink": "4.0.0",
    ]

    /// The ACL category of each group's commands, as Redis's command definitions give them (`server` has none).
    private static let groupCategories: [String: String] = [
        "generic": "keyspace", "string": "string", "list": "list", "set": "set", "sorted-set": "sortedset",
        "hash": "hash", "pubsub": "pubsub", "transactions": "transaction", "connection": "connection",
        "scripting": "scripting", "hyperloglog": "hyperloglog", "geo": "geo", "stream": "stream",
        "bitmap": "bitmap",
    ]

    /// The group of the command `name` (a container's, for a subcommand).
    static func group(of name: String) -> String { groups[name] ?? "generic" }

    /// The ACL categories of a command of `group` with `flags`, without the `@`: the group's, then those Redis
    /// derives from the flags (`write`, `read`, `admin` and `dangerous`, `fast` or else `slow`).
    static func categories(group: String, flags: [String]) -> [String] {
        var categories: [String] = []
        if let category = groupCategories[group] { categories.append(category) }
        if flags.contains("write") { categories.append("write") }
        if flags.contains("readonly") { categories.append("read") }
        if flags.contains("admin") { categories += ["admin", "dangerous"] }
        categories.append(flags.contains("fast") ? "fast" : "slow")
        return categories
    }

    /// The command named `name` as COMMAND INFO describes it; nil for a name no command or subcommand has
    /// (`config|get` names a subcommand).
    static func info(named name: String, in table: CommandTable) -> RESPReply? {
        let lowered = name.lowercased()
        if let command = table.commands[lowered] { return info(command) }
        return subcommand(named: lowered).map { info($0) }
    }

    /// Every command's COMMAND INFO entry, by name.
    static func allInfo(_ table: CommandTable) -> [RESPReply] {
        table.commands.keys.sorted().compactMap { table.commands[$0].map(info) }
    }

    /// COMMAND INFO's ten fields of `command`: name, arity, flags, first key, last key, key step, ACL
    /// categories, tips, key specs, subcommands.
    static func info(_ command: Command) -> RESPReply {
        let group = group(of: command.name)
        let subcommands = subcommands[command.name]
        return .array([
            .bulkString(Array(command.name.utf8)), .integer(Int64(command.arity)), flagSet(command.flags),
            .integer(Int64(command.firstKey)), .integer(Int64(command.lastKey)), .integer(Int64(command.keyStep)),
            categorySet(group: group, flags: command.flags), .set([]), keySpecs(command),
            // Redis sends an empty set for a command without subcommands, an array of their entries otherwise.
            subcommands.map { .array($0.map { info($0) }) } ?? .set([]),
        ])
    }

    /// COMMAND INFO's entry of a subcommand, which has no keys here.
    static func info(_ subcommand: Subcommand) -> RESPReply {
        .array([
            .bulkString(Array(subcommand.fullName.utf8)), .integer(Int64(subcommand.arity)),
            flagSet(subcommand.flags), .integer(0), .integer(0), .integer(0),
            categorySet(group: group(of: subcommand.container), flags: subcommand.flags), .set([]), .set([]),
            .set([]),
        ])
    }

    /// COMMAND DOCS' map of the command `name` (or subcommand `container|name`): summary, since, group, and its
    /// subcommands' maps; nil for an unknown name.
    static func docs(named name: String, in table: CommandTable) -> (name: String, docs: RESPReply)? {
        let lowered = name.lowercased()
        if let command = table.commands[lowered] { return (command.name, docs(command)) }
        return subcommand(named: lowered).map { ($0.fullName, docs($0)) }
    }

    static func docs(_ command: Command) -> RESPReply {
        var pairs = docFields(summary: command.summary, since: since[command.name],
                              group: group(of: command.name))
        if let subcommands = subcommands[command.name] {
            pairs.append((text("subcommands"), .map(subcommands.map { (text($0.fullName), docs($0)) })))
        }
        return .map(pairs)
    }

    static func docs(_ subcommand: Subcommand) -> RESPReply {
        .map(docFields(summary: subcommand.summary, since: subcommand.since, group: group(of: subcommand.container)))
    }

    /// Every command's and subcommand's full name (COMMAND LIST), each container followed by its subcommands.
    static func allNames(_ table: CommandTable) -> [(name: String, group: String, flags: [String])] {
        var names: [(name: String, group: String, flags: [String])] = []
        for name in table.commands.keys.sorted() {
            guard let command = table.commands[name] else { continue }
            let group = group(of: name)
            names.append((name, group, command.flags))
            for subcommand in subcommands[name] ?? [] {
                names.append((subcommand.fullName, group, subcommand.flags))
            }
        }
        return names
    }

    private static func subcommand(named fullName: String) -> Subcommand? {
        let parts = fullName.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return subcommands[String(parts[0])]?.first { $0.name == parts[1] }
    }

    private static func docFields(summary: String, since: String?, group: String)
        -> [(key: RESPReply, value: RESPReply)] {
        var pairs: [(key: RESPReply, value: RESPReply)] = [(text("summary"), text(summary))]
        if let since { pairs.append((text("since"), text(since))) }
        pairs.append((text("group"), text(group)))
        return pairs
    }

    /// COMMAND INFO's flags, in Redis's spelling (`no_auth` for the table's `noauth`).
    private static func flagSet(_ flags: [String]) -> RESPReply {
        .set(flags.map { .simpleString($0 == "noauth" ? "no_auth" : $0) })
    }

    private static func categorySet(group: String, flags: [String]) -> RESPReply {
        .set(categories(group: group, flags: flags).map { .simpleString("@" + $0) })
    }

    /// The key specification Redis 7 gives besides the first/last/step triple: keys from an index over a range
    /// (`lastkey` counted from the first key, or from the end when negative). Flags say only whether the command
    /// reads or writes its keys.
    private static func keySpecs(_ command: Command) -> RESPReply {
        guard command.firstKey > 0 else { return .set([]) }
        let access = command.flags.contains("write") ? "RW" : "RO"
        let lastKey = command.lastKey >= 0 ? command.lastKey - command.firstKey : command.lastKey
        let beginSearch: RESPReply = .map([
            (text("type"), text("index")),
            (text("spec"), .map([(text("index"), .integer(Int64(command.firstKey)))])),
        ])
        let findKeys: RESPReply = .map([
            (text("type"), text("range")),
            (text("spec"), .map([
                (text("lastkey"), .integer(Int64(lastKey))), (text("keystep"), .integer(Int64(command.keyStep))),
                (text("limit"), .integer(0)),
            ])),
        ])
        return .set([.map([
            (text("flags"), .set([.simpleString(access)])), (text("begin_search"), beginSearch),
            (text("find_keys"), findKeys),
        ])])
    }

    private static func text(_ string: String) -> RESPReply { .bulkString(Array(string.utf8)) }
}
