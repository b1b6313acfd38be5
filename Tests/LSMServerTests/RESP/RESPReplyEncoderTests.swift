import LSMServer
import NIOCore
import Testing

private func written(_ reply: RESPReply, _ version: RESPVersion) -> String {
    var buffer = ByteBuffer()
    RESPReplyEncoder(version: version).write(reply, into: &buffer)
    return String(decoding: buffer.readableBytesView, as: UTF8.self)
}

@Suite struct RESPReplyEncoderTests {
    /// Replies whose bytes are the same in both protocols.
    @Test(arguments: RESPVersion.allCases)
    func typesBothProtocolsShare(version: RESPVersion) {
        #expect(written(.simpleString("OK"), version) == "+OK\r\n")
        #expect(written(.simpleString(""), version) == "+\r\n")
        #expect(written(.error("ERR unknown command 'x'"), version) == "-ERR unknown command 'x'\r\n")
        #expect(written(.integer(0), version) == ":0\r\n")
        #expect(written(.integer(42), version) == ":42\r\n")
        #expect(written(.integer(-7), version) == ":-7\r\n")
        #expect(written(.integer(.max), version) == ":9223372036854775807\r\n")
        #expect(written(.integer(.min), version) == ":-9223372036854775808\r\n")
        #expect(written(.bulkString(Array("hello".utf8)), version) == "$5\r\nhello\r\n")
        #expect(written(.bulkString([]), version) == "$0\r\n\r\n")
        #expect(written(.array([]), version) == "*0\r\n")
        #expect(written(.array([.integer(1), .bulkString(Array("a".utf8)), .array([.simpleString("x")])]), version)
                == "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n")
    }

    @Test func binaryBulkStringsAreWrittenAsTheyAre() {
        var buffer = ByteBuffer()
        RESPReplyEncoder().write(.bulkString([0, 0x0D, 0x0A, 0xFF]), into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("$4\r\n".utf8) + [0, 0x0D, 0x0A, 0xFF] + Array("\r\n".utf8))
    }

    @Test(arguments: RESPVersion.allCases)
    func lineEndingsInStatusAndErrorLinesBecomeSpaces(version: RESPVersion) {
        #expect(written(.simpleString("a\r\nb\nc"), version) == "+a  b c\r\n")
        #expect(written(.error("ERR bad\r\n+OK"), version) == "-ERR bad  +OK\r\n")
    }

    @Test func resp2Forms() {
        #expect(written(.null, .resp2) == "$-1\r\n")
        #expect(written(.nullArray, .resp2) == "*-1\r\n")
        #expect(written(.map([(.simpleString("proto"), .integer(2)), (.bulkString(Array("k".utf8)), .null)]), .resp2)
                == "*4\r\n+proto\r\n:2\r\n$1\r\nk\r\n$-1\r\n")
        #expect(written(.set([.simpleString("readonly"), .simpleString("fast")]), .resp2)
                == "*2\r\n+readonly\r\n+fast\r\n")
        #expect(written(.boolean(true), .resp2) == ":1\r\n")
        #expect(written(.boolean(false), .resp2) == ":0\r\n")
        #expect(written(.verbatimString(Array("# Server".utf8)), .resp2) == "$8\r\n# Server\r\n")
        #expect(written(.double(1.5), .resp2) == "$3\r\n1.5\r\n")
        #expect(written(.double(-3), .resp2) == "$2\r\n-3\r\n")
        #expect(written(.double(.infinity), .resp2) == "$3\r\ninf\r\n")
    }

    @Test func resp3Forms() {
        #expect(written(.null, .resp3) == "_\r\n")
        #expect(written(.nullArray, .resp3) == "_\r\n")
        #expect(written(.map([(.simpleString("proto"), .integer(3)), (.bulkString(Array("k".utf8)), .null)]), .resp3)
                == "%2\r\n+proto\r\n:3\r\n$1\r\nk\r\n_\r\n")
        #expect(written(.map([]), .resp3) == "%0\r\n")
        #expect(written(.set([.simpleString("readonly"), .simpleString("fast")]), .resp3)
                == "~2\r\n+readonly\r\n+fast\r\n")
        #expect(written(.boolean(true), .resp3) == "#t\r\n")
        #expect(written(.boolean(false), .resp3) == "#f\r\n")
        #expect(written(.verbatimString(Array("# Server".utf8)), .resp3) == "=12\r\ntxt:# Server\r\n")
        #expect(written(.verbatimString([]), .resp3) == "=4\r\ntxt:\r\n")
    }

    @Test func doubles() {
        let cases: [(Double, String)] = [
            (1.5, "1.5"), (0.1, "0.1"), (3, "3"), (-3, "-3"), (0, "0"), (-0.0, "-0"), (1e16, "10000000000000000"),
            (0x1p62, "4.611686018427388e+18"), (1e300, "1e+300"), (-2.5e-7, "-2.5e-07"),
            (0.30000000000000004, "0.30000000000000004"), (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
        ]
        for (value, text) in cases {
            #expect(written(.double(value), .resp3) == ",\(text)\r\n")
            #expect(written(.double(value), .resp2) == "$\(text.utf8.count)\r\n\(text)\r\n")
        }
    }

    @Test(arguments: RESPVersion.allCases)
    func headersThenElementsWriteWhatTheWholeReplyWrites(version: RESPVersion) {
        let encoder = RESPReplyEncoder(version: version)
        var streamed = ByteBuffer()
        encoder.writeMapHeader(count: 2, into: &streamed)
        encoder.writeSimpleString("server", into: &streamed)
        encoder.writeBulkString(ByteBuffer(string: "lsm").readableBytesView, into: &streamed)
        encoder.writeSimpleString("modules", into: &streamed)
        encoder.writeArrayHeader(count: 2, into: &streamed)
        encoder.writeNullArray(into: &streamed)
        encoder.writeSetHeader(count: 1, into: &streamed)
        encoder.writeDouble(2, into: &streamed)
        var whole = ByteBuffer()
        encoder.write(.map([(.simpleString("server"), .bulkString(Array("lsm".utf8))),
                            (.simpleString("modules"), .array([.nullArray, .set([.double(2)])]))]), into: &whole)
        #expect(streamed == whole)
        #expect(whole.readableBytes > 30)
    }
}
