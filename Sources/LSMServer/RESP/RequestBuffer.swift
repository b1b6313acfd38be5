import NIOCore

/// What a connection has sent and not yet had parsed: each read joins it, and every whole request is taken off its
/// front (``RESPRequestParser``), while an unfinished one waits there for the rest of its bytes.
///
/// It holds the bytes that arrived and no more: a length a request declares reserves nothing. Past
/// `queryBufferLimit` bytes held unparsed the connection is in error, as Redis's `client-query-buffer-limit` closes
/// it. Requests taken off share the storage of the reads they came in (their arguments are slices), so a read
/// whose requests are all whole is not copied at all.
public struct RequestBuffer: Sendable {
    /// The unparsed bytes; nil when every byte read so far was parsed.
    private var unparsed: ByteBuffer?
    private var parser: RESPRequestParser
    private let queryBufferLimit: Int

    /// A buffer whose requests are held to `limits`, and which holds at most `queryBufferLimit` bytes unparsed.
    public init(limits: RESPLimits = RESPLimits(), queryBufferLimit: Int = 1 << 30) {
        parser = RESPRequestParser(limits: limits)
        self.queryBufferLimit = queryBufferLimit
    }

    /// How many bytes are held unparsed: the part of an unfinished request that has arrived.
    public var unparsedByteCount: Int { unparsed?.readableBytes ?? 0 }

    /// Adds a read's bytes and appends every request now whole to `requests`, in order.
    ///
    /// - Throws: ``RESPProtocolError`` when the bytes break the protocol (after appending the requests before the
    ///   one that did), or hold more than `queryBufferLimit` bytes unparsed; the connection is then to be closed.
    public mutating func read(_ incoming: ByteBuffer, into requests: inout CircularBuffer<RESPRequest>)
        throws(RESPProtocolError) {
        var buffer: ByteBuffer
        if var held = unparsed.take() {
            held.writeImmutableBuffer(incoming)
            buffer = held
        } else {
            buffer = incoming
        }
        while let request = try parser.parse(&buffer) {
            requests.append(request)
        }
        guard buffer.readableBytes > 0 else { return }
        guard buffer.readableBytes <= queryBufferLimit else { throw .queryBufferLimitExceeded }
        // The requests taken off are dropped from the front, so the bytes held do not grow with every request that
        // ever passed; an unfinished request stays at the front until it is whole, so this moves it at most once.
        if buffer.readerIndex > 0 { buffer.discardReadBytes() }
        unparsed = buffer
    }
}
