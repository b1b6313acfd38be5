import LSM
import NIOCore

/// Splits an inline command line into words by Redis's rules for inline commands (those of its `sdssplitargs`):
///
/// - Words are separated by whitespace (space, tab, CR, vertical tab, form feed); a word without quotes ends at a
///   space, tab or CR.
/// - `"…"` takes everything up to the closing quote, with the escapes `\n`, `\r`, `\t`, `\b`, `\a`, `\xHH` (two hex
///   digits, either case) and `\` before any other byte for that byte (`\"`, `\\`).
/// - `'…'` takes everything literally but `\'`, which is a quote.
/// - A quoted part may follow unquoted bytes of the same word (`a"b c"` is `ab c`), but a closing quote must be
///   followed by whitespace or the end of the line; an unclosed quote or anything else is
///   ``RESPProtocolError/unbalancedQuotes``. `""` is an empty word.
///
/// Unlike Redis, which reads the line as a C string, a NUL byte is an ordinary byte of a word.
enum InlineCommand {
    private enum Quote {
        case none, double, single
    }

    private static let backslash = UInt8(ascii: "\\")
    private static let doubleQuote = UInt8(ascii: "\"")
    private static let singleQuote = UInt8(ascii: "'")

    /// The words of `bytes[range]`, a line without its line ending; empty for a blank line.
    static func split(_ bytes: Span<UInt8>, _ range: Range<Int>) throws(RESPProtocolError) -> [ByteBuffer] {
        var words: [ByteBuffer] = []
        var index = range.lowerBound
        let end = range.upperBound
        while true {
            while index < end && isSpace(bytes[index]) { index += 1 }
            if index == end { return words }
            var word = ByteBuffer()
            var quote = Quote.none
            wordLoop: while true {
                switch quote {
                case .none:
                    guard index < end, !endsWord(bytes[index]) else { break wordLoop }
                    switch bytes[index] {
                    case doubleQuote: quote = .double
                    case singleQuote: quote = .single
                    default: word.writeInteger(bytes[index])
                    }
                    index += 1
                case .double:
                    guard index < end else { throw .unbalancedQuotes }
                    let byte = bytes[index]
                    if byte == backslash, index + 3 < end, bytes[index + 1] == UInt8(ascii: "x"),
                       let high = HexDigit.value(of: bytes[index + 2]), let low = HexDigit.value(of: bytes[index + 3]) {
                        word.writeInteger(high << 4 | low)
                        index += 4
                    } else if byte == backslash, index + 1 < end {
                        word.writeInteger(escaped(bytes[index + 1]))
                        index += 2
                    } else if byte == doubleQuote {
                        index += 1
                        guard index == end || isSpace(bytes[index]) else { throw .unbalancedQuotes }
                        break wordLoop
                    } else {
                        word.writeInteger(byte)
                        index += 1
                    }
                case .single:
                    guard index < end else { throw .unbalancedQuotes }
                    let byte = bytes[index]
                    if byte == backslash, index + 1 < end, bytes[index + 1] == singleQuote {
                        word.writeInteger(singleQuote)
                        index += 2
                    } else if byte == singleQuote {
                        index += 1
                        guard index == end || isSpace(bytes[index]) else { throw .unbalancedQuotes }
                        break wordLoop
                    } else {
                        word.writeInteger(byte)
                        index += 1
                    }
                }
            }
            words.append(word)
        }
    }

    /// Whitespace as C's `isspace` has it: space, tab, LF, vertical tab, form feed, CR.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    /// The bytes that end a word outside quotes: space, tab, LF, CR.
    private static func endsWord(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// The byte a backslash escape inside double quotes stands for.
    private static func escaped(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "a"): 0x07
        default: byte
        }
    }
}
