import LSM

/// PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and CLIENT: the commands about the connection itself.
enum ConnectionCommands {
    static let all: [Command] = [
        Command("ping", arity: -1, flags: ["fast", "stale"], summary: "Returns the server's liveliness response.",
                run: ping),
        Command("echo", arity: 2, flags: ["fast"], summary: "Returns the given string.") { context in
            .bulkString(context.bytes(1))
        },
        Command("hello", arity: -1, flags: ["noauth", "fast", "stale"],
                summary: "Handshakes with the server: protocol version, authentication, client name.", run: hello),
        Command("auth", arity: -2, flags: ["noauth", "fast", "stale"], summary: "Authenticates the connection.",
                run: auth),
        Command("select", arity: 2, flags: ["fast"], summary: "Changes the selected database.", run: select),
        Command("quit", arity: -1, flags: ["noauth", "fast"], summary: "Closes the connection.") { context in
            context.closesConnection = true
            return .simpleString("OK")
        },
        Command("reset", arity: 1, flags: ["noauth", "fast", "stale"], summary: "Resets the connection.") { context in
            context.session.database = 0
            context.session.protocolVersion = .resp2
            context.session.name = ""
            context.session.isAuthenticated = context.server.requirePass == nil
            return .simpleString("RESET")
        },
        Command("client", arity: -2, flags: ["stale"], summary: "A container for client connection commands.",
                run: client),
    ]

    private static func ping(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        switch context.count {
        case 1: return .simpleString("PONG")
        case 2: return .bulkString(context.bytes(1))
        default: throw CommandError.wrongArity("ping")
        }
    }

    /// Checks `user` and `password` as Redis's ACL does for the default user, the only one here: with a password
    /// configured it must match; with none the user is `nopass` and any password does. Another user name is
    /// always wrong. A failure counts in INFO's acl_access_denied_auth.
    private static func authenticate(user: String, password: [UInt8], _ context: CommandContext)
        throws(CommandError) {
        let required = context.server.requirePass
        guard user == "default", required.map({ equalInConstantTime(password, Array($0.utf8)) }) ?? true else {
            context.server.statistics.countFailedAuthentication()
            throw CommandError("WRONGPASS invalid username-password pair or user is disabled.")
        }
    }

    /// Whether `a` and `b` are equal, in a time that depends on their lengths only, so that the time a wrong
    /// password takes to refuse says nothing of how much of it was right.
    private static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func auth(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        switch context.count {
        case 2:
            // Redis keeps the password-only form's old error when no password is configured.
            guard context.server.requirePass != nil else {
                throw CommandError("ERR AUTH <password> called without any password configured for the default "
                                       + "user. Are you sure your configuration is correct?")
            }
            try authenticate(user: "default", password: context.bytes(1), context)
        case 3:
            try authenticate(user: context.text(1), password: context.bytes(2), context)
        default:
            throw CommandError.syntax
        }
        context.session.isAuthenticated = true
        return .simpleString("OK")
    }

    /// HELLO [protover [AUTH user password] [SETNAME name]], in Redis's order: the version and every option are
    /// read (and the name checked) first, then the credentials, then whether the connection may go on; only then
    /// do the name and the protocol change.
    private static func hello(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        var version = context.session.protocolVersion
        var index = 1
        if context.count > 1 {
            guard let requested = RedisNumber.integer(context.arguments[1].readableBytesView) else {
                throw CommandError("ERR Protocol version is not an integer or out of range")
            }
            guard let chosen = RESPVersion(rawValue: Int(clamping: requested)) else {
                throw CommandError("NOPROTO unsupported protocol version")
            }
            version = chosen
            index = 2
        }
        var name: String?
        var credentials: (user: String, password: [UInt8])?
        while index < context.count {
            let option = context.option(index)
            let remaining = context.count - index - 1
            if option == "AUTH" && remaining >= 2 {
                credentials = (context.text(index + 1), context.bytes(index + 2))
                index += 3
            } else if option == "SETNAME" && remaining >= 1 {
                let proposed = context.text(index + 1)
                try validateClientName(proposed)
                name = proposed
                index += 2
            } else {
                throw CommandError("ERR Syntax error in HELLO option '\(context.text(index))'")
            }
        }
        if let credentials {
            try authenticate(user: credentials.user, password: credentials.password, context)
            context.session.isAuthenticated = true
        }
        guard context.session.isAuthenticated else {
            throw CommandError("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                                   + "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client "
                                   + "and select the RESP protocol version at the same time")
        }
        context.session.protocolVersion = version
        if let name { context.session.name = name }
        func text(_ string: String) -> RESPReply { .bulkString(Array(string.utf8)) }
        return .map([
            (text("server"), text("redis")),
            (text("version"), text(ServerInfo.redisVersion)),
            (text("proto"), .integer(Int64(version.rawValue))),
            (text("id"), .integer(Int64(context.session.id))),
            (text("mode"), text("standalone")),
            (text("role"), text("master")),
            (text("modules"), .array([])),
        ])
    }

    private static func select(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let index = try context.integer(1)
        guard index >= 0 && index < Int64(Keyspace.databaseCount) else {
            throw CommandError("ERR DB index is out of range")
        }
        context.session.database = Int(index)
        return .simpleString("OK")
    }

    /// Client names are printable ASCII without spaces, as Redis requires (the empty name clears it).
    private static func validateClientName(_ name: String) throws(CommandError) {
        guard isPrintableWord(name) else {
            throw CommandError("ERR Client names cannot contain spaces, newlines or special characters.")
        }
    }

