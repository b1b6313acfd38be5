import Testing
@testable import LSMTools

@Suite struct QuotingTests {
    private func words(_ line: String) throws -> [String] {
        try Quoting.split(line).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func splitsBareAndQuotedWords() throws {
        #expect(try words("put a 1") == ["put", "a", "1"])
        #expect(try words("  put   \"hello world\"  'x y'  ") == ["put", "hello world", "x y"])
        #expect(try words("get \"\"") == ["get", ""])
        #expect(try words("\"a\\\"b\\\\c\\n\\r\\t\"") == ["a\"b\\c\n\r\t"])
        #expect(try words("'it\\'s'") == ["it's"])
        #expect(try words("") == [])
        #expect(try Quoting.split("\"\\x00\\xfF\\x41\"") == [[0x00, 0xFF, 0x41]])
        // A backslash before anything else stands for that character, as in redis-cli.
        #expect(try words("\"\\x4\"") == ["x4"])
        #expect(try words("\"\\q\"") == ["q"])
    }

    @Test func rejectsUnterminatedAndRunOnQuotes() {
        #expect(throws: Quoting.ParseError(message: "unterminated quote", column: 5)) { try Quoting.split("put \"abc") }
        #expect(throws: Quoting.ParseError.self) { try Quoting.split("put 'abc") }
        #expect(throws: Quoting.ParseError(message: "closing quote must be followed by a space", column: 4)) {
            try Quoting.split("\"a\"b")
        }
    }

    @Test func formatsBareOnlyWhenSafe() {
        #expect(Quoting.format(Array("abc".utf8)) == "abc")
        #expect(Quoting.format([]) == "\"\"")
        #expect(Quoting.format(Array("a b".utf8)) == "\"a b\"")
        #expect(Quoting.format(Array("a\"b".utf8)) == "\"a\\\"b\"")
        #expect(Quoting.format(Array("it's".utf8)) == "\"it's\"")
        #expect(Quoting.format([0x00, 0xFF, 0x0A]) == "\"\\x00\\xff\\n\"")
    }

    /// Every byte string of length 0...2 over an alphabet holding each escape class round-trips.
    @Test func everySmallByteStringRoundTrips() throws {
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x27, 0x5C, 0x41, 0x78, 0x7F, 0x80, 0xFF]
        var strings: [[UInt8]] = [[]]
        for a in alphabet {
            strings.append([a])
            for b in alphabet { strings.append([a, b]) }
        }
        for s in strings {
            #expect(try Quoting.split(Quoting.format(s)) == [s], "\(s)")
            #expect(try Quoting.split("put " + Quoting.format(s) + " " + Quoting.format(s)) == [Array("put".utf8), s, s])
        }
    }
}
