/// COMMAND and its subcommands, Redis 7's introspection of the command table: COMMAND (every command's entry),
/// COUNT, INFO, DOCS (which redis-cli reads at startup for its help), LIST and GETKEYS. The entries come from
/// ``CommandDocs``.
extension ServerCommands {
    /// COMMAND's subcommands.
    static let commandSubcommands = [
        Subcommand("command", "count", arity: 2, flags: ["loading", "stale"], since: "2.8.13",
                   summary: "Returns a count of commands."),
        Subcommand("command", "docs", arity: -2, flags: ["loading", "stale"], since: "7.0.0",
                   summary: "Returns documentary information about one, multiple or all commands."),
        Subcommand("command", "getkeys", arity: -3, flags: ["loading", "stale"], since: "2.8.13",
                   summary: "Extracts the key names from an arbitrary command."),
        Subcommand("command", "help", arity: 2, flags: ["loading", "stale"], since: "5.0.0",
                   summary: "Returns helpful text about the different subcommands."),
        Subcommand("command", "info", arity: -2, flags: ["loading", "stale"], since: "2.8.13",
                   summary: "Returns information about one, multiple or all commands."),
        Subcommand("command", "list", arity: -2, flags: ["loading", "stale"], since: "7.0.0",
                   summary: "Returns a list of command names."),
    ]

    static func command(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let table = context.server.commands
        guard context.count > 1 else { return .array(CommandDocs.allInfo(table)) }
        switch try Subcommand.find(in: commandSubcommands, context).name {
        case "count":
            return .integer(Int64(table.commands.count))
        case "info":
            guard context.count > 2 else { return .array(CommandDocs.allInfo(table)) }
            // One entry per name asked, nil for those no command has.
            return .array((2..<context.count).map { CommandDocs.info(named: context.text($0), in: table) ?? .null })
        case "docs":
            let names = context.count > 2 ? (2..<context.count).map { context.text($0) } : table.commands.keys.sorted()
            // Unknown names are left out, as Redis leaves them.
            let found = names.compactMap { CommandDocs.docs(named: $0, in: table) }
            return .map(found.map { (.bulkString(Array($0.name.utf8)), $0.docs) })
        case "list":
            return try commandList(context)
        case "getkeys":
            return try commandGetKeys(context)
        default:  // help
            return Subcommand.help("command", [
                "(no subcommand)", "    Return details about all commands.",
                "COUNT", "    Return the total number of commands in this server.",
                "LIST", "    Return a list of all commands in this server.",
                "INFO [<command-name> ...]", "    Return details about multiple commands.",
                "    If no command names are given, documentation details for all", "    commands are returned.",
                "DOCS [<command-name> ...]", "    Return documentation details about multiple commands.",
                "    If no command names are given, documentation details for all", "    commands are returned.",
                "GETKEYS <full-command>", "    Return the keys from a full command.",
            ])
        }
    }

    /// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command's and
    /// subcommand's full name, or those of an ACL category, or those a glob matches (regardless of case). There
    /// are no modules, so a module's list is empty.
    private static func commandList(_ context: CommandContext) throws(CommandError) -> RESPReply {
        var keep: (_ name: String, _ group: String, _ flags: [String]) -> Bool = { _, _, _ in true }
        if context.count > 2 {
            guard context.count == 5, context.option(2) == "FILTERBY" else { throw CommandError.syntax }
            let argument = context.text(4)
            switch context.option(3) {
            case "MODULE":
                keep = { _, _, _ in false }
            case "ACLCAT":
                let category = argument.lowercased()
                keep = { _, group, flags in CommandDocs.categories(group: group, flags: flags).contains(category) }
            case "PATTERN":
                let glob = GlobPattern(Array(argument.lowercased().utf8))
                keep = { name, _, _ in glob.matches(Array(name.utf8)) }
            default:
                throw CommandError.syntax
            }
        }
        let names = CommandDocs.allNames(context.server.commands).filter { keep($0.name, $0.group, $0.flags) }
        return .array(names.map { .bulkString(Array($0.name.utf8)) })
    }

    /// COMMAND GETKEYS command [arg ...]: the arguments of that command line that are keys, by the command's first
    /// key, last key and step.
    private static func commandGetKeys(_ context: CommandContext) throws(CommandError) -> RESPReply {
        guard let command = context.server.commands.command(named: context.arguments[2]) else {
            throw CommandError("ERR Invalid command specified")
        }
        guard command.firstKey > 0 else { throw CommandError("ERR The command has no key arguments") }
        let count = context.count - 2
        guard command.accepts(argumentCount: count) else {
            throw CommandError("ERR Invalid number of arguments specified for command")
        }
        let last = command.lastKey < 0 ? count + command.lastKey : command.lastKey
        guard command.firstKey <= last, last < count else {
            throw CommandError("ERR Invalid arguments specified for command")
        }
        let keys = stride(from: command.firstKey, through: last, by: max(1, command.keyStep))
        return .array(keys.map { .bulkString(context.bytes($0 + 2)) })
    }
}
