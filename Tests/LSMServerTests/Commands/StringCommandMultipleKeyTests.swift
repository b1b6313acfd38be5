import Dispatch
import LSM
import NIOConcurrencyHelpers
import Testing
@testable import LSMServer

@Suite struct StringCommandMultipleKeyTests {
    @Test func msetSetsEveryKeyAndMgetReadsThemInOrder() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("MSET", "a", "1", "b", "2") == "+OK\r\n")
        #expect(harness.resp2("MGET", "b", "missing", "a") == "*3\r\n$1\r\n2\r\n$-1\r\n$1\r\n1\r\n")
        #expect(harness.resp2("MGET", "a") == "*1\r\n$1\r\n1\r\n")
    }

    @Test func mgetOfAKeyOfAnotherTypeIsNilNotWrongType() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SET", "s", "v") == "+OK\r\n")
        #expect(harness.resp2("MGET", "h", "s") == "*2\r\n$-1\r\n$1\r\nv\r\n")
        #expect(harness.resp2("MGET", "h") == "*1\r\n$-1\r\n")
    }

    @Test func mgetCountsAHitOrMissForEachKey() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("MSET", "a", "1", "b", "2") == "+OK\r\n")
        _ = harness.run("MGET", "a", "b", "h", "x", "y")
        #expect(harness.keyspaceLookups == (3, 2))
    }

    @Test func msetOverwritesKeysOfEveryTypeAndDropsTheirExpiry() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SET", "e", "old", "EX", "100") == "+OK\r\n")
        #expect(harness.resp2("MSET", "h", "1", "e", "2") == "+OK\r\n")
        #expect(try harness.storedRecord("h")?.type == .string)
        #expect(try harness.storedExpiry("e") == nil)
        #expect(harness.resp2("MGET", "h", "e") == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n")
    }

    @Test func aKeyGivenTwiceGetsItsLastValue() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("MSET", "k", "1", "k", "2") == "+OK\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\n2\r\n")
        #expect(harness.resp2("MSETNX", "n", "1", "n", "2") == ":1\r\n")
        #expect(harness.resp2("GET", "n") == "$1\r\n2\r\n")
    }

    @Test func msetAndMsetnxWithoutAValueForTheLastKeyAreAnArityError() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("MSET", "a", "1", "b") == "-ERR wrong number of arguments for 'mset' command\r\n")
        #expect(harness.resp2("MSETNX", "a", "1", "b") == "-ERR wrong number of arguments for 'msetnx' command\r\n")
        #expect(harness.resp2("MSET", "a") == "-ERR wrong number of arguments for 'mset' command\r\n")
        #expect(harness.resp2("MGET") == "-ERR wrong number of arguments for 'mget' command\r\n")
        #expect(try harness.storedRecord("a") == nil)
    }

    @Test func msetnxSetsAllKeysOrNone() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("MSETNX", "a", "1", "b", "2") == ":1\r\n")
        #expect(harness.resp2("MSETNX", "c", "3", "b", "4", "d", "5") == ":0\r\n")
        #expect(harness.resp2("MGET", "a", "b", "c", "d") == "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$-1\r\n")
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("MSETNX", "c", "3", "h", "4") == ":0\r\n", "a key of another type exists")
        #expect(try harness.storedRecord("c") == nil)
        #expect(try harness.storedRecord("h")?.type == .hash)
    }

    @Test func keysAndValuesAreBinarySafe() throws {
        let harness = try ServerHarness()
        let other = Array(allByteValues.reversed())
        #expect(harness.run([Array("MSET".utf8), allByteValues, other, other, allByteValues]).isOK)
        let reply = harness.run([Array("MGET".utf8), other, allByteValues])
        guard case .array(let values) = reply, values.count == 2 else {
            Issue.record("MGET replied \(reply)")
            return
        }
        #expect(values[0].bulkStringBytes == allByteValues)
        #expect(values[1].bulkStringBytes == other)
    }

    @Test func msetRefusesAValueLongerThanAStringCanBeAndWritesNothing() throws {
        let harness = try ServerHarness()
        let reply = harness.run([Array("MSET".utf8), Array("a".utf8), Array("1".utf8), Array("b".utf8),
                                 [UInt8](repeating: 1, count: Limits.maxValueSize)])
        #expect(reply.errorLine == CommandError.stringTooLong.line)
        #expect(try harness.storedRecord("a") == nil)
    }

    /// A client writing pairs of keys with MSET while another reads them with MGET: the reader never sees one key
    /// of a pair written without the other.
    @Test func mgetSeesAnMsetWholeOrNotAtAll() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("MSET", "a", "0", "b", "0") == "+OK\r\n")
        let writer = harness.clientOnAnotherThread
        let reader = harness.clientOnAnotherThread
        let torn = NIOLockedValueBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for round in 1...500 {
                if thread == 0 {
                    _ = writer.run("MSET", "a", "\(round)", "b", "\(round)")
                } else {
                    let reply = reader.run("MGET", "a", "b")
                    guard case .array(let values) = reply, values.count == 2,
                          let a = values[0].bulkStringBytes, let b = values[1].bulkStringBytes else {
                        torn.withLockedValue { $0.append("\(reply)") }
                        continue
                    }
                    if a != b { torn.withLockedValue { $0.append("a=\(a) b=\(b)") } }
                }
            }
        }
        #expect(torn.withLockedValue { $0 } == [])
        #expect(harness.resp2("MGET", "a", "b") == "*2\r\n$3\r\n500\r\n$3\r\n500\r\n")
    }

    /// Clients racing MSETNX, round after round, on a key all of them set, each with a key of its own: in every
    /// round exactly one wins, and of the others' keys none is written.
    @Test func racingMsetnxHasExactlyOneWinnerAndNoPartialWrites() throws {
        let harness = try ServerHarness()
        let clients = 8
        let rounds = 20
        let client = harness.clientOnAnotherThread
        let winners = NIOLockedValueBox<[Int: [Int]]>([:])
        for round in 0..<rounds {
            // Each round its own concurrentPerform, so that the clients start it together.
            DispatchQueue.concurrentPerform(iterations: clients) { index in
                let reply = client.run("MSETNX", "own\(round)-\(index)", "\(index)", "shared\(round)", "\(index)")
                if reply.integerValue == 1 { winners.withLockedValue { $0[round, default: []].append(index) } }
            }
        }
        let won = winners.withLockedValue { $0 }
        for round in 0..<rounds {
            let winner = try #require(won[round]?.count == 1 ? won[round]?.first : nil,
                                      "round \(round): \(won[round] ?? [])")
            #expect(harness.resp2("GET", "shared\(round)") == "$1\r\n\(winner)\r\n")
            for index in 0..<clients {
                #expect(try (harness.storedRecord("own\(round)-\(index)") != nil) == (index == winner))
            }
        }
    }
}
