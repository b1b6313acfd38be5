#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import Logging
import NIOConcurrencyHelpers
import NIOCore
@testable import LSMServer

/// A wall clock the test moves by hand.
final class ManualClock: Sendable {
    private let milliseconds: NIOLockedValueBox<Int64>

    init(_ start: Int64 = 1_700_000_000_000) {
        milliseconds = NIOLockedValueBox(start)
    }

    var now: Timestamp { Timestamp(millisecondsSinceEpoch: milliseconds.withLockedValue { $0 }) }

    /// Moves the clock by `delta` milliseconds.
    func advance(_ delta: Int64) { milliseconds.withLockedValue { $0 += delta } }

    var wallClock: WallClock { WallClock(name: "manual") { [self] in now } }
}

/// The server's command layer over a database in a temporary directory, without a network: a test runs commands
/// as one client would (`harness.run("SET", "k", "v")`) and looks at their replies. The clock is a
/// ``ManualClock``.
final class ServerHarness {
    let directory: String
    let clock = ManualClock()
    let database: Database
    let state: ServerState
    var session: ClientSession
    /// Set when a command asked the server to shut down (SHUTDOWN); the checkpoint flag it gave.
    let shutdownRequests = NIOLockedValueBox<[Bool]>([])

    init(requirePass: String? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        directory = try makeTemporaryDirectory("lsm-server-test")
        var configuration = ServerConfiguration()
        configuration.directory = directory
        configuration.requirePass = requirePass
        configuration.engineOptions.clock = clock.wallClock
        configure(&configuration)
        mkdir(configuration.databasePath, 0o755)
        database = try Database.open(configuration.databasePath, options: configuration.engineOptions)
        let requests = shutdownRequests
        state = ServerState(database: database, configuration: configuration,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) { save in
            requests.withLockedValue { $0.append(save) }
        }
        session = ClientSession(id: state.clients.newID(), address: "127.0.0.1:1", localAddress: "127.0.0.1:6379",
                                now: clock.now, needsAuthentication: requirePass != nil)
        _ = state.clients.register(session, limit: 100)
    }

    deinit {
        try? database.close()
        removeTree(directory)
    }

    /// Runs one command (name and arguments as text) as the harness's client; its reply.
    @discardableResult
    func run(_ arguments: String...) -> RESPReply {
        run(arguments.map { Array($0.utf8) })
    }

    /// Runs one command of binary arguments; its reply.
    @discardableResult
    func run(_ arguments: [[UInt8]]) -> RESPReply {
        var context = CommandContext(server: state, session: session,
                                     arguments: arguments.map { ByteBuffer(bytes: $0) })
        let reply = state.commands.execute(&context)
        session = context.session
        state.clients.update(session)
        return reply
    }

    /// The reply as RESP2 text, as a client would read it (`+OK\r\n`), for compact assertions.
    func resp2(_ arguments: String...) -> String {
        let reply = run(arguments.map { Array($0.utf8) })
        var buffer = ByteBuffer()
        RESPReplyEncoder(version: session.protocolVersion).write(reply, into: &buffer)
        return String(buffer: buffer)
    }
}
