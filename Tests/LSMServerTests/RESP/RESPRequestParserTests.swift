import LSMFuzzTargets
import LSMServer
import NIOCore
import Testing

/// The arguments of each request `text` holds, parsed whole.
private func requests(_ text: String) -> RESPParseOutcome {
    RESPParseOutcome(parsing: Array(text.utf8))
}

private func words(_ list: String...) -> [[UInt8]] {
    list.map { Array($0.utf8) }
}

@Suite struct RESPRequestParserTests {
    @Test func multibulkRequestsAsClientsSendThem() {
        let parsed = requests("*1\r\n$4\r\nPING\r\n" + "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
                              + "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n" + "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n")
        #expect(parsed.requests == [words("PING"), words("SET", "key", "value"), words("HELLO", "3"),
                                    words("ECHO", "")])
        #expect(parsed.error == nil && parsed.unparsed == 0)
    }

    @Test func bulkStringsAreBinarySafe() {
        // CR, LF, NUL, a `$` and bytes that are not UTF-8 inside a bulk string are its bytes.
        let value: [UInt8] = [0x0D, 0x0A, 0x00, 0x24, 0xFF, 0xFE, 0x2A, 0x0D, 0x0A]
        let stream = Array("*3\r\n$3\r\nSET\r\n$1\r\n\0\r\n$9\r\n".utf8) + value + Array("\r\n".utf8)
        let parsed = RESPParseOutcome(parsing: stream)
        #expect(parsed.requests == [words("SET") + [[0]] + [value]])
        #expect(parsed.error == nil)
    }

    @Test func argumentsAreSlicesOfTheBuffer() throws {
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPI")
        var parser = RESPRequestParser()
        let request = try #require(try parser.parse(&buffer))
        #expect(request.arguments == [ByteBuffer(string: "GET"), ByteBuffer(string: "key")])
        #expect(try parser.parse(&buffer) == nil)
        #expect(buffer.readableBytes == 10, "the unfinished request stays in the buffer")
        let unread = try #require(buffer.withUnsafeReadableBytes { $0.baseAddress })
        let argument = try #require(request.arguments[1].withUnsafeReadableBytes { $0.baseAddress })
        #expect(argument == unread - 22 + 17, "no copy: the argument points into the request's bytes")
    }

    @Test func manyArguments() {
        // More than any initial reservation, whole and in pieces.
        let count = 5_000
        var text = "*\(count + 1)\r\n$4\r\nMSET\r\n"
        for i in 0..<count { text += "$\(String(i).utf8.count)\r\n\(i)\r\n" }
        let stream = Array(text.utf8)
        let whole = RESPParseOutcome(parsing: stream)
        #expect(whole.requests == [[Array("MSET".utf8)] + (0..<count).map { Array(String($0).utf8) }])
        #expect(RESPParseOutcome(parsing: stream, cuts: Array(stride(from: 7, to: stream.count, by: 97))) == whole)
    }

    @Test func inlineCommands() {
        let parsed = requests("PING\r\n" + "PING\n" + "set key value\r\n" + "  get \t key  \r\n" + "ECHO\rx\n")
        #expect(parsed.requests == [words("PING"), words("PING"), words("set", "key", "value"), words("get", "key"),
                                    words("ECHO", "x")])
        #expect(parsed.error == nil && parsed.unparsed == 0)
    }

    @Test func emptyRequestsAreSkipped() {
        // As Redis does: arrays of no elements and blank lines are no commands and get no reply.
        let parsed = requests("*0\r\n*-1\r\n*-5\r\n\r\n\n   \r\n*1\r\n$4\r\nPING\r\n*0\r\n")
        #expect(parsed.requests == [words("PING")])
        #expect(parsed.error == nil && parsed.unparsed == 0)
    }

    @Test func pipelinedRequestsInOneBuffer() {
        var text = ""
        var expected: [[[UInt8]]] = []
        for i in 0..<200 {
            if i % 3 == 0 {
                text += "GET k\(i)\r\n"
                expected.append(words("GET", "k\(i)"))
            } else {
                text += "*3\r\n$3\r\nSET\r\n$\(String(i).count + 1)\r\nk\(i)\r\n$1\r\nv\r\n"
                expected.append(words("SET", "k\(i)", "v"))
            }
        }
        let parsed = requests(text)
        #expect(parsed.requests == expected)
        #expect(parsed.error == nil && parsed.unparsed == 0)
    }

    @Test func anUnfinishedRequestWaitsForItsBytes() {
        for tail in ["*", "*2", "*2\r", "*2\r\n$3", "*2\r\n$3\r\nGE", "*2\r\n$3\r\nGET\r", "*2\r\n$3\r\nGET\r\n",
                     "GET k", "GET \"k"] {
            let parsed = requests("PING\r\n" + tail)
            #expect(parsed.requests == [words("PING")], "\(tail.debugDescription)")
            #expect(parsed.error == nil && parsed.unparsed == tail.utf8.count, "\(tail.debugDescription)")
        }
    }

    /// Small limits, so that short streams reach them.
    private static let limits = RESPLimits(maxBulkLength: 1000, maxArgumentCount: 100, maxInlineLength: 300)

    /// Streams covering each request form, skipped requests, errors of each kind after good requests, and
    /// unfinished tails.
    private static let streams: [String] = [
        "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\r\n*0\r\n*-1\r\nPING\r\n",
        "set \"a b\" 'c d' \"\\x41\\n\"\r\nGET k\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$1",
        "*1\r\n$4\r\nPING\r\n*2\r\n*1\r\n$1\r\na\r\n",
        "*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\n",
        "*1\r\n$4\r\nPING\r\n*1\r\n$3\r\nabcX\r\n",
        "*1\r\n$4\r\nPING\r\n*12345678901234567890123\r\n",
        "PING\r\n*1\r\n$99999999999999999999999\r\n",
        "PING\r\nset \"unclosed\r\nPING\r\n",
        "PING\r\nset \"a\"b\r\n",
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" + String(repeating: "x", count: 400),
        "*1\r\n$4\r\nPING\r\n*101\r\n",
        "*1\r\n$1001\r\n",
    ]

    @Test(arguments: streams)
    func everyCutGivesTheSameOutcome(text: String) {
        let stream = Array(text.utf8)
        let whole = RESPParseOutcome(parsing: stream, limits: Self.limits)
        let byteByByte = RESPParseOutcome(parsing: stream, cuts: Array(stream.indices.dropFirst()), limits: Self.limits)
        #expect(byteByByte == whole)
        for cut in 0...stream.count {
            #expect(RESPParseOutcome(parsing: stream, cuts: [cut], limits: Self.limits) == whole, "cut at \(cut)")
        }
        #expect(!whole.requests.isEmpty || whole.error != nil, "each stream parses to something")
    }

    @Test func theStreamsEndAsExpected() {
        // The outcomes everyCutGivesTheSameOutcome compares, pinned down.
        let outcomes = Self.streams.map { RESPParseOutcome(parsing: Array($0.utf8), limits: Self.limits) }
        #expect(outcomes.map(\.requests.count) == [3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
        #expect(outcomes.map(\.error) == [
            nil, nil, .expectedBulkString(found: UInt8(ascii: "*")), .invalidBulkLength, .missingCRLFAfterBulkString,
            .invalidMultibulkLength, .invalidBulkLength, .unbalancedQuotes, .unbalancedQuotes, .inlineRequestTooBig,
            .invalidMultibulkLength, .invalidBulkLength,
        ])
        #expect(outcomes[1].unparsed == 6)
    }

    @Test func aRequestWrittenAsAClientWritesItParsesBack() throws {
        let request = RESPRequest(arguments: [ByteBuffer(string: "SET"), ByteBuffer(bytes: [0, 13, 10, 255]),
                                              ByteBuffer()])
        var buffer = ByteBuffer()
        request.write(into: &buffer)
        #expect(buffer == ByteBuffer(bytes: Array("*3\r\n$3\r\nSET\r\n$4\r\n".utf8) + [0, 13, 10, 255]
                                     + Array("\r\n$0\r\n\r\n".utf8)))
        var parser = RESPRequestParser()
        #expect(try parser.parse(&buffer) == request)
        #expect(buffer.readableBytes == 0)
    }
}
