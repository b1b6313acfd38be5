/// A request that breaks the protocol: the server answers `-ERR` followed by ``message`` and closes the
/// connection, as Redis does.
///
/// The messages are Redis's where Redis has one. A bulk string not followed by CRLF, which Redis does not check,
/// has a message of its own.
public enum RESPProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A multibulk count (`*N`) that is not a decimal integer, is longer than one can be, or exceeds
    /// ``RESPLimits/maxArgumentCount``.
    case invalidMultibulkLength
    /// A bulk length (`$N`) that is not a decimal integer, is negative, or exceeds ``RESPLimits/maxBulkLength``.
    case invalidBulkLength
    /// An element of a multibulk request that is not a bulk string (clients send only bulk strings: nested arrays
    /// and the other types are refused); the byte found instead of `$`.
    case expectedBulkString(found: UInt8)
    /// A bulk string's bytes not followed by CRLF.
    case missingCRLFAfterBulkString
    /// An inline command line longer than ``RESPLimits/maxInlineLength``.
    case inlineRequestTooBig
    /// An inline command line with a quote that is not closed, or a closing quote followed by something other than
    /// a space.
    case unbalancedQuotes
    /// More bytes held unparsed than the connection's query buffer may hold (Redis's `client-query-buffer-limit`).
    case queryBufferLimitExceeded

    /// The error's text, without the `ERR` code: `Protocol error: invalid bulk length`.
    public var message: String {
        switch self {
        case .invalidMultibulkLength: "Protocol error: invalid multibulk length"
        case .invalidBulkLength: "Protocol error: invalid bulk length"
        case .expectedBulkString(let found): "Protocol error: expected '$', got '\(Self.shown(found))'"
        case .missingCRLFAfterBulkString: "Protocol error: bulk string not followed by CRLF"
        case .inlineRequestTooBig: "Protocol error: too big inline request"
        case .unbalancedQuotes: "Protocol error: unbalanced quotes in request"
        case .queryBufferLimitExceeded: "Protocol error: the query buffer passed client-query-buffer-limit"
        }
    }

    /// The ``message``.
    public var description: String { message }

    /// A printable ASCII byte as itself, any other as `\xHH`, so that the message stays one line of text.
    private static func shown(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 15)]],
                      as: UTF8.self)
    }
}
