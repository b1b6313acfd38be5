import LSMFuzzTargets
import LSMServer
import NIOCore
import Testing

private func outcome(_ text: String, limits: RESPLimits = RESPLimits()) -> RESPParseOutcome {
    RESPParseOutcome(parsing: Array(text.utf8), limits: limits)
}

@Suite struct RESPHostileInputTests {
    @Test func aHugeDeclaredBulkLengthAllocatesNothingAhead() throws {
        var parser = RESPRequestParser()
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nSET\r\n$536870912\r\nabc")
        #expect(try parser.parse(&buffer) == nil)
        #expect(buffer.capacity < 1024, "no room was reserved for the declared 512 MiB")
        // The bytes that do arrive are checked where they are, not copied anywhere: the buffer grows by them alone.
        let piece = ByteBuffer(repeating: 0x61, count: 64 << 10)
        for _ in 0..<16 {
            buffer.writeImmutableBuffer(piece)
            #expect(try parser.parse(&buffer) == nil)
        }
        #expect(buffer.readableBytes == 28 + (1 << 20))
        #expect(buffer.capacity <= 2 << 20)
    }

    @Test func aHugeDeclaredArgumentCountAllocatesNothingAhead() throws {
        // 2^31 - 1 elements declared, four sent: the request waits, and nothing is reserved for the rest.
        var parser = RESPRequestParser()
        var buffer = ByteBuffer(string: "*2147483647\r\n" + String(repeating: "$1\r\na\r\n", count: 4))
        #expect(try parser.parse(&buffer) == nil)
        #expect(buffer.capacity < 1024)
        #expect(outcome("*2147483648\r\n").error == .invalidMultibulkLength, "past Redis's bound, 2^31 - 1")
    }

    @Test func bulkLengthsBeyondTheLimit() {
        let limits = RESPLimits(maxBulkLength: 10)
        #expect(outcome("*1\r\n$10\r\n0123456789\r\n", limits: limits).requests == [[Array("0123456789".utf8)]])
        #expect(outcome("*1\r\n$11\r\n", limits: limits).error == .invalidBulkLength)
        #expect(outcome("*1\r\n$536870913\r\n").error == .invalidBulkLength, "past proto-max-bulk-len")
        #expect(outcome("*1\r\n$9223372036854775807\r\n").error == .invalidBulkLength)
    }

    @Test func lengthsThatAreNotDecimalIntegers() {
        for bad in ["-1", "-5", "abc", "+5", "05", " 5", "5 ", "", "-", "-0", "1.5", "0x10", "9223372036854775808"] {
            #expect(outcome("*1\r\n$\(bad)\r\n").error == .invalidBulkLength, "$\(bad)")
        }
        for bad in ["abc", "+1", "01", " 1", "1 ", "", "-", "-0", "1e3", "9223372036854775808",
                    "-9223372036854775809"] {
            #expect(outcome("*\(bad)\r\n").error == .invalidMultibulkLength, "*\(bad)")
        }
        // Negative counts are skipped, as Redis skips them, down to the smallest 64-bit integer.
        #expect(outcome("*-9223372036854775808\r\n").error == nil)
    }

    @Test func aHeaderLineTooLongForANumberFailsWithoutWaitingForItsEnd() {
        // 21 characters cannot be a 64-bit integer: refused before any CR arrives.
        #expect(outcome("*" + String(repeating: "1", count: 21)).error == .invalidMultibulkLength)
        #expect(outcome("*1\r\n$" + String(repeating: "9", count: 21)).error == .invalidBulkLength)
        #expect(outcome("*" + String(repeating: "1", count: 20)).error == nil, "20 digits may yet end")
    }

    @Test func missingLineEndings() {
        #expect(outcome("*1\r\n$3\r\nabcX\r\n").error == .missingCRLFAfterBulkString)
        #expect(outcome("*1\r\n$3\r\nabc\rX").error == .missingCRLFAfterBulkString)
        #expect(outcome("*1\r\n$3\r\nabc\n\r").error == .missingCRLFAfterBulkString)
        #expect(outcome("*1\rX").error == .invalidMultibulkLength, "CR not followed by LF")
        #expect(outcome("*1\r\n$3\rX").error == .invalidBulkLength)
        #expect(outcome("*1\n$3\r\n").error == .invalidMultibulkLength, "LF without CR")
    }

    @Test func elementsOtherThanBulkStringsAreRefused() {
        // Nested arrays and every other RESP2 and RESP3 type, as Redis refuses them.
        for type in ["*", ":", "+", "-", "%", "~", "_", ",", "#", "(", "=", ">", "|", "!", "x"] {
            let error = outcome("*1\r\n\(type)1\r\n").error
            #expect(error == .expectedBulkString(found: Array(type.utf8)[0]))
            #expect(error?.message == "Protocol error: expected '$', got '\(type)'")
        }
        #expect(outcome("*2\r\n$3\r\nGET\r\n*1\r\n$1\r\nk\r\n").error?.message
                == "Protocol error: expected '$', got '*'")
        #expect(outcome("*1\r\n\r\n").error?.message == "Protocol error: expected '$', got '\\x0d'")
        #expect(RESPParseOutcome(parsing: Array("*1\r\n".utf8) + [0xFF]).error?.message
                == "Protocol error: expected '$', got '\\xff'")
    }

    @Test func tooBigInlineRequests() {
        let limits = RESPLimits(maxInlineLength: 100)
        let longest = String(repeating: "a", count: 100)
        #expect(outcome(longest + "\n", limits: limits).requests == [[Array(longest.utf8)]])
        #expect(outcome(longest + "\r\n", limits: limits).error == .inlineRequestTooBig, "the CR counts")
        #expect(outcome(longest + "a", limits: limits).error == .inlineRequestTooBig, "refused before its LF")
        #expect(outcome(longest, limits: limits).error == nil)
        #expect(outcome(String(repeating: "x", count: 64 << 10) + "y").error == .inlineRequestTooBig,
                "Redis's 64 KiB by default")
    }

    @Test func unbalancedQuotes() {
        for line in ["set \"a b", "set 'a b", "set \"a\"b", "set 'a'b", "set \"a\\\"", "set 'a\\'", "\"", "x \"\\"] {
            #expect(outcome(line + "\r\n").error == .unbalancedQuotes, "\(line)")
        }
    }

    @Test func errorMessagesAreRedis() {
        #expect(RESPProtocolError.invalidBulkLength.message == "Protocol error: invalid bulk length")
        #expect(RESPProtocolError.invalidMultibulkLength.message == "Protocol error: invalid multibulk length")
        #expect(RESPProtocolError.inlineRequestTooBig.message == "Protocol error: too big inline request")
        #expect(RESPProtocolError.unbalancedQuotes.message == "Protocol error: unbalanced quotes in request")
        #expect(RESPProtocolError.missingCRLFAfterBulkString.message
                == "Protocol error: bulk string not followed by CRLF")
        #expect("\(RESPProtocolError.invalidBulkLength)" == "Protocol error: invalid bulk length")
    }

    @Test func anErrorLeavesTheReaderIndexAtTheBadRequest() throws {
        var parser = RESPRequestParser()
        var buffer = ByteBuffer(string: "PING\r\n*1\r\n$-1\r\n")
        #expect(try parser.parse(&buffer) == RESPRequest(arguments: [ByteBuffer(string: "PING")]))
        #expect(throws: RESPProtocolError.invalidBulkLength) { try parser.parse(&buffer) }
        #expect(buffer.readerIndex == 6)
    }
}
