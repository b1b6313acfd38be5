import LSM
import NIOCore

/// Everything `lsm serve` is told: where the data lives, where to listen, who may connect and how durable writes
/// are. A value type with Redis's defaults unless noted; ``ServerConfiguration/apply(directive:arguments:)`` reads
/// the redis.conf form of each setting.
public struct ServerConfiguration: Sendable {
    /// The server's directory: the database in `db/`, SAVE's checkpoints in `checkpoints/`. Default `./lsm-data`.
    public var directory = "./lsm-data"
    /// The address to listen on. Default `127.0.0.1`; any other address needs ``requirePass`` (as Redis's
    /// protected mode).
    public var bind = "127.0.0.1"
    /// The TCP port. Default 6379; 0 asks the system for a free port, which the ready line names.
    public var port = 6379
    /// The password AUTH and HELLO must give (user `default`); nil: none needed.
    public var requirePass: String?
    /// When acknowledged writes are synced. Default ``AppendFsync/everysec``.
    public var appendFsync = AppendFsync.everysec
    /// The most clients connected at once; more are told so and disconnected. Default 10,000.
    public var maxClients = 10_000
    /// Seconds a client may stay idle before it is disconnected; 0 (the default) never.
    public var timeout = 0
    /// How much unread reply data a client may leave.
    public var outputBufferLimit = OutputBufferLimit()
    /// The largest bulk string a request may carry (`proto-max-bulk-len`). Default 512 MiB.
    public var maxBulkLength = 512 << 20
    /// The most bytes of requests a connection may have buffered unparsed (`client-query-buffer-limit`).
    /// Default 1 GiB, as Redis.
    public var queryBufferLimit = 1 << 30
    /// Event-loop threads (Redis's `io-threads`): they read and parse requests, run reads and the commands that
    /// write without reading, and write replies. Default: one per two cores, at least one, as the write thread,
    /// the sync thread and the engine's compactions want cores too. More loops than that take turns on the cores
    /// with them: on two cores, with `redis-benchmark` on the same machine, two loops reached 0.60–0.83 of
    /// redis-server's rate on one-request pipelines of SET and GET, where one loop reached 0.86–1.08, and 0.62–0.65
    /// on 16-request pipelines of GET, where one reached 0.52–0.53.
    public var ioThreads = max(1, System.coreCount / 2)
    /// The engine's options (block cache, memtable size, compression, the clock expiry is judged by...).
    public var engineOptions = Options()

    public init() {}

    /// The engine database's directory.
    public var databasePath: String { directory + "/db" }
    /// Where SAVE and BGSAVE put checkpoints.
    public var checkpointsPath: String { directory + "/checkpoints" }

    /// Whether ``bind`` is a loopback address, which needs no password.
    public var bindsLoopbackOnly: Bool {
        bind == "127.0.0.1" || bind == "::1" || bind == "localhost" || bind.hasPrefix("127.")
    }

    /// Sets the setting a redis.conf line or CONFIG SET names (lowercase `directive`); throws a message naming
    /// what is wrong for an unknown setting or a bad value. Settings Redis has and this server keeps only for
    /// clients that read them (`appendonly`, `save`, `databases 16`) are checked and accepted.
    public mutating func apply(directive: String, arguments: [String]) throws(ServerConfigurationError) {
        func single() throws(ServerConfigurationError) -> String {
            guard arguments.count == 1 else {
                throw ServerConfigurationError("'\(directive)' takes one value, not \(arguments.count)")
            }
            return arguments[0]
        }
        func integer(in range: ClosedRange<Int>) throws(ServerConfigurationError) -> Int {
            let text = try single()
            guard let value = Int(text), range.contains(value) else {
                throw ServerConfigurationError("'\(directive)' must be an integer from \(range.lowerBound) to "
                                                   + "\(range.upperBound), not '\(text)'")
            }
            return value
        }
        func memory() throws(ServerConfigurationError) -> Int {
            let text = try single()
            guard let value = Self.parseMemory(text) else {
                throw ServerConfigurationError("'\(directive)' must be a size such as 64mb, not '\(text)'")
            }
            return value
        }
        switch directive {
        case "dir": directory = try single()
        case "bind":
            guard arguments.count == 1 else {
                throw ServerConfigurationError("'bind' takes one address (this server listens on one)")
            }
            bind = arguments[0]
        case "port": port = try integer(in: 0...65535)
        case "requirepass":
            let password = try single()
            requirePass = password.isEmpty ? nil : password
        case "appendfsync":
            let text = try single()
            guard let mode = AppendFsync(rawValue: text.lowercased()) else {
                throw ServerConfigurationError("'appendfsync' must be always, everysec or no, not '\(text)'")
            }
            appendFsync = mode
        case "maxclients": maxClients = try integer(in: 1...1_000_000)
        case "io-threads": ioThreads = try integer(in: 1...256)
        case "timeout": timeout = try integer(in: 0...Int(Int32.max))
        case "client-output-buffer-limit":
            guard let limit = OutputBufferLimit(parsing: arguments) else {
                throw ServerConfigurationError("'client-output-buffer-limit' takes 'normal HARD SOFT SECONDS'")
            }
            outputBufferLimit = limit
        case "proto-max-bulk-len": maxBulkLength = try memory()
        case "client-query-buffer-limit": queryBufferLimit = try memory()
        case "appendonly":
            guard try single().lowercased() == "yes" else {
                throw ServerConfigurationError("'appendonly' is always yes: every write goes to the log")
            }
        case "save":
            // Accepted for clients that set it; checkpoints are taken by SAVE and BGSAVE only.
            break
        case "databases":
            guard try integer(in: 1...Keyspace.databaseCount) == Keyspace.databaseCount else {
                throw ServerConfigurationError("'databases' is fixed at \(Keyspace.databaseCount)")
            }
        default:
            throw ServerConfigurationError("unknown setting '\(directive)'")
        }
    }

    /// A size in Redis's form: bytes, or a number with `k`, `kb`, `m`, `mb`, `g`, `gb` (k = 1000, kb = 1024).
    public static func parseMemory(_ text: String) -> Int? {
        let lowered = text.lowercased()
        let units: [(String, Int)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30),
                                      ("k", 1000), ("m", 1_000_000), ("g", 1_000_000_000)]
        for (suffix, multiplier) in units where lowered.hasSuffix(suffix) {
            guard let number = Int(lowered.dropLast(suffix.count)), number >= 0 else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        guard let number = Int(lowered), number >= 0 else { return nil }
        return number
    }
}

/// A setting that could not be applied: the message names the setting and what was wrong.
public struct ServerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
