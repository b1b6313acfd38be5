import Foundation
import Testing

extension ServeTests {
    /// `redis-cli` against the server: one-shot commands with its plain (not a terminal) output, a binary value
    /// from standard input, and a mass insert through `--pipe`.
    @Suite struct RedisCLITests {
        /// `redis-cli` on the port of a server it starts.
        private struct CLI {
            let path: String
            let server: ServerProcess

            /// Finds `redis-cli` (first: a missing one is the failure to report), then starts a server on
            /// `directory`.
            init(directory: String) throws {
                path = try ClientTools.path(of: .redisCLI)
                server = try ServerProcess(directory: directory)
            }

            func callAsFunction(_ arguments: [String], input: [UInt8]? = nil) throws -> ClientRun {
                try runClient(path, ["-p", "\(server.port)"] + arguments, input: input)
            }
        }

        @Test(.needs(.redisCLI))
        func oneShotCommandsAndABinaryValue() throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            let cli = try CLI(directory: scratch.path)

            #expect(try cli(["PING"]).out == "PONG\n")
            #expect(try cli(["SET", "k", "v"]).out == "OK\n")
            #expect(try cli(["GET", "k"]).out == "v\n")
            // A missing key: redis-cli prints nil as an empty line when its output is no terminal.
            #expect(try cli(["GET", "missing"]).out == "\n")
            #expect(try cli(["EXISTS", "k", "missing"]).out == "1\n")

            // -x sends all of standard input as the last argument: every byte value, CR LF and NUL among them.
            let value = (0...255).map(UInt8.init) + Array("\r\n$3\r\n".utf8) + (0...255).reversed().map(UInt8.init)
            let set = try cli(["-x", "SET", "binary"], input: value)
            #expect(set.out == "OK\n", "\(set)")
            #expect(try cli(["STRLEN", "binary"]).out == "\(value.count)\n")
            let get = try cli(["GET", "binary"])
            #expect(get.output == value + [UInt8(ascii: "\n")], "\(get)")

            let error = try cli(["NOSUCHCOMMAND", "x"])
            #expect(error.out.hasPrefix("ERR unknown command"), "\(error)")
            try cli.server.stop()
        }

        @Test(.needs(.redisCLI))
        func massInsertThroughPipe() throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            let cli = try CLI(directory: scratch.path)

            let count = 20_000
            func value(_ index: Int) -> String { "value-\(index)-" + String(repeating: "x", count: index % 100) }
            var commands: [UInt8] = []
            for index in 0..<count { commands += resp(["SET", "key:\(index)", value(index)]) }
            let pipe = try cli(["--pipe"], input: commands)
            #expect(pipe.status == 0, "\(pipe)")
            #expect(pipe.out.contains("errors: 0, replies: \(count)"), "\(pipe)")
            #expect(try cli(["DBSIZE"]).out == "\(count)\n")

            // The spot checks go as one client's commands, one a line on standard input; a reply a line each.
            let sample = [0, 1, count / 2, count - 1] + (0..<16).map { _ in Int.random(in: 0..<count) }
            let gets = sample.map { "GET key:\($0)\n" }.joined() + "GET key:\(count)\n"
            let replies = try cli([], input: Array(gets.utf8))
            #expect(replies.out == sample.map { value($0) + "\n" }.joined() + "\n", "sample \(sample): \(replies)")
            try cli.server.stop()
        }

        /// `arguments` as a RESP array of bulk strings, the form `redis-cli --pipe` forwards as it is.
        private func resp(_ arguments: [String]) -> [UInt8] {
            var bytes = Array("*\(arguments.count)\r\n".utf8)
            for argument in arguments {
                bytes += Array("$\(argument.utf8.count)\r\n\(argument)\r\n".utf8)
            }
            return bytes
        }
    }
}
