import Foundation
import Testing
@testable import LSMTools

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `lsm serve` on a directory, as the client tests run it: started on a free port, waited for until it logs that it
/// is ready, stopped with SIGTERM or SIGKILL and started again on the same directory. A server still running when
/// this is released is killed.
///
/// With LSM_SERVE_TESTS_AGAINST_REDIS=1 it is `redis-server` with the same settings (append-only file in the
/// directory, no snapshots), which checks the tests themselves against the server they imitate.
final class ServerProcess {
    /// The options the tests vary.
    struct Settings {
        var requirePass: String?
        /// always, everysec or no; nil for the server's default.
        var appendFsync: String?
        /// The largest file the server may write, in KiB (`ulimit -f`, with SIGXFSZ ignored so that a write past
        /// it fails with EFBIG as on a full disk); nil for none. lsm serve only.
        var fileSizeLimitKiB: Int?
    }

    static let againstRedis = ProcessInfo.processInfo.environment["LSM_SERVE_TESTS_AGAINST_REDIS"] == "1"

    /// How long a start may take until the ready line, and a SIGTERM until the exit: generous, as the machine may
    /// be busy with other tests.
    private static let startSeconds = 20.0
    private static let stopSeconds = 30.0

    let directory: String
    let settings: Settings
    private(set) var port = 0
    private var process: WatchedProcess?
    /// What the runs before the current one logged.
    private var earlierLogs = ""

    /// Starts a server on `directory`.
    init(directory: String, settings: Settings = Settings()) throws {
        self.directory = directory
        self.settings = settings
        try start()
    }

    deinit {
        process?.send(SIGKILL)
        _ = process?.waitForEnding(seconds: 10)
    }

    /// The engine's database.
    var databasePath: String { directory + "/db" }

    /// The running server's process id.
    var pid: pid_t { process?.pid ?? 0 }

    /// What every run of the server logged, for failure messages.
    var log: String {
        guard let process else { return earlierLogs }
        return earlierLogs + String(decoding: process.output, as: UTF8.self) + process.errorText
    }

    /// Starts the server (again) and waits for it to be ready: on a free port, or with `onSamePort` on the port
    /// of its last run, where a proxy in front of it looks for it.
    func start(onSamePort: Bool = false) throws {
        if let process {
            precondition(process.ending != nil, "start() while the server runs")
            earlierLogs += String(decoding: process.output, as: UTF8.self) + process.errorText
        }
        precondition(!onSamePort || port != 0, "start(onSamePort: true) before a first run")
        let started: WatchedProcess
        let ready: Bool
        if Self.againstRedis {
            if !onSamePort { port = try Self.freePort() }
            started = try WatchedProcess(try ClientTools.path(of: .redisServer), redisArguments())
            // redis-server logs to standard output.
            ready = started.waitForOutput(seconds: Self.startSeconds) { output, _ in
                String(decoding: output, as: UTF8.self).contains("Ready to accept connections")
            }
        } else {
            if let limit = settings.fileSizeLimitKiB {
                started = try WatchedProcess("/bin/bash", [
                    "-c", #"trap "" XFSZ; ulimit -f "$0"; exec "$@""#, "\(limit)", try lsmBinary(),
                ] + lsmArguments(port: onSamePort ? port : 0))
            } else {
                started = try WatchedProcess(try lsmBinary(), lsmArguments(port: onSamePort ? port : 0))
            }
            var announced: Int?
            ready = started.waitForOutput(seconds: Self.startSeconds) { _, errorText in
                announced = Self.announcedPort(errorText)
                return announced != nil
            }
            port = announced ?? 0
        }
        process = started
        guard ready else {
            if let ending = started.ending {
                throw ToolsTestError("the server \(ending) before it was ready; log:\n\(log)")
            }
            started.send(SIGKILL)
            _ = started.waitForEnding(seconds: 10)
            throw ToolsTestError("the server was not ready within \(Int(Self.startSeconds)) s; log:\n\(log)")
        }
    }

    /// Sends SIGTERM and expects the server to exit with status 0.
    func stop() throws {
        guard let process else { return }
        process.send(SIGTERM)
        guard let ending = process.waitForEnding(seconds: Self.stopSeconds) else {
            process.send(SIGKILL)
            _ = process.waitForEnding(seconds: 10)
            throw ToolsTestError("the server did not exit within \(Int(Self.stopSeconds)) s of SIGTERM; log:\n\(log)")
        }
        guard ending == .exited(0) else {
            throw ToolsTestError("the server \(ending) after SIGTERM; log:\n\(log)")
        }
    }

    /// Waits for the server to end by the SIGKILL that a test's client sent it.
    func waitUntilKilled() throws {
        guard let process else { return }
        let ending = process.waitForEnding(seconds: 10)
        guard ending == .killed(signal: SIGKILL) else {
            throw ToolsTestError("the server was not killed by SIGKILL: \(ending.map { "\($0)" } ?? "running")")
        }
    }

    /// Expects `lsm check` to find the stopped server's database sound (there is none to check in redis-server's
    /// directory).
    func expectSoundDatabase(sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard !Self.againstRedis else { return }
        let check = try runTool(CheckCommand.self, [databasePath])
        #expect(check.status == 0, "\(check.out)\(check.err)", sourceLocation: sourceLocation)
    }

    /// `lsm serve DIR --port PORT ...`; with port 0 the server picks a free port and names it in its ready line.
    private func lsmArguments(port: Int) -> [String] {
        var arguments = ["serve", directory, "--port", "\(port)"]
        if let requirePass = settings.requirePass { arguments += ["--requirepass", requirePass] }
        if let appendFsync = settings.appendFsync { arguments += ["--appendfsync", appendFsync] }
        return arguments
    }

    /// redis-server as `lsm serve` is: on loopback, its data (an append-only file, which survives SIGKILL as the
    /// engine's log does) in the directory. redis-server cannot pick its port: ``freePort()`` does.
    private func redisArguments() -> [String] {
        var arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "yes",
            "--daemonize", "no", "--logfile", "",
        ]
        if let requirePass = settings.requirePass { arguments += ["--requirepass", requirePass] }
        if let appendFsync = settings.appendFsync { arguments += ["--appendfsync", appendFsync] }
        return arguments
    }

    /// The port in the line `... Ready to accept connections on 127.0.0.1:PORT ...`, once it has been logged.
    static func announcedPort(_ log: String) -> Int? {
        guard let match = log.firstMatch(of: /Ready to accept connections on ([0-9.]+):([0-9]+)/) else { return nil }
        return Int(match.2)
    }

    /// A loopback port that nothing listens on now: bound to port 0, read back, released.
    static func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ToolsTestError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ToolsTestError("cannot bind a loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
