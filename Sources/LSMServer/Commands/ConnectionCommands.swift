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

    /// Whether `user` and `password` are the default user's credentials.
    private static func checkCredentials(user: String, password: [UInt8], _ context: CommandContext)
        throws(CommandError) {
        guard let required = context.server.requirePass else {
            throw CommandError("ERR AUTH <password> called without any password configured for the default user. "
                                   + "Are you sure your configuration is correct?")
        }
        guard user == "default", password == Array(required.utf8) else {
            throw CommandError("WRONGPASS invalid username-password pair or user is disabled.")
        }
    }

    private static func auth(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        switch context.count {
        case 2: try checkCredentials(user: "default", password: context.bytes(1), context)
        case 3: try checkCredentials(user: context.text(1), password: context.bytes(2), context)
        default: throw CommandError.syntax
        }
        context.session.isAuthenticated = true
        return .simpleString("OK")
    }

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
        var authenticated = context.session.isAuthenticated
        while index < context.count {
            let option = context.option(index)
            let remaining = context.count - index - 1
            if option == "AUTH" && remaining >= 2 {
                try checkCredentials(user: context.text(index + 1), password: context.bytes(index + 2), context)
                authenticated = true
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
        guard authenticated else {
            throw CommandError("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                                   + "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client "
                                   + "and select the RESP protocol version at the same time")
        }
        context.session.isAuthenticated = true
        context.session.protocolVersion = version
        if let name { context.session.name = name }
        return .map([
            (.bulkString(Array("server".utf8)), .bulkString(Array("redis".utf8))),
            (.bulkString(Array("version".utf8)), .bulkString(Array(ServerInfo.redisVersion.utf8))),
            (.bulkString(Array("proto".utf8)), .integer(Int64(version.rawValue))),
            (.bulkString(Array("id".utf8)), .integer(Int64(context.session.id))),
            (.bulkString(Array("mode".utf8)), .bulkString(Array("standalone".utf8))),
            (.bulkString(Array("role".utf8)), .bulkString(Array("master".utf8))),
            (.bulkString(Array("modules".utf8)), .array([])),
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

    /// Client names are printable ASCII without spaces, as Redis requires.
    private static func validateClientName(_ name: String) throws(CommandError) {
        guard name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw CommandError("ERR Client names cannot contain spaces, newlines or special characters.")
        }
    }

    private static func client(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let subcommand = context.option(1)
        switch (subcommand, context.count) {
        case ("SETNAME", 3):
            let name = context.text(2)
            try validateClientName(name)
            context.session.name = name
            return .simpleString("OK")
        case ("GETNAME", 2):
            return context.session.name.isEmpty ? .null : .bulkString(Array(context.session.name.utf8))
        case ("ID", 2):
            return .integer(Int64(context.session.id))
        case ("INFO", 2):
            return .verbatimString(Array(describe(context.session, now: context.now).utf8))
        case ("LIST", 2):
            var current = [context.session.id: context.session]
            for session in context.server.clients.sessions where current[session.id] == nil {
                current[session.id] = session
            }
            let lines = current.values.sorted { $0.id < $1.id }.map { describe($0, now: context.now) }
            return .verbatimString(Array(lines.joined().utf8))
        case ("SETINFO", 4):
            let attribute = context.option(2)
            let value = context.text(3)
            guard value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) || value.isEmpty else {
                throw CommandError("ERR \(attribute) cannot contain spaces, newlines or special characters.")
            }
            switch attribute {
            case "LIB-NAME": context.session.libraryName = value
            case "LIB-VER": context.session.libraryVersion = value
            default: throw CommandError("ERR Unrecognized option '\(context.text(2))'")
            }
            return .simpleString("OK")
        case ("SETNAME", _), ("GETNAME", _), ("ID", _), ("INFO", _), ("LIST", _), ("SETINFO", _):
            throw CommandError.wrongArity("client|\(subcommand.lowercased())")
        default:
            throw CommandError("ERR unknown subcommand '\(context.text(1))'. Try CLIENT HELP.")
        }
    }

    /// A client's line in CLIENT LIST and CLIENT INFO, with Redis's fields where they have meaning here.
    private static func describe(_ session: ClientSession, now: Timestamp) -> String {
        let age = session.connectedAt.milliseconds(until: now) / 1000
        let idle = session.lastActivity.milliseconds(until: now) / 1000
        return "id=\(session.id) addr=\(session.address) laddr=\(session.localAddress) name=\(session.name) "
            + "age=\(max(0, age)) idle=\(max(0, idle)) flags=N db=\(session.database) sub=0 psub=0 multi=-1 "
            + "cmd=\(session.lastCommand) user=default resp=\(session.protocolVersion.rawValue) "
            + "lib-name=\(session.libraryName) lib-ver=\(session.libraryVersion)\n"
    }
}
