import LSMServer
import NIOCore

/// What a ``RESPRequestParser`` makes of a byte stream that arrives in pieces: the requests it gives, then the
/// protocol error that stopped it or the number of bytes left unparsed at the end.
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

    /// Feeds `stream` to a new parser holding requests to `limits`, cut before each offset in `cuts` (ascending,
    /// each within the stream), parsing all it can after each piece.
    public init(parsing stream: [UInt8], cuts: [Int] = [], limits: RESPLimits = RESPLimits()) {
        var parser = RESPRequestParser(limits: limits)
        var buffer = ByteBuffer()
        var fed = 0
        for end in cuts + [stream.count] where end >= fed {
            buffer.writeBytes(stream[fed..<end])
            fed = end
            do {
                while let request = try parser.parse(&buffer) {
                    requests.append(request.arguments.map { Array($0.readableBytesView) })
                }
            } catch {
                self.error = error
                return
            }
        }
        unparsed = buffer.readableBytes
    }

    /// The requests, as the parser gives them.
    public var parsedRequests: [RESPRequest] {
        requests.map { RESPRequest(arguments: $0.map { ByteBuffer(bytes: $0) }) }
    }
}
