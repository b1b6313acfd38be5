import LSM

/// redis-cli's quoting, so any byte string round-trips through a line of text.
///
/// A word is either bare (a run of non-space characters) or quoted: in double quotes, `\"`, `\\`, `\n`, `\r`,
/// `\t` and `\xHH` are escapes; in single quotes only `\'` is. A closing quote must be followed by a space or the
/// end of the line.
public enum Quoting {
    /// Why a line could not be split into words.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// A sentence saying what is wrong.
        public var message: String
        /// The 1-based character position in the line where the problem is.
        public var column: Int

        public var description: String { "\(message) at column \(column)" }
    }

    /// Splits a command line into words, undoing quotes and escapes.
    public static func split(_ line: String) throws(ParseError) -> [[UInt8]] {
        let bytes = Array(line.utf8)
        var words: [[UInt8]] = []
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        while true {
            while i < bytes.count && isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count else { return words }
            var word: [UInt8] = []
            let quote = bytes[i]
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                let opening = i
                i += 1
                var closed = false
                while i < bytes.count {
                    let b = bytes[i]
                    if b == quote {
                        closed = true
                        i += 1
                        break
                    }
                    if b == UInt8(ascii: "\\") && i + 1 < bytes.count {
                        let next = bytes[i + 1]
                        if quote == UInt8(ascii: "'") {
                            if next == UInt8(ascii: "'") {
                                word.append(next)
                                i += 2
                                continue
                            }
                        } else {
                            let escaped = escape(bytes, at: i)
                            word.append(escaped.byte)
                            i += escaped.length
                            continue
                        }
                    }
                    word.append(b)
                    i += 1
                }
                guard closed else { throw ParseError(message: "unterminated quote", column: opening + 1) }
                if i < bytes.count && !isSpace(bytes[i]) {
                    throw ParseError(message: "closing quote must be followed by a space", column: i + 1)
                }
            } else {
                while i < bytes.count && !isSpace(bytes[i]) {
                    word.append(bytes[i])
                    i += 1
                }
            }
            words.append(word)
        }
    }

    /// The escape starting with the backslash at `i` inside double quotes. As in redis-cli, a backslash before any
    /// other character (or before an `x` without two hex digits) stands for that character.
    private static func escape(_ bytes: [UInt8], at i: Int) -> (byte: UInt8, length: Int) {
        switch bytes[i + 1] {
        case UInt8(ascii: "\""): return (UInt8(ascii: "\""), 2)
        case UInt8(ascii: "\\"): return (UInt8(ascii: "\\"), 2)
        case UInt8(ascii: "n"): return (0x0A, 2)
        case UInt8(ascii: "r"): return (0x0D, 2)
        case UInt8(ascii: "t"): return (0x09, 2)
        case UInt8(ascii: "a"): return (0x07, 2)
        case UInt8(ascii: "b"): return (0x08, 2)
        case UInt8(ascii: "x"):
            guard i + 3 < bytes.count, let high = HexDigit.value(of: bytes[i + 2]),
                  let low = HexDigit.value(of: bytes[i + 3]) else {
                return (UInt8(ascii: "x"), 2)
            }
            return (high << 4 | low, 4)
        default: return (bytes[i + 1], 2)
        }
    }

    /// `bytes` as text that ``split(_:)`` turns back into the same bytes: bare when it is a non-empty run of
    /// visible characters other than quotes and backslashes, else in double quotes with escapes. UTF-8 text shows
    /// as itself; bytes that are not UTF-8, control characters and characters that do not show (see
    /// ``TerminalText``) are written `\xHH`, a byte at a time.
    public static func format(_ bytes: [UInt8]) -> String {
        let pieces = pieces(of: bytes)
        let isBare = !pieces.isEmpty && pieces.allSatisfy(\.canBeBare)
        var text = isBare ? "" : "\""
        for piece in pieces {
            switch piece {
            case .ascii(UInt8(ascii: "\"")): text += "\\\""
            case .ascii(UInt8(ascii: "\\")): text += "\\\\"
            case .ascii(0x0A): text += "\\n"
            case .ascii(0x0D): text += "\\r"
            case .ascii(0x09): text += "\\t"
            case .ascii(let b) where b >= 0x20 && b < 0x7F: text.unicodeScalars.append(Unicode.Scalar(b))
            case .ascii(let b), .escaped(let b):
                text += "\\x"
                appendHex(b, to: &text)
            case .text(let scalar):
                text.unicodeScalars.append(scalar)
            }
        }
        return isBare ? text : text + "\""
    }

    /// One piece of a byte string as ``format(_:)`` writes it.
    enum Piece {
        /// An ASCII byte: itself or an escape.
        case ascii(UInt8)
        /// A UTF-8 character shown as itself.
        case text(Unicode.Scalar)
        /// A byte of anything else, written as `\xHH`.
        case escaped(UInt8)

        /// Whether the piece may stand in a word without quotes.
        var canBeBare: Bool {
            switch self {
            case .ascii(let b):
                b > 0x20 && b < 0x7F && b != UInt8(ascii: "\"") && b != UInt8(ascii: "'") && b != UInt8(ascii: "\\")
            case .text: true
            case .escaped: false
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    /// Appends `byte` as two lowercase hexadecimal digits.
    static func appendHex(_ byte: UInt8, to text: inout String) {
        text.unicodeScalars.append(hexDigits[Int(byte >> 4)])
        text.unicodeScalars.append(hexDigits[Int(byte & 0x0F)])
    }

    /// `bytes` cut into pieces: ASCII bytes, UTF-8 characters that show, and other bytes.
    static func pieces(of bytes: [UInt8]) -> [Piece] {
        var pieces: [Piece] = []
        pieces.reserveCapacity(bytes.count)
        var index = 0
        // Whether the character before shows as a visible mark, for a combining one to attach to.
        var afterVisible = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                pieces.append(.ascii(byte))
                afterVisible = byte > 0x20 && byte < 0x7F
                index += 1
            } else if let (scalar, length) = TerminalText.scalar(in: bytes, at: index),
                TerminalText.isShown(scalar, afterVisible: afterVisible)
            {
                pieces.append(.text(scalar))
                afterVisible = true
                index += length
            } else {
                pieces.append(.escaped(byte))
                afterVisible = false
                index += 1
            }
        }
        return pieces
    }

    /// `bytes` as ``format(_:)`` writes it when at most `limit` bytes long; else its first `limit` bytes (fewer
    /// rather than a character cut in two) so written, then `...` and the full length. For echoing user text in a
    /// message, where a 100 MB word must not be printed whole.
    static func excerpt(_ bytes: [UInt8], limit: Int = 64) -> String {
        guard bytes.count > limit else { return format(bytes) }
        var start = limit
        while start > max(0, limit - 3), bytes[start] & 0xC0 == 0x80 { start -= 1 }
        var end = limit
        if start < limit, let (_, length) = TerminalText.scalar(in: bytes, at: start), start + length > limit {
            end = start
        }
        return format(Array(bytes.prefix(end))) + "... (\(bytes.count) bytes)"
    }
}
