#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// The server commands: INFO, CONFIG, COMMAND, TIME, SAVE, BGSAVE, LASTSAVE, SHUTDOWN.
enum ServerCommands {
    static let all: [Command] = [
        Command("shutdown", arity: -1, flags: ["admin", "noscript", "loading", "stale"],
                summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", run: shutdown),
        Command("save", arity: 1, flags: ["admin", "noscript"],
                summary: "Takes a checkpoint of the database into the server's checkpoints directory.") { context in
            try takeCheckpoint(context.server)
            return .simpleString("OK")
        },
        Command("lastsave", arity: 1, flags: ["fast", "loading", "stale"],
                summary: "Returns the Unix timestamp of the last successful save to disk.") { context in
            .integer(context.server.lastSave.withLockedValue { $0 }.millisecondsSinceEpoch / 1000)
        },
    ]

    private static func shutdown(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        var checkpoint = false
        for index in 1..<context.count {
            switch context.option(index) {
            case "SAVE": checkpoint = true
            case "NOSAVE", "NOW", "FORCE": break
            default: throw CommandError.syntax
            }
        }
        context.server.requestShutdown(checkpoint)
        context.closesConnection = true
        context.suppressesReply = true
        return .simpleString("OK")
    }

    /// Takes a checkpoint of the database into `checkpoints/` under the server's directory, named by the moment
    /// it was taken, and records the moment for LASTSAVE.
    static func takeCheckpoint(_ server: ServerState) throws(CommandError) {
        let directory = server.configuration.withLockedValue { $0.checkpointsPath }
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw CommandError("ERR cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let now = server.keyspace.clock.now()
        var path = "\(directory)/\(now.millisecondsSinceEpoch)"
        var attempt = 1
        while access(path, F_OK) == 0 {
            attempt += 1
            path = "\(directory)/\(now.millisecondsSinceEpoch)-\(attempt)"
        }
        do {
            try server.keyspace.database.checkpoint(to: path)
        } catch {
            throw CommandError("ERR the checkpoint failed: \(error.message)")
        }
        server.lastSave.withLockedValue { $0 = now }
        server.logger.info("Checkpoint taken in \(path)")
    }
}
