import Foundation
import Testing

extension ServeTests {
    /// Python/redis_model.py run by the python3 that has redis-py. The seed is random per run of the tests
    /// (LSM_SERVE_TEST_SEED fixes it) and in every failure.
    struct ModelScript {
        private static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Python/redis_model.py").path
        private static let seed = ProcessInfo.processInfo.environment["LSM_SERVE_TEST_SEED"]
            .flatMap { UInt32($0) } ?? UInt32.random(in: 0...UInt32.max)

        let python: String

        init() throws { python = try ClientTools.path(of: .python3WithRedis) }

        /// Runs `phase` against `server`; expects exit status 0, and shows the script's report (seed, last
        /// commands, the failed check) otherwise. Returns whether it passed.
        @discardableResult
        func callAsFunction(
            _ phase: String, _ server: ServerProcess, _ arguments: [String] = [],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> Bool {
            try callAsFunction(phase, port: server.port, arguments, sourceLocation: sourceLocation)
        }

        /// Runs `phase` against the server or proxy on `port`, as ``callAsFunction(_:_:_:sourceLocation:)``.
        @discardableResult
        func callAsFunction(
            _ phase: String, port: Int, _ arguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> Bool {
            let run = try runClient(
                python, [Self.path, phase, "--port", "\(port)", "--seed", "\(Self.seed)"] + arguments)
            #expect(run.status == 0, "seed \(Self.seed): \(run)", sourceLocation: sourceLocation)
            return run.status == 0
        }
    }

    /// redis-py against the server, through Python/redis_model.py: random commands checked against a model in
    /// RESP2 and RESP3, kept across a SIGTERM restart; the password; acknowledged writes surviving SIGKILL under
    /// `--appendfsync always`.
    @Suite struct RedisPyTests {
        @Test(.needs(.python3WithRedis), arguments: [2, 3])
        func randomCommandsMatchTheModelAcrossARestart(protocolVersion: Int) throws {
            let python = try ModelScript()
            let scratch = try Scratch()
            defer { scratch.remove() }
            let server = try ServerProcess(directory: scratch.path)
            let common = ["--protocol", "\(protocolVersion)", "--ops", "3000"]
            guard try python("model", server, common + ["--state-out", scratch.file("before.json")]) else { return }
            try server.stop()
            try server.start()
            // The second run first checks that the restarted server holds the whole model.
            try python("model", server, common + ["--state-in", scratch.file("before.json")])
            try server.stop()
            try server.expectSoundDatabase()
        }

        @Test(.needs(.python3WithRedis))
        func thePasswordIsRequired() throws {
            let python = try ModelScript()
            let scratch = try Scratch()
            defer { scratch.remove() }
            let password = "sesame \u{E9}"
            let server = try ServerProcess(directory: scratch.path, settings: .init(requirePass: password))
            try python("auth", server, ["--password", password, "--ops", "1000"])
            try server.stop()
        }

        @Test(.needs(.python3WithRedis))
        func acknowledgedWritesSurviveSIGKILLUnderAppendfsyncAlways() throws {
            let python = try ModelScript()
            let scratch = try Scratch()
            defer { scratch.remove() }
            let server = try ServerProcess(directory: scratch.path, settings: .init(appendFsync: "always"))
            let journal = scratch.file("journal.json")
            // Eight writers: eight writes in flight when the server dies.
            let writer = ["--server-pid", "\(server.pid)", "--acks", "3000", "--writers", "8", "--journal", journal]
            guard try python("crash-writer", server, writer) else { return }
            try server.waitUntilKilled()
            try server.start()
            try python("crash-verify", server, ["--journal", journal])
            try server.stop()
            try server.expectSoundDatabase()
        }
    }
}
