import NIOCore
import NIOEmbedded
import Testing
@testable import LSMServer

/// The event loop's reply flusher: replies written during a turn leave when the turn's tasks run, every waiting
/// connection's together, and not before.
@Suite struct ReplyFlusherTests {
    /// Hands out its channel's context, as ``ConnectionHandler`` uses it.
    private final class ContextHolder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        // The context holds the handler: dropping it here breaks the cycle when the channel closes.
        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
        }
    }

    @Test func repliesLeaveTogetherWhenTheTurnEnds() throws {
        let loop = EmbeddedEventLoop()
        let flusher = ReplyFlusher(eventLoop: loop)
        var channels: [EmbeddedChannel] = []
        for index in 0..<3 {
            let holder = ContextHolder()
            let channel = EmbeddedChannel(handler: holder, loop: loop)
            let context = try #require(holder.context)
            context.write(NIOAny(ByteBuffer(string: "+reply \(index)\r\n")), promise: nil)
            flusher.flushAtEndOfTurn(context)
            channels.append(channel)
        }
        for channel in channels {
            #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        }
        loop.run()
        for (index, channel) in channels.enumerated() {
            #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "+reply \(index)\r\n"))
        }
        // A later turn flushes again.
        let context = try #require((try channels[0].pipeline.syncOperations.handler(type: ContextHolder.self)).context)
        context.write(NIOAny(ByteBuffer(string: "+again\r\n")), promise: nil)
        flusher.flushAtEndOfTurn(context)
        loop.run()
        #expect(try channels[0].readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "+again\r\n"))
        for channel in channels { _ = try channel.finish() }
    }
}
