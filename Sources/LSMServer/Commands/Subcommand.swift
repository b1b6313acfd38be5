/// One subcommand of a container command (CONFIG GET, CLIENT LIST...): the arity its container checks before
/// running it, and what COMMAND INFO, COMMAND DOCS and COMMAND LIST say of it, under its full name `config|get`.
struct Subcommand: Sendable {
    let container: String
    /// Lowercase, without the container's name.
    let name: String
    /// Counts the container's name and the subcommand's, as Redis's does (CONFIG GET pattern: −3).
    let arity: Int
    let flags: [String]
    let summary: String
    /// The Redis version that added it.
    let since: String

    init(_ container: String, _ name: String, arity: Int, flags: [String], since: String, summary: String) {
        self.container = container
        self.name = name
        self.arity = arity
        self.flags = flags
        self.since = since
        self.summary = summary
    }

    var fullName: String { "\(container)|\(name)" }

    /// The subcommand of `list` that `context`'s second argument names, once its arity is checked: Redis's errors
    /// for an unknown subcommand and for a wrong argument count.
    static func find(in list: [Subcommand], _ context: CommandContext) throws(CommandError) -> Subcommand {
        let requested = context.text(1).lowercased()
        guard let subcommand = list.first(where: { $0.name == requested }) else {
            throw CommandError("ERR unknown subcommand '\(String(context.text(1).prefix(128)))'. Try "
                                   + "\(context.name.uppercased()) HELP.")
        }
        let count = context.count
        guard subcommand.arity >= 0 ? count == subcommand.arity : count >= -subcommand.arity else {
            throw CommandError.wrongArity(subcommand.fullName)
        }
        return subcommand
    }

    /// Redis's HELP reply: a heading naming the container, the lines describing its subcommands, then HELP's own.
    static func help(_ container: String, _ lines: [String]) -> RESPReply {
        let heading = "\(container.uppercased()) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        return .array(([heading] + lines + ["HELP", "    Print this help."]).map { .simpleString($0) })
    }
}
