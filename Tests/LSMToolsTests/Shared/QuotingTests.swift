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

    /// UTF-8 text shows as itself, bare when it holds no space; what would not show as a visible character is
    /// escaped a byte at a time.
    @Test func utf8TextPrintsAsText() {
        func format(_ text: String) -> String { Quoting.format(Array(text.utf8)) }
        #expect(format("café") == "café")
        #expect(format("€") == "€")
        #expect(format("中文") == "中文")
        #expect(format("😀") == "😀")
        #expect(format("a é") == "\"a é\"")
        #expect(format("é\n") == "\"é\\n\"")
        #expect(format("it’s") == "it’s")
        // A mark combines with the letter before it; with nothing before it, it is escaped.
        #expect(format("e\u{301}") == "e\u{301}")
        #expect(format("\u{301}e") == "\"\\xcc\\x81e\"")
        #expect(format(" \u{301}") == "\" \\xcc\\x81\"")
        // An emoji sequence keeps its joiner; a joiner alone is escaped.
        #expect(format("👩\u{200D}💻") == "👩\u{200D}💻")
        #expect(format("\u{200D}") == "\"\\xe2\\x80\\x8d\"")
        // Controls (C1 included), format characters, other spaces, separators, private use and unassigned.
        #expect(format("\u{85}") == "\"\\xc2\\x85\"")
        #expect(format("\u{9B}31m") == "\"\\xc2\\x9b31m\"")
        #expect(format("a\u{A0}b") == "\"a\\xc2\\xa0b\"")
        #expect(format("\u{202E}abc") == "\"\\xe2\\x80\\xaeabc\"")
        #expect(format("\u{2028}") == "\"\\xe2\\x80\\xa8\"")
        #expect(format("\u{AD}") == "\"\\xc2\\xad\"")
        #expect(format("\u{E000}") == "\"\\xee\\x80\\x80\"")
    }

    /// Bytes that are not UTF-8 are escaped, and the text around them still shows.
    @Test func invalidUTF8IsEscapedByteByByte() {
        #expect(Quoting.format([0xC3]) == "\"\\xc3\"")
        #expect(Quoting.format([0xC3, 0xA9, 0xFF, 0x61]) == "\"é\\xffa\"")
        #expect(Quoting.format([0xC3, 0x41]) == "\"\\xc3A\"")
        #expect(Quoting.format([0xC0, 0x80]) == "\"\\xc0\\x80\"", "overlong")
        #expect(Quoting.format([0xE0, 0x80, 0x80]) == "\"\\xe0\\x80\\x80\"", "overlong")
        #expect(Quoting.format([0xED, 0xA0, 0x80]) == "\"\\xed\\xa0\\x80\"", "surrogate")
        #expect(Quoting.format([0xF4, 0x90, 0x80, 0x80]) == "\"\\xf4\\x90\\x80\\x80\"", "beyond U+10FFFF")
        #expect(Quoting.format([0xF0, 0x9F, 0x98]) == "\"\\xf0\\x9f\\x98\"", "cut short")
        #expect(Quoting.format([0xF0, 0x9F, 0x98, 0x80]) == "😀")
    }

    /// Every concatenation of up to three pieces, whole characters, fragments of them and bytes that are not
    /// UTF-8 among them, comes back from formatting and splitting as the same bytes.
    @Test func utf8AndItsFragmentsRoundTrip() throws {
        let pieces: [[UInt8]] = [
            Array("é".utf8), [0xC3], [0xA9], Array("€".utf8), [0xE2, 0x82], Array("😀".utf8), [0xF0, 0x9F],
            Array("\u{301}".utf8), Array("\u{200D}".utf8), Array("\u{A0}".utf8), Array("\u{85}".utf8),
            Array("a".utf8), [0x20], [0x22], [0x5C], [0x0A], [0xFF], [0x00],
        ]
        var checked = 0
        for a in pieces {
            for b in [[]] + pieces {
                for c in [[]] + pieces {
                    let bytes = a + b + c
                    #expect(try Quoting.split(Quoting.format(bytes)) == [bytes], "\(bytes)")
                    checked += 1
                }
            }
        }
        #expect(checked == 18 * 19 * 19)
    }

    /// An excerpt ends with whole characters, and keeps the cut when the bytes there are not UTF-8.
    @Test func excerptsDoNotSplitACharacter() {
        let accents = Array(String(repeating: "é", count: 40).utf8)
        #expect(Quoting.excerpt(accents, limit: 5) == "éé... (80 bytes)")
        #expect(Quoting.excerpt(accents, limit: 4) == "éé... (80 bytes)")
        #expect(Quoting.excerpt([0x41, 0x80, 0x80, 0x80, 0x80, 0x80], limit: 4) == "\"A\\x80\\x80\\x80\"... (6 bytes)")
    }
}
