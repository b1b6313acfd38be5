import Foundation
import Testing

extension ServeTests {
    /// `redis-benchmark` against the server, pipelined and not: 50 clients at once, every test it runs completes
    /// without an error reply, and the server answers and closes a sound database afterwards.
    @Suite struct RedisBenchmarkTests {
        /// The tests `-t ping,set,get,incr,mset` runs, as `-q` names them.
        private static let testNames = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]

        @Test(.needs(.redisBenchmark, .redisCLI))
        func pipelinedAndPlainRunsComplete() throws {
            let benchmark = try ClientTools.path(of: .redisBenchmark)
            let cli = try ClientTools.path(of: .redisCLI)
            let scratch = try Scratch()
            defer { scratch.remove() }
            let server = try ServerProcess(directory: scratch.path)

            let common = ["-p", "\(server.port)", "-t", "ping,set,get,incr,mset", "-c", "50", "-q"]
            let pipelined = try runClient(benchmark, common + ["-P", "16", "-n", "20000"], seconds: 120)
            Self.expectCompleteRun(pipelined, tests: Self.testNames)
            let plain = try runClient(benchmark, common + ["-n", "5000"], seconds: 120)
            Self.expectCompleteRun(plain, tests: Self.testNames)

            #expect(try runClient(cli, ["-p", "\(server.port)", "PING"]).out == "PONG\n")
            // Every INCR of both runs went to the one key, as -r was not given: none was lost or repeated.
            let counter = try runClient(cli, ["-p", "\(server.port)", "GET", "counter:__rand_int__"])
            #expect(counter.out == "25000\n", "\(counter)")
            // SET and MSET wrote their 3-byte value to key:__rand_int__.
            #expect(try runClient(cli, ["-p", "\(server.port)", "STRLEN", "key:__rand_int__"]).out == "3\n")
            try server.stop()
            try server.expectSoundDatabase()
        }

        /// Expects `run` to have exited 0 with a result line for each of `tests` (as `-q` names them) and no line
        /// about an error.
        static func expectCompleteRun(
            _ run: ClientRun, tests: [String], sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(run.status == 0, "\(run)", sourceLocation: sourceLocation)
            // -q rewrites a progress line with carriage returns and ends each test's result with a newline.
            let lines = (run.out + "\n" + run.err).split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            let unfinished = tests.filter { name in
                !lines.contains { $0.hasPrefix(name + ": ") && $0.contains(" requests per second") }
            }
            let errors = lines.filter { $0.localizedCaseInsensitiveContains("error") }
            #expect(unfinished.isEmpty && errors.isEmpty, "\(run)", sourceLocation: sourceLocation)
        }
    }
}
