import LSM
import Logging
import NIOConcurrencyHelpers

/// What every connection shares: the key spaces, the settings CONFIG SET may change, the clients, the counters,
/// and the way to ask the server to shut down.
final class ServerState: Sendable {
    let keyspace: Keyspace
    let commands = CommandTable.standard
    let statistics = ServerStatistics()
    let clients = ClientRegistry()
    let scanCursors = ScanCursors()
    let writer: WriteThread
    let logger: Logger
    /// When the server started, for INFO's uptime.
    let startedAt: Timestamp
    /// The settings; CONFIG SET changes some of them while the server runs.
    let configuration: NIOLockedValueBox<ServerConfiguration>
    /// When SAVE or BGSAVE last completed (LASTSAVE); the start before the first.
    let lastSave: NIOLockedValueBox<Timestamp>
    /// Whether a BGSAVE is running.
    let checkpointInProgress = NIOLockedValueBox(false)
    /// Asks the server to stop, as SIGTERM does; `checkpoint` first when SHUTDOWN SAVE asked for one.
    let requestShutdown: @Sendable (_ checkpoint: Bool) -> Void

    init(
        database: Database, configuration: ServerConfiguration, logger: Logger,
        requestShutdown: @escaping @Sendable (Bool) -> Void
    ) {
        keyspace = Keyspace(database: database)
        writer = WriteThread(keyspace: keyspace, mode: configuration.appendFsync, logger: logger)
        self.logger = logger
        startedAt = database.options.clock.now()
        self.configuration = NIOLockedValueBox(configuration)
        lastSave = NIOLockedValueBox(startedAt)
        self.requestShutdown = requestShutdown
    }

    /// The password clients must give now; nil when none is needed.
    var requirePass: String? { configuration.withLockedValue { $0.requirePass } }
}
