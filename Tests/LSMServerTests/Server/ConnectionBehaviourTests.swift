import Testing
@testable import LSMServer

/// The server over real loopback connections: pipelining, inline commands, protocol errors, QUIT, protocol
/// switches, limits (maxclients, idle timeout, unread replies) and a clean stop with commands in flight.
@Suite struct ConnectionBehaviourTests {
    @Test func pipelinedInlineAndMultibulkRequestsReplyInOrder() async throws {
        let running = try await RunningServer()
        let connection = try running.connect()
        var request = ""
        var expected = ""
        for i in 0..<200 {
            if i % 2 == 0 {
                request += "SET k\(i) v\(i)\r\n"
                expected += "+OK\r\n"
            } else {
                request += "*2\r\n$3\r\nGET\r\n$\("k\(i - 1)".utf8.count)\r\nk\(i - 1)\r\n"
                expected += "$\("v\(i - 1)".utf8.count)\r\nv\(i - 1)\r\n"
            }
        }
        connection.send(request)
        #expect(connection.read(as: expected) == expected)
        #expect(try await running.stop() != nil)
    }

    /// A pipeline of SETs that read nothing runs on the event loop and only its writes go to the write thread: the
    /// writes land in order, an invalid one fails alone, and a write is in the database once it is acknowledged.
    @Test(arguments: AppendFsync.allCases)
    func pipelinesOfBlindWritesApplyInOrderBesideReadModifyWrites(mode: AppendFsync) async throws {
        let running = try await RunningServer { $0.appendFsync = mode }
        let connection = try running.connect()
        connection.send("SET k 1\r\nSET k 2 EX 100\r\nSET bad v EX -5\r\nSETEX e 100 v\r\nMSET k 3 m 4\r\n")
        let expected = "+OK\r\n+OK\r\n-ERR invalid expire time in 'set' command\r\n+OK\r\n+OK\r\n"
        #expect(connection.read(as: expected) == expected)
        connection.send("GET k\r\nGET m\r\nEXISTS bad\r\nTTL e\r\nTTL k\r\n")
        let after = "$1\r\n3\r\n$1\r\n4\r\n:0\r\n:100\r\n:-1\r\n"
        #expect(connection.read(as: after) == after)

        // Acknowledged means applied: another client's read-modify-write right after the reply finds the value.
        let other = try running.connect()
        for round in 0..<20 {
            connection.send("SET x \(round * 10)\r\n")
            #expect(connection.read(as: "+OK\r\n") == "+OK\r\n")
            other.send("INCR x\r\n")
            let expected = ":\(round * 10 + 1)\r\n"
            #expect(other.read(as: expected) == expected)
        }
        #expect(try await running.stop() != nil)
    }

    @Test(arguments: AppendFsync.allCases)
    func writesOfManyClientsMergedInRoundsAreSeenByTheCommandsAfterThem(mode: AppendFsync) async throws {
        let running = try await RunningServer { $0.appendFsync = mode }
        let connections = try (0..<8).map { _ in try running.connect() }
        // Each client pipelines writes and reads of its own keys and of one shared counter: every read must see
        // the writes before it, whatever round they went to the engine in.
        for (index, connection) in connections.enumerated() {
            var request = ""
            for step in 0..<50 {
                request += "SET c\(index) \(step)\r\nINCR c\(index)\r\nGET c\(index)\r\nINCR shared\r\n"
            }
            connection.send(request)
        }
        var finalCounts: [Int] = []
        for (index, connection) in connections.enumerated() {
            for step in 0..<50 {
                let value = "\(step + 1)"
                let expected = "+OK\r\n:\(step + 1)\r\n$\(value.utf8.count)\r\n\(value)\r\n"
                #expect(connection.read(as: expected) == expected, "client \(index) step \(step)")
                let counter = connection.read(count: 1)
                #expect(counter == Array(":".utf8))
                var digits: [UInt8] = []
                while let byte = connection.read(count: 1).first, byte != UInt8(ascii: "\r") { digits.append(byte) }
                _ = connection.read(count: 1)
                if let count = Int(String(decoding: digits, as: UTF8.self)) { finalCounts.append(count) }
            }
        }
        // INCR replies are distinct: the shared counter took every increment once.
        #expect(Set(finalCounts).count == 8 * 50)
        #expect(finalCounts.max() == 8 * 50)
        connections[0].command("GET", "shared")
        #expect(connections[0].read(as: "$3\r\n400\r\n") == "$3\r\n400\r\n")
        #expect(try await running.stop() != nil)
    }

