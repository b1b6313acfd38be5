import Foundation
import Testing

extension ServeTests {
    /// The server when the engine cannot write: writes answer `-MISCONF` naming the cause, reads and the rest keep
    /// working, and the server stops cleanly.
    @Suite struct ServerFaultTests {
        @Test(.needs(.redisCLI))
        func aFullDiskRefusesWritesWithMisconfAndReadsGoOn() throws {
            guard !ServerProcess.againstRedis, try lsmRunsUnderAFileSizeLimit() else { return }
            let cli = try ClientTools.path(of: .redisCLI)
            let scratch = try Scratch()
            defer { scratch.remove() }
            // 1 MiB files: the log passes it long before the 4 MiB memtable is full.
            let server = try ServerProcess(directory: scratch.path,
                                           settings: ServerProcess.Settings(fileSizeLimitKiB: 1024))
            func run(_ arguments: [String], input: [UInt8]? = nil) throws -> ClientRun {
                try runClient(cli, ["-p", "\(server.port)"] + arguments, input: input)
            }
            let value = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
            var refusal: String?
            var written = 0
            for index in 0..<20 {
                let reply = try run(["-x", "SET", "k\(index)"], input: value)
                guard reply.out == "OK\n" else {
                    refusal = reply.out
                    break
                }
                written += 1
            }
            #expect(written >= 1, "the first write fits in the log")
            let refused = try #require(refusal, "a write past the file size limit is refused")
            #expect(refused.hasPrefix("MISCONF"), "\(refused)")
            #expect(refused.contains("File too large"), "the error names the cause: \(refused)")
            // Reads, other commands and further (refused) writes: no crash, no hang.
            #expect(try run(["STRLEN", "k0"]).out == "200000\n")
            #expect(try run(["PING"]).out == "PONG\n")
            #expect(try run(["SET", "small", "v"]).out.hasPrefix("MISCONF"))
            let info = try run(["INFO", "persistence"]).out
            #expect(info.contains("aof_last_write_status:err"), "\(info)")
            try server.stop()
        }
    }
}
