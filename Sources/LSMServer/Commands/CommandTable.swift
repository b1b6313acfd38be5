import NIOCore

/// Every command the server knows, by lowercase name, gathered from the families (connection, strings, keys,
/// server), and the dispatch of one request to its command.
struct CommandTable: Sendable {
    let commands: [String: Command]
    /// The commands by the length of their name (index 0 unused), for finding a request's command by comparing
    /// bytes, without making a string of its name: the few names of one length are compared in turn.
    private let byLength: [[Command]]
    /// The longest command name.
    private let longestName: Int

    /// The table of every family.
    static let standard = CommandTable(
        ConnectionCommands.all + StringCommands.all + KeyCommands.all + ServerCommands.all)

    init(_ commands: [Command]) {
        var byName: [String: Command] = [:]
        for command in commands {
            precondition(byName[command.name] == nil, "command \(command.name) defined twice")
            byName[command.name] = command
        }
        self.commands = byName
        longestName = commands.map(\.name.utf8.count).max() ?? 0
        var byLength = [[Command]](repeating: [], count: longestName + 1)
        for command in commands { byLength[command.name.utf8.count].append(command) }
        self.byLength = byLength
    }

    /// The command `arguments` names (its first argument, in any case); nil when there is none. Only ASCII letters
    /// are folded, as Redis compares command names.
    func command(named name: ByteBuffer) -> Command? {
        let count = name.readableBytes
        guard count > 0, count <= longestName else { return nil }
        return name.withUnsafeReadableBytes { bytes in
            byLength[count].first { command in
                var index = 0
                for expected in command.name.utf8 {
                    let byte = bytes[index]
                    let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                    guard lowered == expected else { return false }
                    index += 1
                }
                return true
            }
        }
    }

    /// Runs one request: finds its command (unless the caller found it already), checks its arity and the
    /// connection's authentication, runs it, and returns its reply or error reply.
    func execute(_ context: inout CommandContext) -> RESPReply {
        execute(&context, command: command(named: context.arguments[0]))
    }

    /// Runs one request whose command `command` is (nil: none has its name).
    func execute(_ context: inout CommandContext, command: Command?) -> RESPReply {
        // Refused commands count as error replies but not as commands processed, as in Redis.
        guard let command else {
            context.server.statistics.countErrorReply()
            return .error(Self.unknownCommandMessage(context.arguments))
        }
        context.session.lastCommand = command.name
        context.session.lastActivity = context.now
        guard command.accepts(argumentCount: context.arguments.count) else {
            context.server.statistics.countErrorReply()
            return .error(CommandError.wrongArity(command.name).line)
        }
        // A password removed by CONFIG SET frees connections that had not authenticated, as in Redis.
        if !context.session.isAuthenticated && !command.allowedWithoutAuthentication
            && context.server.requirePass != nil {
            context.server.statistics.countErrorReply()
            return .error(CommandError.noAuth.line)
        }
        context.server.statistics.countCommand()
        do {
            return try command.run(&context)
        } catch {
            context.server.statistics.countErrorReply()
            return .error((error as? CommandError)?.line ?? "ERR \(error)")
        }
    }

    /// Redis's reply to a command it does not know: the name, then up to 128 bytes of its arguments, each quoted.
    static func unknownCommandMessage(_ arguments: [ByteBuffer]) -> String {
        func shown(_ buffer: ByteBuffer, limit: Int) -> String {
            String(decoding: buffer.readableBytesView.prefix(max(0, limit)), as: UTF8.self)
        }
        var listed = ""
        for argument in arguments.dropFirst() {
            let room = 128 - listed.utf8.count
            guard room > 0 else { break }
            listed += "'\(shown(argument, limit: room))' "
        }
        return "ERR unknown command '\(shown(arguments[0], limit: 128))', with args beginning with: \(listed)"
    }
}