    /// Bad input ends its connection after the replies to the requests before it: a protocol error, and (with a
    /// 16 KiB `client-query-buffer-limit`) a bulk string declared at 1 MiB of which 64 KiB arrive, which cannot be
    /// parsed yet and passes the limit. The server is unharmed.
    @Test(arguments: [
        ("PING\r\n*1\r\n$abc\r\n", "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"),
        ("PING\r\n*2\r\n$4\r\nECHO\r\n$1048576\r\n" + String(repeating: "x", count: 64 << 10),
         "+PONG\r\n-ERR Protocol error: the query buffer passed client-query-buffer-limit\r\n"),
    ])
    func badInputIsAnsweredAfterTheRequestsBeforeItAndClosesTheConnection(request: String, expected: String)
        async throws {
        let running = try await RunningServer { $0.queryBufferLimit = 16 << 10 }
        let connection = try running.connect()
        connection.send(request)
        #expect(connection.read(as: expected) == expected)
        #expect(connection.isClosedByServer())
        let other = try running.connect()
        other.command("PING")
        #expect(other.read(as: "+PONG\r\n") == "+PONG\r\n")
        _ = try await running.stop()
    }

    @Test func quitRepliesThenClosesAndRequestsAfterItDoNotRun() async throws {
        let running = try await RunningServer()
        let connection = try running.connect()
        connection.send("QUIT\r\nSET after quit\r\n")
        #expect(connection.read(as: "+OK\r\n") == "+OK\r\n")
        #expect(connection.isClosedByServer())
        let other = try running.connect()
        other.command("EXISTS", "after")
        #expect(other.read(as: ":0\r\n") == ":0\r\n")
        _ = try await running.stop()
    }

    @Test func helloThreeInAPipelineChangesTheProtocolOfTheRepliesAfterIt() async throws {
        let running = try await RunningServer()
        let connection = try running.connect()
        connection.send("GET missing\r\nHELLO 3\r\nGET missing\r\n")
        #expect(connection.read(as: "$-1\r\n") == "$-1\r\n")
        let map = connection.read(as: "%7\r\n")
        #expect(map == "%7\r\n")
        // Skip the map's seven pairs: read until the RESP3 null that answers the last GET.
        var tail: [UInt8] = []
        while !tail.ends(with: Array("_\r\n".utf8)) {
            let byte = connection.read(count: 1)
            guard !byte.isEmpty else { break }
            tail += byte
        }
        #expect(tail.ends(with: Array("_\r\n".utf8)))
        #expect(String(decoding: tail, as: UTF8.self).contains("proto\r\n:3\r\n"))
        _ = try await running.stop()
    }

    @Test func keysAndValuesAreBinarySafe() async throws {
        let running = try await RunningServer()
        let connection = try running.connect()
        let bytes = (0...255).map { UInt8($0) }
        var request = Array("*3\r\n$3\r\nSET\r\n$256\r\n".utf8) + bytes + Array("\r\n$256\r\n".utf8) + bytes.reversed()
        request += Array("\r\n*2\r\n$3\r\nGET\r\n$256\r\n".utf8) + bytes + Array("\r\n".utf8)
        connection.send(request)
        #expect(connection.read(as: "+OK\r\n") == "+OK\r\n")
        let reply = connection.read(count: 6 + 256 + 2)
        #expect(reply == Array("$256\r\n".utf8) + bytes.reversed() + Array("\r\n".utf8))
        _ = try await running.stop()
    }

