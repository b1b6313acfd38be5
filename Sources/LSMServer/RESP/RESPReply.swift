/// A reply, as a command produces it; ``RESPReplyEncoder`` writes it in the connection's protocol.
///
/// The RESP3 types have RESP2 forms, as Redis sends them to a RESP2 client: a map becomes a flat array of keys and
/// values, a set an array, a double and a verbatim string a bulk string, a boolean the integer 1 or 0.
public enum RESPReply: Sendable {
    /// A short status line, `+OK`. CR and LF in it are sent as spaces.
    case simpleString(String)
    /// An error line, its code first: `ERR unknown command 'x'`, `WRONGTYPE Operation against...`. CR and LF in it
    /// are sent as spaces.
    case error(String)
    /// A signed 64-bit integer, `:42`.
    case integer(Int64)
    /// A binary-safe string.
    case bulkString([UInt8])
    /// No value (a missing key): RESP2's null bulk string `$-1`, RESP3's null.
    case null
    /// No array (a timed-out blocking pop): RESP2's null array `*-1`, RESP3's null.
    case nullArray
    /// Replies in order, any of them aggregates themselves.
    case array([RESPReply])
    /// Pairs in order (HELLO's server information, CONFIG GET).
    case map([(key: RESPReply, value: RESPReply)])
    /// Unordered distinct members (COMMAND INFO's flags).
    case set([RESPReply])
    /// A floating-point number, in its shortest form that reads back the same (`inf`, `-inf`, `nan` too).
    case double(Double)
    /// True or false (RESP2 has no boolean: 1 or 0).
    case boolean(Bool)
    /// Text meant to be shown as it is (INFO, CLIENT INFO), sent with the format `txt` in RESP3.
    case verbatimString([UInt8])
}
