#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The Redis-protocol server over one engine database: `lsm serve`.
///
/// ``run()`` opens the database, listens, logs one line when ready, and serves until it is asked to stop (SIGTERM
/// or SIGINT through swift-service-lifecycle's graceful shutdown, or the SHUTDOWN command). Stopping closes the
/// listening socket, lets every connection finish the commands it is running and send their replies, syncs the
/// log and closes the database.
public final class RedisServer: Service, Sendable {
    private let configuration: ServerConfiguration
    private let logger: Logger
    /// How a stop request reaches ``run()``: the promise it waits on (fulfilled with whether to take a checkpoint
    /// first, as SHUTDOWN SAVE asks), or the request itself when it came before ``run()`` made the promise.
    private struct StopRequest {
        var promise: EventLoopPromise<Bool>?
        var requested: Bool?
    }

    private let stopRequest = NIOLockedValueBox(StopRequest())
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let boundPort = NIOLockedValueBox<Int?>(nil)

    public init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        if !configuration.bindsLoopbackOnly && configuration.requirePass == nil {
            throw ServerConfigurationError(
                "refusing to listen on \(configuration.bind) without a password (protected mode): set "
                    + "--requirepass, or bind 127.0.0.1")
        }
        try createDirectory(configuration.directory)
        let database = try await Database.open(configuration.databasePath, options: configuration.engineOptions)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.ioThreads)
        let workers = NIOThreadPool(numberOfThreads: max(4, 2 * System.coreCount))
        workers.start()
        let state = ServerState(database: database, configuration: configuration, logger: logger) { [self] save in
            requestStop(checkpoint: save)
        }
        state.writer.start()

        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap(group: group, state: state, workers: workers)
                .bind(host: configuration.bind, port: configuration.port).get()
        } catch {
            state.writer.stop()
            try? await database.close()
            try? await workers.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw ServerConfigurationError(
                "cannot listen on \(configuration.bind):\(configuration.port): \(error)")
        }
        // Made once listening: a promise left unfulfilled when binding fails traps in NIO's debug builds.
        let stopPromise = group.next().makePromise(of: Bool.self)
        if let early = stopRequest.withLockedValue({ request -> Bool? in
            request.promise = stopPromise
            return request.requested
        }) {
            stopPromise.succeed(early)
        }
        let port = serverChannel.localAddress?.port ?? configuration.port
        boundPort.withLockedValue { $0 = port }
        logger.info("Ready to accept connections on \(configuration.bind):\(port) (directory \(configuration.directory), appendfsync \(configuration.appendFsync.rawValue))")

        let checkpoint = try await withGracefulShutdownHandler {
            try await stopPromise.futureResult.get()
        } onGracefulShutdown: { [self] in
            requestStop(checkpoint: false)
        }
        logger.info("Shutting down: closing connections")
        try? await serverChannel.close()
        try await closeConnections(group: group)
        // A background checkpoint still being written finishes before the database closes under it.
        while state.checkpointInProgress.withLockedValue({ $0 }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if checkpoint {
            do {
                try ServerCommands.takeCheckpoint(state)
            } catch {
                logger.error("the checkpoint before shutdown failed: \(error.line)")
            }
        }
        state.writer.stop()
        try? await workers.shutdownGracefully()
        try await database.close()
        try? await group.shutdownGracefully()
        logger.info("The database is closed; exiting")
    }

    /// The port the server listens on once it is ready (the one the system chose for port 0); nil before.
    public var listeningPort: Int? { boundPort.withLockedValue { $0 } }

    /// Asks the server to stop as SIGTERM does: it stops accepting, lets connections finish, closes the database,
    /// and ``run()`` returns.
    public func stop() {
        requestStop(checkpoint: false)
    }

    /// Asks the server to stop; the first request counts.
    private func requestStop(checkpoint: Bool) {
        let promise = stopRequest.withLockedValue { request -> EventLoopPromise<Bool>? in
            guard request.requested == nil else { return nil }
            request.requested = checkpoint
            return request.promise
        }
        promise?.succeed(checkpoint)
    }

    /// Tells every connection to close once its running commands have replied, and waits for them (forcing those
    /// still open after ten seconds).
    private func closeConnections(group: MultiThreadedEventLoopGroup) async throws {
        let open = connections.withLockedValue { Array($0.values) }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(CloseWhenIdle())
        }
        let closed = EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: group.next())
        let deadline = group.next().scheduleTask(in: .seconds(10)) {
            for channel in open { channel.close(promise: nil) }
        }
        try await closed.get()
        deadline.cancel()
    }

    private func bootstrap(group: MultiThreadedEventLoopGroup, state: ServerState, workers: NIOThreadPool)
        -> ServerBootstrap {
        let configuration = self.configuration
        let soft = configuration.outputBufferLimit.softBytes
        let high = soft > 0 ? soft : Int(Int32.max)
        let loops = Dictionary(uniqueKeysWithValues: group.makeIterator().map {
            (ObjectIdentifier($0),
             (flusher: ReplyFlusher(eventLoop: $0), blindWrites: BlindWrites(eventLoop: $0, server: state)))
        })
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 511)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.writeBufferWaterMark,
                                value: ChannelOptions.Types.WriteBufferWaterMark(low: high / 2, high: high))
            .childChannelInitializer { [self] channel in
                let key = ObjectIdentifier(channel)
                connections.withLockedValue { $0[key] = channel }
                channel.closeFuture.whenComplete { [self] _ in
                    _ = connections.withLockedValue { $0.removeValue(forKey: key) }
                }
                let limits = RESPLimits(maxBulkLength: configuration.maxBulkLength)
                // Every event loop of the group has them: the lookup cannot fail.
                let loop = loops[ObjectIdentifier(channel.eventLoop)]!
                return channel.eventLoop.makeCompletedFuture {
                    let timeout = state.configuration.withLockedValue { $0.timeout }
                    if timeout > 0 {
                        try channel.pipeline.syncOperations.addHandler(
                            IdleStateHandler(readTimeout: .seconds(Int64(timeout))))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(server: state, workers: workers, flusher: loop.flusher,
                                          blindWrites: loop.blindWrites, highWaterMark: high, limits: limits,
                                          queryBufferLimit: configuration.queryBufferLimit))
                }
            }
    }

    /// Creates `path` and its missing parents (`mkdir -p`).
    private func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw ServerConfigurationError("cannot create the directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