    /// Whether every byte of `text` is printable ASCII other than the space (`!` to `~`), as Redis requires of
    /// client names and library names, which CLIENT LIST prints between spaces.
    private static func isPrintableWord(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// CLIENT's subcommands.
    static let clientSubcommands = [
        Subcommand("client", "getname", arity: 2, flags: ["noscript", "loading", "stale"], since: "2.6.9",
                   summary: "Returns the name of the connection."),
        Subcommand("client", "help", arity: 2, flags: ["loading", "stale"], since: "5.0.0",
                   summary: "Returns helpful text about the different subcommands."),
        Subcommand("client", "id", arity: 2, flags: ["noscript", "loading", "stale"], since: "5.0.0",
                   summary: "Returns the unique client ID of the connection."),
        Subcommand("client", "info", arity: 2, flags: ["noscript", "loading", "stale"], since: "6.2.0",
                   summary: "Returns information about the connection."),
        Subcommand("client", "list", arity: -2, flags: ["admin", "noscript", "loading", "stale"], since: "2.4.0",
                   summary: "Lists open connections."),
        Subcommand("client", "setinfo", arity: 4, flags: ["noscript", "loading", "stale"], since: "7.2.0",
                   summary: "Sets information specific to the client or connection."),
        Subcommand("client", "setname", arity: 3, flags: ["noscript", "loading", "stale"], since: "2.6.9",
                   summary: "Sets the connection name."),
    ]

    private static func client(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        switch try Subcommand.find(in: clientSubcommands, context).name {
        case "setname":
            let name = context.text(2)
            try validateClientName(name)
            context.session.name = name
            return .simpleString("OK")
        case "getname":
            return context.session.name.isEmpty ? .null : .bulkString(Array(context.session.name.utf8))
        case "id":
            return .integer(Int64(context.session.id))
        case "info":
            return .verbatimString(Array(describe(context.session, now: context.now).utf8))
        case "list":
            return try list(context)
        case "setinfo":
            // Redis names the attribute first, then checks the value.
            let attribute = context.text(2)
            let value = context.text(3)
            let isName: Bool
            switch attribute.lowercased() {
            case "lib-name": isName = true
            case "lib-ver": isName = false
            default: throw CommandError("ERR Unrecognized option '\(attribute)'")
            }
            guard isPrintableWord(value) else {
                throw CommandError("ERR \(attribute) cannot contain spaces, newlines or special characters.")
            }
            if isName { context.session.libraryName = value } else { context.session.libraryVersion = value }
            return .simpleString("OK")
        default:  // help
            return Subcommand.help("client", [
                "GETNAME", "    Return the name of the current connection.",
                "ID", "    Return the ID of the current connection.",
                "INFO", "    Return information about the current client connection.",
                "LIST [TYPE <type>] [ID <id> [<id> ...]]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
                "    * ID <id> [<id> ...]", "      Return clients of specified IDs only.",
                "SETINFO <option> <value>", "    Set client meta attr. Options are:",
                "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
                "SETNAME <name>", "    Assign the name <name> to the current connection.",
            ])
        }
    }

    /// CLIENT LIST [TYPE type] [ID id...]: every connection's line, the calling one as it is now (the registry
    /// holds it as of its last batch). Every client here is of type `normal`.
    private static func list(_ context: CommandContext) throws(CommandError) -> RESPReply {
        var sessions: [UInt64: ClientSession] = [:]
        for session in context.server.clients.sessions { sessions[session.id] = session }
        sessions[context.session.id] = context.session
        let listed: [ClientSession]
        if context.count == 4 && context.option(2) == "TYPE" {
            switch context.text(3).lowercased() {
            case "normal": listed = sessions.values.sorted { $0.id < $1.id }
            case "master", "replica", "slave", "pubsub": listed = []
            default: throw CommandError("ERR Unknown client type '\(context.text(3))'")
            }
        } else if context.count > 3 && context.option(2) == "ID" {
            // In the order asked, as Redis lists them; unknown ids are left out.
            var requested: [ClientSession] = []
            for index in 3..<context.count {
                guard let id = RedisNumber.integer(context.arguments[index].readableBytesView) else {
                    throw CommandError("ERR Invalid client ID")
                }
                if id >= 0, let session = sessions[UInt64(id)] { requested.append(session) }
            }
            listed = requested
        } else if context.count == 2 {
            listed = sessions.values.sorted { $0.id < $1.id }
        } else {
            throw CommandError.syntax
        }
        return .verbatimString(Array(listed.map { describe($0, now: context.now) }.joined().utf8))
    }

    /// A client's line in CLIENT LIST and CLIENT INFO, with Redis's fields where they have meaning here.
    private static func describe(_ session: ClientSession, now: Timestamp) -> String {
        let age = session.connectedAt.milliseconds(until: now) / 1000
        let idle = session.lastActivity.milliseconds(until: now) / 1000
        return "id=\(session.id) addr=\(session.address) laddr=\(session.localAddress) name=\(session.name) "
            + "age=\(max(0, age)) idle=\(max(0, idle)) flags=N db=\(session.database) sub=0 psub=0 ssub=0 "
            + "multi=-1 cmd=\(session.lastCommand) user=default redir=-1 resp=\(session.protocolVersion.rawValue) "
            + "lib-name=\(session.libraryName) lib-ver=\(session.libraryVersion)\n"
    }
}