    @Test func clientsPastMaxclientsAreToldSoAndDisconnected() async throws {
        let running = try await RunningServer { $0.maxClients = 2 }
        let first = try running.connect()
        let second = try running.connect()
        for connection in [first, second] {
            connection.command("PING")
            #expect(connection.read(as: "+PONG\r\n") == "+PONG\r\n")
        }
        let third = try running.connect()
        let refusal = "-ERR max number of clients reached\r\n"
        #expect(third.read(as: refusal) == refusal)
        #expect(third.isClosedByServer())
        _ = try await running.stop()
    }

    @Test func anIdleClientIsDisconnectedAfterTheTimeout() async throws {
        let running = try await RunningServer { $0.timeout = 1 }
        let connection = try running.connect()
        connection.command("PING")
        #expect(connection.read(as: "+PONG\r\n") == "+PONG\r\n")
        // Nothing more is sent: the server closes the connection (the read waits up to ten seconds).
        #expect(connection.isClosedByServer())
        _ = try await running.stop()
    }

    @Test(arguments: [(hard: 0, soft: 256 << 10), (hard: 1 << 20, soft: 0)])
    func aClientThatNeverReadsItsRepliesIsDisconnected(limit: (hard: Int, soft: Int)) async throws {
        let running = try await RunningServer {
            $0.outputBufferLimit = OutputBufferLimit(hardBytes: limit.hard, softBytes: limit.soft, softSeconds: 1)
        }
        let setup = try running.connect()
        let value = String(repeating: "x", count: 100_000)
        setup.command("SET", "big", value)
        #expect(setup.read(as: "+OK\r\n") == "+OK\r\n")

        let reader = try running.connect(receiveBuffer: 4096)
        // Far more than either limit, never read. With a soft limit the server stops reading this client's
        // requests once its replies back up and disconnects it when that lasts a second; with a hard limit it
        // disconnects it once a batch's replies pass the limit.
        let request = String(repeating: "GET big\r\n", count: 40)
        var sends = 0
        while sends < 200, reader.send(request) { sends += 1 }
        #expect(reader.isClosedByServer())
        // Others are served as before.
        setup.command("EXISTS", "big")
        #expect(setup.read(as: ":1\r\n") == ":1\r\n")
        _ = try await running.stop()
    }

    @Test func listeningBeyondLoopbackWithoutAPasswordIsRefused() async throws {
        let refusal = await #expect(throws: TestConnectionError.self) {
            _ = try await RunningServer { $0.bind = "0.0.0.0" }
        }
        #expect(refusal?.description.contains("protected mode") == true, "\(String(describing: refusal))")
    }

    @Test func aPortInUseIsRefusedWithTheReason() async throws {
        let first = try await RunningServer()
        let refusal = await #expect(throws: TestConnectionError.self) {
            _ = try await RunningServer { [port = first.port] in $0.port = port }
        }
        let reason = String(describing: refusal)
        #expect(reason.contains("cannot listen on 127.0.0.1:\(first.port)"), "\(reason)")
        #expect(reason.contains("Address already in use"), "\(reason)")
        _ = try await first.stop()
    }

    @Test func stoppingLetsCommandsInFlightReplyThenCloses() async throws {
        let running = try await RunningServer()
        let connection = try running.connect()
        connection.command("SET", "k", "v")
        #expect(connection.read(as: "+OK\r\n") == "+OK\r\n")
        let outcome = try await running.stop()
        #expect(outcome != nil, "run() returned")
        if case .failure(let error) = outcome { Issue.record("run() failed: \(error)") }
        #expect(connection.isClosedByServer())
    }

    @Test func shutdownClosesTheConnectionWithoutAReplyAndStopsTheServer() async throws {
        let running = try await RunningServer()
        let connection = try running.connect()
        connection.command("SHUTDOWN", "NOSAVE")
        #expect(connection.isClosedByServer())
        let outcome = try await running.waitForEnd()
        #expect(outcome != nil, "run() returned after SHUTDOWN")
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
