import LSMServer
import NIOCore

extension FuzzTarget {
    /// The limits the `resp` target parses with: small, so that inputs of a few kilobytes reach every bound.
    public static let respLimits = RESPLimits(maxBulkLength: 1000, maxArgumentCount: 100, maxInlineLength: 300)

    /// Parses the input as a client's byte stream, whole, one byte at a time and cut in two at a point the input
    /// chooses: the three outcomes must agree. Each request written again as a client writes it (and, as a RESP2
    /// reply, an array of bulk strings, which must be the same bytes) must parse back to itself. Accepted: the
    /// stream parsed without an error or an unfinished request.
    func runRESP(_ input: UnsafeRawBufferPointer) -> Bool {
        let stream = [UInt8](input)
        let whole = RESPParseOutcome(parsing: stream, limits: Self.respLimits)
        let byteByByte = RESPParseOutcome(parsing: stream, cuts: Array(stream.indices.dropFirst()),
                                          limits: Self.respLimits)
        let cut = stream.isEmpty ? 0 : Int(stream[stream.count - 1]) * stream.count / 256
        let halves = RESPParseOutcome(parsing: stream, cuts: [cut], limits: Self.respLimits)
        guard byteByByte == whole, halves == whole else {
            fatalError("RESP parse depends on the cuts: whole \(whole), byte by byte \(byteByByte), "
                       + "cut at \(cut) \(halves)")
        }
        let encoder = RESPReplyEncoder(version: .resp2)
        for request in whole.parsedRequests {
            var written = ByteBuffer()
            request.write(into: &written)
            var reply = ByteBuffer()
            encoder.write(.array(request.arguments.map { .bulkString(Array($0.readableBytesView)) }), into: &reply)
            guard reply == written else {
                fatalError("request \(request) written as \(written.readableBytesView) but as a reply "
                           + "\(reply.readableBytesView)")
            }
            var parser = RESPRequestParser()
            let again = Result { () throws(RESPProtocolError) in try parser.parse(&written) }
            guard case .success(let parsed) = again, parsed == request, written.readableBytes == 0 else {
                fatalError("request \(request) written as a client writes it parses as \(again)")
            }
        }
        return whole.error == nil && whole.unparsed == 0
    }
}
