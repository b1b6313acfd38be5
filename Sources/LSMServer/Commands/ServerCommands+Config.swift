#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CONFIG GET, SET, RESETSTAT, REWRITE and HELP over the settings of ``ServerConfiguration``, with Redis 7's
/// replies and errors. CONFIG SET goes through ``ServerConfiguration/apply(directive:arguments:)``, as a
/// configuration file's lines do, and applies all its settings or none. A change counts from the next connection
/// where a connection reads the setting when it opens (maxclients, timeout, requirepass).
extension ServerCommands {
    /// A setting CONFIG GET shows, by its redis.conf name.
    struct ConfigSetting: Sendable {
        let name: String
        /// Whether CONFIG SET may change it while the server runs; the others are fixed at startup (the address,
        /// the directory, the limits the network pipeline was built with, the write thread's appendfsync mode).
        let isMutable: Bool
        /// Whether CONFIG SET's value is a list of words, split at spaces, as Redis reads these settings.
        let takesWords: Bool
        /// The value CONFIG GET shows.
        let value: @Sendable (ServerConfiguration) -> String

        init(_ name: String, mutable: Bool, words: Bool = false,
             value: @escaping @Sendable (ServerConfiguration) -> String) {
            self.name = name
            isMutable = mutable
            takesWords = words
            self.value = value
        }
    }

    /// Every setting, in CONFIG GET's order. `appendonly`, `save` and `databases` are there for the clients that
    /// read them (redis-benchmark asks for `save` and `appendonly` when it starts): every write goes to the log,
    /// checkpoints are taken by SAVE and BGSAVE only, and there are always 16 databases.
    static let configSettings = [
        ConfigSetting("dir", mutable: false) { absolutePath($0.directory) },
        ConfigSetting("bind", mutable: false) { $0.bind },
        ConfigSetting("port", mutable: false) { "\($0.port)" },
        ConfigSetting("requirepass", mutable: true) { $0.requirePass ?? "" },
        ConfigSetting("appendfsync", mutable: false) { $0.appendFsync.rawValue },
        ConfigSetting("appendonly", mutable: true) { _ in "yes" },
        ConfigSetting("save", mutable: true, words: true) { _ in "" },
        ConfigSetting("databases", mutable: false) { _ in "\(Keyspace.databaseCount)" },
        ConfigSetting("maxclients", mutable: true) { "\($0.maxClients)" },
        ConfigSetting("io-threads", mutable: false) { "\($0.ioThreads)" },
        ConfigSetting("timeout", mutable: true) { "\($0.timeout)" },
        ConfigSetting("client-output-buffer-limit", mutable: true, words: true) { $0.outputBufferLimit.description },
        ConfigSetting("proto-max-bulk-len", mutable: false) { "\($0.maxBulkLength)" },
        ConfigSetting("client-query-buffer-limit", mutable: false) { "\($0.queryBufferLimit)" },
    ]

    /// CONFIG's subcommands.
    static let configSubcommands = [
        Subcommand("config", "get", arity: -3, flags: ["admin", "noscript", "loading", "stale"], since: "2.0.0",
                   summary: "Returns the effective values of configuration parameters."),
        Subcommand("config", "help", arity: 2, flags: ["loading", "stale"], since: "5.0.0",
                   summary: "Returns helpful text about the different subcommands."),
        Subcommand("config", "resetstat", arity: 2, flags: ["admin", "noscript", "loading", "stale"],
                   since: "2.0.0", summary: "Resets the server's statistics."),
        Subcommand("config", "rewrite", arity: 2, flags: ["admin", "noscript", "loading", "stale"],
                   since: "2.8.0", summary: "Persists the effective configuration to file."),
        Subcommand("config", "set", arity: -4, flags: ["admin", "noscript", "loading", "stale"], since: "2.0.0",
                   summary: "Sets configuration parameters in-flight."),
    ]

    static func config(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        switch try Subcommand.find(in: configSubcommands, context).name {
        case "get":
            return configGet(context)
        case "set":
            return try configSet(context)
        case "resetstat":
            context.server.statistics.reset()
            return .simpleString("OK")
        case "rewrite":
            throw CommandError("ERR CONFIG REWRITE is not supported: lsm serve does not write configuration files")
        default:  // help
            return Subcommand.help("config", [
                "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                "RESETSTAT", "    Reset statistics reported by the INFO command.",
                "REWRITE", "    Not supported: lsm serve does not write configuration files.",
            ])
        }
    }

    /// CONFIG GET pattern [pattern ...]: the settings any pattern names, each once, as name/value pairs (a map in
    /// RESP3). A pattern without `*`, `?` or `[` names one setting in any case, and the reply spells it as asked;
    /// the others are globs, matched regardless of case.
    private static func configGet(_ context: CommandContext) -> RESPReply {
        let configuration = context.server.configuration.withLockedValue { $0 }
        var pairs: [(key: RESPReply, value: RESPReply)] = []
        var shown: Set<String> = []
        func show(_ setting: ConfigSetting, as name: String) {
            guard shown.insert(setting.name).inserted else { return }
            pairs.append((.bulkString(Array(name.utf8)), .bulkString(Array(setting.value(configuration).utf8))))
        }
        for index in 2..<context.count {
            let pattern = context.text(index)
            if pattern.contains(where: { "*?[".contains($0) }) {
                let glob = GlobPattern(Array(pattern.lowercased().utf8))
                for setting in configSettings where glob.matches(Array(setting.name.utf8)) {
                    show(setting, as: setting.name)
                }
            } else if let setting = configSetting(named: pattern) {
                show(setting, as: pattern)
            }
        }
        return .map(pairs)
    }

    /// CONFIG SET name value [name value ...]: every setting or none. The first problem in the order given is
    /// the error: an unknown name, one that cannot change while the server runs, one named twice, or a value
    /// ``ServerConfiguration/apply(directive:arguments:)`` refuses.
    private static func configSet(_ context: CommandContext) throws(CommandError) -> RESPReply {
        guard context.count % 2 == 0 else { throw CommandError.syntax }
        var changes: [(setting: ConfigSetting, value: String)] = []
        for index in stride(from: 2, to: context.count, by: 2) {
            let name = context.text(index)
            guard let setting = configSetting(named: name) else {
                throw CommandError("ERR Unknown option or number of arguments for CONFIG SET - '\(name)'")
            }
            guard setting.isMutable else { throw configSetFailure(name, "can't set immutable config") }
            guard !changes.contains(where: { $0.setting.name == setting.name }) else {
                throw configSetFailure(name, "duplicate parameter")
            }
            changes.append((setting, context.text(index + 1)))
        }
        let failure = context.server.configuration.withLockedValue { configuration -> CommandError? in
            var changed = configuration
            for (setting, value) in changes {
                let arguments = setting.takesWords ? value.split(separator: " ").map(String.init) : [value]
                do throws(ServerConfigurationError) {
                    try changed.apply(directive: setting.name, arguments: arguments)
                } catch {
                    return configSetFailure(setting.name, error.message)
                }
            }
            configuration = changed
            return nil
        }
        if let failure { throw failure }
        return .simpleString("OK")
    }

    private static func configSetFailure(_ name: String, _ reason: String) -> CommandError {
        CommandError("ERR CONFIG SET failed (possibly related to argument '\(name)') - \(reason)")
    }

    private static func configSetting(named name: String) -> ConfigSetting? {
        let lowered = name.lowercased()
        return configSettings.first { $0.name == lowered }
    }

    /// `path` made absolute (Redis's `dir` is the working directory, always absolute); as given when it cannot be
    /// resolved.
    private static func absolutePath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
