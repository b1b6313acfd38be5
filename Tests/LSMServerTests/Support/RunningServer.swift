#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import Logging
import NIOConcurrencyHelpers
@testable import LSMServer

/// A ``RedisServer`` running in the test process on a port the system chose, over a temporary directory.
final class RunningServer: Sendable {
    let server: RedisServer
    let directory: String
    let port: Int
    private let finished = NIOLockedValueBox<Result<Void, any Error>?>(nil)

    /// Starts a server with the settings `configure` makes and waits until it listens.
    init(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        directory = try makeTemporaryDirectory("lsm-server-net")
        var configuration = ServerConfiguration()
        configuration.directory = directory
        configuration.port = 0
        configure(&configuration)
        server = RedisServer(configuration: configuration,
                             logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let server = self.server
        let finished = self.finished
        Task {
            do {
                try await server.run()
                finished.withLockedValue { $0 = .success(()) }
            } catch {
                finished.withLockedValue { $0 = .failure(error) }
            }
        }
        var waited = 0
        while server.listeningPort == nil {
            if let outcome = finished.withLockedValue({ $0 }) {
                throw TestConnectionError("the server ended before listening: \(outcome)")
            }
            guard waited < 20_000 else { throw TestConnectionError("the server did not start listening") }
            try await Task.sleep(for: .milliseconds(10))
            waited += 10
        }
        port = server.listeningPort ?? 0
    }

    /// Stops the server and waits (at most 30 s) for its run to return; its outcome.
    func stop() async throws -> Result<Void, any Error>? {
        server.stop()
        return try await waitForEnd()
    }

    /// Waits (at most 30 s) for the server's run to return; its outcome, nil when it did not return.
    func waitForEnd() async throws -> Result<Void, any Error>? {
        for _ in 0..<3000 {
            if let outcome = finished.withLockedValue({ $0 }) { return outcome }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func connect(receiveBuffer: Int? = nil) throws -> TestConnection {
        try TestConnection(port: port, receiveBuffer: receiveBuffer)
    }

    deinit {
        removeTree(directory)
    }
}
