import Synchronization

/// The counters INFO's stats and persistence sections show, shared by every connection, and what INFO reports of
/// the last background checkpoint.
final class ServerStatistics: Sendable {
    private let commands = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let errorReplies = Atomic<Int>(0)
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)
    private let inputBytes = Atomic<Int>(0)
    private let outputBytes = Atomic<Int>(0)
    private let failedAuthentications = Atomic<Int>(0)
    private let checkpoints = Atomic<Int>(0)
    private let background = Mutex(BackgroundCheckpoint())

    /// What INFO's persistence section says of BGSAVE. Not counters: CONFIG RESETSTAT leaves it, as Redis leaves
    /// its `rdb_last_bgsave_*` fields.
    struct BackgroundCheckpoint: Sendable {
        /// When the running one started; nil when none runs.
        var startedAt: ContinuousClock.Instant?
        /// Whether the last one completed (`rdb_last_bgsave_status`); true before the first, as in Redis.
        var lastSucceeded = true
        /// How long the last one took, in whole seconds; nil before the first (`rdb_last_bgsave_time_sec` −1).
        var lastSeconds: Int64?
        /// Whether BGSAVE SCHEDULE asked for another once the running one completes.
        var scheduled = false
    }

    func countCommand() { commands.add(1, ordering: .relaxed) }
    func countConnection() { connections.add(1, ordering: .relaxed) }
    func countRejectedConnection() { rejected.add(1, ordering: .relaxed) }
    func countErrorReply() { errorReplies.add(1, ordering: .relaxed) }
    /// A read of a key that found it (`hit`) or not: INFO's keyspace_hits and keyspace_misses.
    func countLookup(hit: Bool) {
        if hit { hits.add(1, ordering: .relaxed) } else { misses.add(1, ordering: .relaxed) }
    }
    func countInput(_ bytes: Int) { inputBytes.add(bytes, ordering: .relaxed) }
    func countOutput(_ bytes: Int) { outputBytes.add(bytes, ordering: .relaxed) }
    /// An AUTH or HELLO AUTH that gave wrong credentials (INFO's acl_access_denied_auth).
    func countFailedAuthentication() { failedAuthentications.add(1, ordering: .relaxed) }
    /// A checkpoint taken by SAVE, BGSAVE or SHUTDOWN SAVE (INFO's rdb_saves).
    func countCheckpoint() { checkpoints.add(1, ordering: .relaxed) }

    /// The counters of the stats section by INFO's names.
    var snapshot: [(String, Int)] {
        [("total_connections_received", connections.load(ordering: .relaxed)),
         ("total_commands_processed", commands.load(ordering: .relaxed)),
         ("total_net_input_bytes", inputBytes.load(ordering: .relaxed)),
         ("total_net_output_bytes", outputBytes.load(ordering: .relaxed)),
         ("rejected_connections", rejected.load(ordering: .relaxed)),
         ("keyspace_hits", hits.load(ordering: .relaxed)),
         ("keyspace_misses", misses.load(ordering: .relaxed)),
         ("total_error_replies", errorReplies.load(ordering: .relaxed)),
         ("acl_access_denied_auth", failedAuthentications.load(ordering: .relaxed))]
    }

    /// Checkpoints taken since the start or the last CONFIG RESETSTAT.
    var checkpointCount: Int { checkpoints.load(ordering: .relaxed) }

    /// Reads or changes the background checkpoint's record under its lock.
    func withBackgroundCheckpoint<Result>(_ body: (inout BackgroundCheckpoint) -> Result) -> Result {
        background.withLock { body(&$0) }
    }

    /// CONFIG RESETSTAT: every counter back to zero.
    func reset() {
        commands.store(0, ordering: .relaxed)
        connections.store(0, ordering: .relaxed)
        rejected.store(0, ordering: .relaxed)
        errorReplies.store(0, ordering: .relaxed)
        hits.store(0, ordering: .relaxed)
        misses.store(0, ordering: .relaxed)
        inputBytes.store(0, ordering: .relaxed)
        outputBytes.store(0, ordering: .relaxed)
        failedAuthentications.store(0, ordering: .relaxed)
        checkpoints.store(0, ordering: .relaxed)
    }
}
