import LSMFuzzTargets
import LSMServer
import Testing

/// The words of one inline command line, parsed as a request.
private func split(_ line: String) -> [[UInt8]]? {
    let parsed = RESPParseOutcome(parsing: Array((line + "\r\n").utf8))
    guard parsed.error == nil, parsed.unparsed == 0 else { return nil }
    return parsed.requests.first ?? []
}

private func words(_ list: String...) -> [[UInt8]] {
    list.map { Array($0.utf8) }
}

@Suite struct InlineCommandTests {
    @Test func wordsAreSeparatedByWhitespace() {
        #expect(split("SET key value") == words("SET", "key", "value"))
        #expect(split(" \t SET\t\tkey  value \t") == words("SET", "key", "value"))
        // Vertical tab and form feed separate words but do not end one, as in Redis.
        #expect(split("\u{0B}\u{0C}a\u{0B}b c") == words("a\u{0B}b", "c"))
        #expect(split("a\rb") == words("a", "b"))
        #expect(split("") == [])
    }

    @Test func doubleQuotesTakeSpacesAndEscapes() {
        #expect(split("SET \"a key\" \"\"") == words("SET", "a key", ""))
        #expect(split(#""\n\r\t\b\a\\\"\q""#) == [[0x0A, 0x0D, 0x09, 0x08, 0x07, 0x5C, 0x22, 0x71]])
        #expect(split(#""\x41\x4a\x4B\xff\x00""#) == [[0x41, 0x4A, 0x4B, 0xFF, 0x00]])
        // `\x` without two hex digits is an `x`.
        #expect(split(#""\xZZ\x4""#) == words("xZZx4"))
        #expect(split("\"it's\"") == words("it's"))
    }

    @Test func singleQuotesAreLiteralButForAnEscapedQuote() {
        #expect(split(#"'a b' 'it\'s' '\n\x41"'"#) == words("a b", "it's", #"\n\x41""#))
        #expect(split("''") == [[]])
    }

    @Test func quotedPartsJoinTheWordBeforeThem() {
        #expect(split("a\"b c\" d'e f'") == words("ab c", "de f"))
        #expect(split("\"a\"\t\"b\"") == words("a", "b"))
    }

    @Test func aClosingQuoteMustEndTheWord() {
        #expect(split("\"a\"b") == nil)
        #expect(split("'a'b") == nil)
        #expect(split("\"a\"'b'") == nil)
    }

    @Test func aNulByteIsPartOfAWord() {
        #expect(split("a\0b \"\0\"") == [[0x61, 0x00, 0x62], [0x00]])
    }
}
