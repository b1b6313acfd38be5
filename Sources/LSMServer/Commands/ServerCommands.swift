import LSM

/// The server commands: INFO, CONFIG, COMMAND, TIME, SAVE, BGSAVE, LASTSAVE, SHUTDOWN. INFO, CONFIG, COMMAND and
/// the checkpoints each have a file of their own (`ServerCommands+Info.swift`...).
enum ServerCommands {
    static let all: [Command] = [
        Command("info", arity: -1, flags: ["loading", "stale"],
                summary: "Returns information and statistics about the server.", run: info),
        Command("config", arity: -2, flags: [], summary: "A container for server configuration commands.",
                run: config),
        Command("command", arity: -1, flags: ["loading", "stale"],
                summary: "Returns detailed information about all commands.", run: command),
        Command("time", arity: 1, flags: ["fast", "loading", "stale"], summary: "Returns the server time.") {
            context in
            // The clock keys expire by (milliseconds), so that TIME and expiry agree.
            let milliseconds = context.now.millisecondsSinceEpoch
            let seconds = milliseconds / 1000
            let microseconds = (milliseconds - seconds * 1000) * 1000
            return .array([.bulkString(RedisNumber.text(seconds)), .bulkString(RedisNumber.text(microseconds))])
        },
        Command("shutdown", arity: -1, flags: ["admin", "noscript", "loading", "stale"],
                summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", run: shutdown),
        Command("save", arity: 1, flags: ["admin", "noscript"],
                summary: "Takes a checkpoint of the database into the server's checkpoints directory.", run: save),
        Command("bgsave", arity: -1, flags: ["admin", "noscript"],
                summary: "Takes a checkpoint of the database in the background.", run: bgsave),
        Command("lastsave", arity: 1, flags: ["fast", "loading", "stale"],
                summary: "Returns the Unix timestamp of the last successful save to disk.") { context in
            .integer(context.server.lastSave.withLockedValue { $0 }.millisecondsSinceEpoch / 1000)
        },
    ]

    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: stops the server after a checkpoint when SAVE asks for one. NOW and
    /// FORCE change nothing here (no replicas to wait for; a failed checkpoint does not stop the shutdown, the log
    /// holding every write anyway). ABORT cannot cancel a shutdown once asked, so it is refused.
    private static func shutdown(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        var save = false
        var noSave = false
        var abort = false
        var others = false
        for index in 1..<context.count {
            switch context.option(index) {
            case "SAVE": save = true
            case "NOSAVE": noSave = true
            case "NOW", "FORCE": others = true
            case "ABORT": abort = true
            default: throw CommandError.syntax
            }
        }
        if (save && noSave) || (abort && (save || noSave || others)) { throw CommandError.syntax }
        if abort { throw CommandError("ERR SHUTDOWN ABORT is not supported: a shutdown cannot be cancelled") }
        context.server.requestShutdown(save)
        context.closesConnection = true
        context.suppressesReply = true
        return .simpleString("OK")
    }
}
