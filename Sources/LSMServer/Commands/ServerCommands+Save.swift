#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// SAVE and BGSAVE: checkpoints of the database into `checkpoints/` under the server's directory, one at a time
/// (``ServerState/checkpointInProgress`` is held while one is taken).
extension ServerCommands {
    static let backgroundSaveInProgress = CommandError("ERR Background save already in progress")

    /// SAVE: a checkpoint now, the reply once it is taken.
    static func save(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let server = context.server
        guard claimCheckpoint(server) else { throw backgroundSaveInProgress }
        defer { releaseCheckpointAfterSave(server) }
        try takeCheckpoint(server)
        return .simpleString("OK")
    }

    /// BGSAVE [SCHEDULE]: a checkpoint on a thread of its own, the reply at once. While one is being taken,
    /// SCHEDULE asks for another once it completes (one for any number of requests), as Redis does; without it the
    /// request is refused.
    static func bgsave(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        if context.count > 2 || (context.count == 2 && context.option(1) != "SCHEDULE") { throw CommandError.syntax }
        let server = context.server
        let schedules = context.count == 2
        let started = server.checkpointInProgress.withLockedValue { running -> Bool in
            guard !running else {
                // Set under the flag's lock, which the thread holds to look for it before it stops.
                if schedules { server.statistics.withBackgroundCheckpoint { $0.scheduled = true } }
                return false
            }
            running = true
            return true
        }
        guard started else {
            guard schedules else { throw backgroundSaveInProgress }
            return .simpleString("Background saving scheduled")
        }
        guard startBackgroundCheckpoints(server) else {
            server.checkpointInProgress.withLockedValue { $0 = false }
            throw CommandError("ERR cannot start a thread for the background save")
        }
        return .simpleString("Background saving started")
    }

    /// Takes a checkpoint of the database into `checkpoints/` under the server's directory, named by the moment
    /// it was taken, and records the moment for LASTSAVE and INFO.
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
        server.statistics.countCheckpoint()
        server.logger.info("Checkpoint taken in \(path)")
    }

    /// Takes the right to take a checkpoint; false when one is being taken.
    private static func claimCheckpoint(_ server: ServerState) -> Bool {
        server.checkpointInProgress.withLockedValue { running in
            defer { running = true }
            return !running
        }
    }

    /// Gives the right back after SAVE, or hands it to a background thread when BGSAVE SCHEDULE asked for a
    /// checkpoint meanwhile.
    private static func releaseCheckpointAfterSave(_ server: ServerState) {
        guard takeScheduledOrRelease(server) else { return }
        if !startBackgroundCheckpoints(server) {
            server.logger.error("cannot start a thread for the scheduled background save")
            server.checkpointInProgress.withLockedValue { $0 = false }
        }
    }

    /// Under the flag's lock: whether a checkpoint was scheduled (then it is taken off the schedule and the flag
    /// stays held for it), or the flag is released.
    private static func takeScheduledOrRelease(_ server: ServerState) -> Bool {
        server.checkpointInProgress.withLockedValue { running in
            let scheduled = server.statistics.withBackgroundCheckpoint { record in
                defer { record.scheduled = false }
                return record.scheduled
            }
            if !scheduled { running = false }
            return scheduled
        }
    }

    /// Starts a thread that takes a checkpoint, then another for as long as BGSAVE SCHEDULE asked for one
    /// meanwhile, and releases the flag (which the caller holds); false when no thread could be started.
    private static func startBackgroundCheckpoints(_ server: ServerState) -> Bool {
        guard let thread = PosixThread.start({
            repeat {
                let clock = ContinuousClock()
                let start = clock.now
                server.statistics.withBackgroundCheckpoint { $0.startedAt = start }
                var succeeded = true
                do throws(CommandError) {
                    try takeCheckpoint(server)
                } catch {
                    server.logger.error("Background saving failed: \(error.line)")
                    succeeded = false
                }
                let seconds = (clock.now - start).components.seconds
                server.statistics.withBackgroundCheckpoint { record in
                    record.startedAt = nil
                    record.lastSucceeded = succeeded
                    record.lastSeconds = seconds
                }
            } while takeScheduledOrRelease(server)
        }) else { return false }
        thread.detach()
        return true
    }
}
