import ArgumentParser
import Dispatch
import LSM
import LSMServer
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// `lsm serve [DIR]`: the Redis-protocol server over a database in DIR.
struct ServeCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a database over the Redis protocol (redis-cli, redis-benchmark and Redis clients work).",
        discussion: """
            Keeps the database in DIR/db (created if missing) and SAVE's checkpoints in DIR/checkpoints. Listens on \
            127.0.0.1:6379 unless told otherwise; listening on another address needs --requirepass. Logs one line \
            to standard error when ready. SIGTERM or SIGINT stops it cleanly: it stops accepting, lets every \
            connection finish the commands it is running, syncs the log, closes the database and exits 0. \
            Settings on the command line override those of --config, a redis.conf-style file (dir, bind, port, \
            requirepass, appendfsync, maxclients, io-threads, timeout, client-output-buffer-limit, \
            proto-max-bulk-len, client-query-buffer-limit).
            """
    )

    @Argument(help: "The server's directory (default ./lsm-data).")
    var directory: String?

    @Option(help: "The address to listen on (default 127.0.0.1).")
    var bind: String?

    @Option(help: "The TCP port (default 6379; 0 picks a free one, named in the ready line).")
    var port: Int?

    @Option(help: "The password clients must give with AUTH or HELLO.")
    var requirepass: String?

    @Option(help: "When writes are synced: always (before each reply), everysec (default) or no.")
    var appendfsync: String?

    @Option(help: "The most clients connected at once (default 10000).")
    var maxclients: Int?

    @Option(name: .customLong("io-threads"),
            help: "Event-loop threads serving connections (default one per two cores, at least one).")
    var ioThreads: Int?

    @Option(help: "Seconds an idle client may stay connected (default 0: forever).")
    var timeout: Int?

    @Option(help: "A redis.conf-style file of settings.")
    var config: String?

    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        var configuration = ServerConfiguration()
        do throws(ServerConfigurationError) {
            if let config {
                // Less than 1 MiB: a configuration file.
                guard let bytes = FileTree.contents(of: config, limit: (1 << 20) - 1) else {
                    throw ServerConfigurationError("cannot read the configuration file \(config)")
                }
                let text = String(decoding: bytes, as: UTF8.self)
                do {
                    try configuration.apply(configurationFile: text)
                } catch {
                    throw ServerConfigurationError("\(config): \(error.message)")
                }
            }
            let overrides: [(String, String?)] = [
                ("dir", directory), ("bind", bind), ("port", port.map(String.init)), ("requirepass", requirepass),
                ("appendfsync", appendfsync), ("maxclients", maxclients.map(String.init)),
                ("io-threads", ioThreads.map(String.init)),
                ("timeout", timeout.map(String.init)),
            ]
            for case let (name, value?) in overrides {
                try configuration.apply(directive: name, arguments: [value])
            }
        } catch {
            err.line("lsm serve: \(error.message)")
            return 2
        }

        let logger = Logger(label: "lsm.serve", factory: { StreamLogHandler.standardError(label: $0) })
        let server = RedisServer(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            // SHUTDOWN ends the server's run, which then ends the group as a signal would.
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let failure = NIOLockedValueBox<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await group.run()
            } catch let error as ServerConfigurationError {
                failure.withLockedValue { $0 = error.message }
            } catch let error as LSMError {
                failure.withLockedValue { $0 = error.description }
            } catch {
                failure.withLockedValue { $0 = "\(error)" }
            }
            done.signal()
        }
        done.wait()
        if let message = failure.withLockedValue({ $0 }) {
            err.line("lsm serve: \(message)")
            return 1
        }
        return 0
    }
}
