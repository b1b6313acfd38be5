import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// nutcracker (twemproxy) in front of servers, as the proxy tests run it: its YAML lists the servers by name and
/// port; it listens on a free loopback port (another, if something took that one before it bound) with its
/// statistics on another, and is waited for until it answers PING. Killed when released.
final class ProxyProcess {
    /// What the tests vary in the YAML.
    struct Settings {
        /// `redis_auth`: the password the proxy asks its clients for and gives the servers.
        var password: String?
    }

    private static let startSeconds = 20.0
    private static let attempts = 5

    let port: Int
    private let process: WatchedProcess

    /// Starts nutcracker on `servers` (each named, on a loopback port), its YAML written to `configurationFile`.
    init(servers: [(name: String, port: Int)], configurationFile: String, settings: Settings = Settings()) throws {
        let nutcracker = try ClientTools.path(of: .nutcracker)
        var logs: [String] = []
        for _ in 1...Self.attempts {
            let port = try ServerProcess.freePort()
            let statisticsPort = try ServerProcess.freePort()
            try Self.configuration(port: port, servers: servers, settings: settings)
                .write(toFile: configurationFile, atomically: true, encoding: .utf8)
            // The statistics on loopback too: nutcracker puts them on 0.0.0.0 unless told.
            let process = try WatchedProcess(nutcracker, [
                "--conf-file", configurationFile, "--stats-addr", "127.0.0.1", "--stats-port", "\(statisticsPort)",
            ])
            if Self.waitUntilAnswering(process, port: port, password: settings.password) {
                self.port = port
                self.process = process
                return
            }
            process.send(SIGKILL)
            _ = process.waitForEnding(seconds: 10)
            guard process.errorText.contains("Address already in use") else {
                throw ToolsTestError(
                    "nutcracker did not answer PING on 127.0.0.1:\(port) within \(Int(Self.startSeconds)) s; "
                        + "its log:\n\(process.errorText)")
            }
            logs.append(process.errorText)
        }
        throw ToolsTestError("nutcracker found its ports taken \(Self.attempts) times; its logs:\n"
                                 + logs.joined(separator: "\n"))
    }

    deinit {
        process.send(SIGKILL)
        _ = process.waitForEnding(seconds: 10)
    }

    /// The YAML of one pool: ketama over the servers' names (so that a server's place on the ring does not depend
    /// on its port), the md5 key hash (twemproxy's fnv1a_64 puts keys that differ in their last bytes on one
    /// server), no ejection of a failed server (its keys would be written elsewhere meanwhile), and no timeout
    /// (a slow sync on a busy machine is no failure; the tests bound their waits themselves).
    private static func configuration(port: Int, servers: [(name: String, port: Int)], settings: Settings)
        -> String {
        var lines = [
            "lsm:",
            "  listen: 127.0.0.1:\(port)",
            "  redis: true",
            "  hash: md5",
            "  distribution: ketama",
            "  preconnect: true",
            "  auto_eject_hosts: false",
        ]
        if let password = settings.password { lines.append("  redis_auth: \(password)") }
        lines.append("  servers:")
        lines += servers.map { "   - 127.0.0.1:\($0.port):1 \($0.name)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whether `process` answers PING on `port` (the proxy answers it itself, after AUTH with `password` if it
    /// has one) before it ends or the start time passes.
    private static func waitUntilAnswering(_ process: WatchedProcess, port: Int, password: String?) -> Bool {
        var request = "*1\r\n$4\r\nPING\r\n"
        var expected = "+PONG\r\n"
        if let password {
            request = "*2\r\n$4\r\nAUTH\r\n$\(password.utf8.count)\r\n\(password)\r\n" + request
            expected = "+OK\r\n" + expected
        }
        let deadline = Date().addingTimeInterval(startSeconds)
        while Date() < deadline, process.ending == nil {
            if reply(port: port, to: Array(request.utf8), length: expected.utf8.count) == expected {
                return process.ending == nil
            }
            usleep(50_000)
        }
        return false
    }

    /// The first `length` bytes that the loopback `port` answers to `request`, within a second each; nil if
    /// nothing listens there or it answers less.
    private static func reply(port: Int, to request: [UInt8], length: Int) -> String? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected, send(fd, request, request.count, 0) == request.count else { return nil }
        var reply = [UInt8](repeating: 0, count: length)
        var received = 0
        while received < length {
            let count = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, length - received, 0) }
            guard count > 0 else { return nil }
            received += count
        }
        return String(decoding: reply, as: UTF8.self)
    }
}

/// `lsm serve` nodes named node1, node2... behind a nutcracker, in a scratch directory: what each proxy test starts.
final class ProxiedCluster {
    private(set) var nodes: [ServerProcess]
    private(set) var proxy: ProxyProcess
    private let directory: String
    private let nodeSettings: ServerProcess.Settings
    private let proxySettings: ProxyProcess.Settings

    /// Starts `count` nodes with `nodeSettings` in folders of `directory`, then the proxy.
    init(
        count: Int, in directory: String, nodeSettings: ServerProcess.Settings = ServerProcess.Settings(),
        proxySettings: ProxyProcess.Settings = ProxyProcess.Settings()
    ) throws {
        self.directory = directory
        self.nodeSettings = nodeSettings
        self.proxySettings = proxySettings
        nodes = try (1...count).map { try Self.startNode($0, in: directory, settings: nodeSettings) }
        proxy = try ProxyProcess(servers: Self.servers(of: nodes),
                                 configurationFile: directory + "/nutcracker.yml", settings: proxySettings)
    }

    /// The nodes' names, in the YAML's order.
    var names: [String] { servers.map(\.name) }

    /// `node1=PORT,...`, the model script's --nodes.
    var nodeList: String { servers.map { "\($0.name)=\($0.port)" }.joined(separator: ",") }

    /// Starts one more node, as the first were, and a new proxy over all of them in place of the old one, which
    /// is killed: nutcracker reads its server list only when it starts.
    func addNode() throws {
        nodes.append(try Self.startNode(nodes.count + 1, in: directory, settings: nodeSettings))
        proxy = try ProxyProcess(servers: servers, configurationFile: directory + "/nutcracker.yml",
                                 settings: proxySettings)
    }

    /// Stops every node with SIGTERM (each must exit 0) and checks its database.
    func stop() throws {
        for node in nodes {
            try node.stop()
            try node.expectSoundDatabase()
        }
    }

    private var servers: [(name: String, port: Int)] { Self.servers(of: nodes) }

    /// Node `number` in its folder, made first, as redis-server needs it to be there.
    private static func startNode(_ number: Int, in directory: String, settings: ServerProcess.Settings) throws
        -> ServerProcess {
        let folder = directory + "/node\(number)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try ServerProcess(directory: folder, settings: settings)
    }

    private static func servers(of nodes: [ServerProcess]) -> [(name: String, port: Int)] {
        nodes.enumerated().map { (name: "node\($0.offset + 1)", port: $0.element.port) }
    }
}
