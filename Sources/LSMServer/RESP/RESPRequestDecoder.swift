import NIOCore

/// The RESP request parser as a NIO decoder: `ByteToMessageHandler(RESPRequestDecoder())` turns a connection's
/// bytes into ``RESPRequest``s.
///
/// A protocol error is thrown as ``RESPProtocolError``, which the handler passes on as an error; the server then
/// answers `-ERR` with its message and closes the connection. At the end of input, whole requests are still
/// delivered and an unfinished one is dropped, as Redis drops it.
public struct RESPRequestDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RESPRequest

    /// The parsing state, and the limits requests are held to.
    public var parser: RESPRequestParser

    /// A decoder holding requests to `limits`.
    public init(limits: RESPLimits = RESPLimits()) {
        parser = RESPRequestParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let request = try parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(request))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
