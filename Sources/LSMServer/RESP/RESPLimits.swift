/// The bounds a ``RESPRequestParser`` holds requests to; a request past one is a protocol error.
///
/// The defaults are Redis's: 512 MiB bulk strings (its `proto-max-bulk-len`), 2^31 − 1 arguments (Redis 7's
/// multibulk bound; earlier versions allowed 1,048,576) and 64 KiB inline lines (its `PROTO_INLINE_MAX_SIZE`).
/// None of them is a reservation: the parser allocates by the bytes that have arrived, never by a length a client
/// declared, so a connection's memory is bounded by what it has sent.
public struct RESPLimits: Sendable, Hashable {
    /// The longest bulk string (argument) a request may carry, in bytes.
    public var maxBulkLength: Int
    /// The most elements a multibulk request may declare.
    public var maxArgumentCount: Int
    /// The longest inline command line, in bytes before its line feed (a CR before the LF counts).
    public var maxInlineLength: Int

    /// Limits with Redis's defaults unless given.
    public init(
        maxBulkLength: Int = 512 << 20,
        maxArgumentCount: Int = Int(Int32.max),
        maxInlineLength: Int = 64 << 10
    ) {
        self.maxBulkLength = maxBulkLength
        self.maxArgumentCount = maxArgumentCount
        self.maxInlineLength = maxInlineLength
    }
}
