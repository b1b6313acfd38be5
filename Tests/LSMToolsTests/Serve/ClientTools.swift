import Foundation
import Testing

/// A program the client tests need besides `lsm`.
enum ClientTool: CaseIterable, Sendable {
    case redisCLI
    case redisBenchmark
    /// The reference server, for LSM_SERVE_TESTS_AGAINST_REDIS=1.
    case redisServer
    /// `python3` that can `import redis` (redis-py).
    case python3WithRedis
    /// twemproxy, the proxy that shards keys over several servers.
    case nutcracker

    var name: String {
        switch self {
        case .redisCLI: "redis-cli"
        case .redisBenchmark: "redis-benchmark"
        case .redisServer: "redis-server"
        case .python3WithRedis: "python3 with redis-py"
        case .nutcracker: "nutcracker"
        }
    }

    /// Where it comes from, for the message when it is missing.
    var installedBy: String {
        switch self {
        case .redisCLI, .redisBenchmark: ".ci/run installs redis-tools"
        case .redisServer: ".ci/run installs redis-server"
        case .python3WithRedis: ".ci/run installs redis-py with pip"
        case .nutcracker: ".ci/run installs nutcracker"
        }
    }
}

/// Finds the client tests' programs. Outside CI a test whose programs are missing is skipped (a developer's machine
/// may lack them); in CI (CI=true), where .ci/run installs them, it runs and fails saying what is missing, so that a
/// broken install cannot pass as a skip.
enum ClientTools {
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Each tool's path, or nil when it is missing: looked up once, as starting Python to try the import costs.
    private static let paths: [ClientTool: String] = {
        var paths: [ClientTool: String] = [:]
        for tool in [ClientTool.redisCLI, .redisBenchmark, .redisServer] {
            paths[tool] = onPath(tool.name)
        }
        // Debian installs it in /usr/sbin, which is not on every user's PATH.
        paths[.nutcracker] = onPath("nutcracker")
            ?? ["/usr/sbin/nutcracker"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if let python = onPath("python3"), (try? runClient(python, ["-c", "import redis"]).status) == 0 {
            paths[.python3WithRedis] = python
        }
        return paths
    }()

    /// Whether a test needing `tools` runs: because they are all there, or because this is CI.
    static func shouldRun(_ tools: [ClientTool]) -> Bool {
        inCI || tools.allSatisfy { paths[$0] != nil }
    }

    /// The path of `tool`; throws, naming what installs it, when it is missing.
    static func path(of tool: ClientTool) throws -> String {
        guard let path = paths[tool] else { throw ToolsTestError("\(tool.name) not found: \(tool.installedBy)") }
        return path
    }

    /// The first executable file named `name` in the folders of PATH.
    private static func onPath(_ name: String) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when `tools` are installed, or in CI; skips it otherwise.
    static func needs(_ tools: ClientTool...) -> Self {
        let names = tools.map(\.name).joined(separator: ", ")
        return .enabled(if: ClientTools.shouldRun(tools), "needs \(names) (.ci/run installs them)")
    }
}
