import LSMServer
import NIOCore

/// What a connection's ``RequestBuffer`` (and the ``RESPRequestParser`` in it) makes of a byte stream that arrives
/// in pieces: the requests it gives, then the protocol error that stopped it or the number of bytes left unparsed
/// at the end.
///
/// The parser promises the same outcome however the stream is cut; the `resp` fuzz target and the codec's tests
/// compare outcomes of different cuts.
public struct RESPParseOutcome: Hashable, Sendable {
    /// Each request's arguments, copied out of the parser's buffer.
    public var requests: [[[UInt8]]] = []
    /// The error that stopped the parser, if one did.
    public var error: RESPProtocolError?
    /// Bytes left in the buffer after the whole stream was fed (an unfinished request); 0 after an error.
    public var unparsed = 0

    /// Feeds `stream` to a new request buffer (``RequestBuffer``, what a connection parses its reads with) holding
    /// requests to `limits`, cut before each offset in `cuts` (ascending, each within the stream), as reads.
    public init(parsing stream: [UInt8], cuts: [Int] = [], limits: RESPLimits = RESPLimits()) {
        var input = RequestBuffer(limits: limits, queryBufferLimit: .max)
        var parsed = CircularBuffer<RESPRequest>()
        var fed = 0
        for end in cuts + [stream.count] where end >= fed {
            let read = ByteBuffer(bytes: stream[fed..<end])
            fed = end
            do {
                try input.read(read, into: &parsed)
            } catch {
                self.error = error
            }
            requests += parsed.map { $0.arguments.map { Array($0.readableBytesView) } }
            parsed.removeAll()
            if error != nil { return }
        }
        unparsed = input.unparsedByteCount
    }

    /// The requests, as the parser gives them.
    public var parsedRequests: [RESPRequest] {
        requests.map { RESPRequest(arguments: $0.map { ByteBuffer(bytes: $0) }) }
    }
}
