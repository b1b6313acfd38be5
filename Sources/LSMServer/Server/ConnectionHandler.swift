import LSM
import NIOCore
import NIOPosix

/// Asks a connection to close once the commands it is running have replied: what shutdown sends each one.
struct CloseWhenIdle: Sendable {}

/// One client connection: runs its requests in order and writes their replies.
///
/// Requests that arrive together (a pipeline) run as one batch, and their replies leave in one write. A batch of
/// fast reads runs on the connection's event loop; so does a batch of writes that read nothing first
/// (``Command/writesBlindly``), whose writes join the loop's others of that turn (``BlindWrites``); a batch with any
/// other command that writes runs on the write thread (which, under `appendfsync always`, replies only once the log
/// is synced, with one sync shared by every connection waiting then); any other runs on the worker threads, so that
/// no event loop waits for a write stall, a disk, a scan or a checkpoint. While a batch runs, requests that arrive
/// wait for it.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What a batch did: each request's reply (none for SHUTDOWN, which closes the connection instead), in the
    /// protocol the connection spoke when it was made, and whether its command wrote.
    struct BatchResult: Sendable {
        var replies: [(reply: RESPReply?, version: RESPVersion, wrote: Bool)] = []
        var session: ClientSession
        var closesConnection = false
        /// What the commands wrote, when their writes were deferred.
        var deferredWrites: WriteBatch?
    }

    private let server: ServerState
    private let workers: NIOThreadPool
    private let flusher: ReplyFlusher
    private let blindWrites: BlindWrites
    /// The bytes of unsent replies past which the channel stops being writable (the soft output limit).
    private let highWaterMark: Int
    private var session: ClientSession?
    /// The bytes read and not yet parsed.
    private var input: RequestBuffer
    /// The requests read and not yet run.
    private var pending = CircularBuffer<RESPRequest>()
    private var running = false
    /// Set once the connection is to close when its running batch has replied (QUIT, shutdown, EOF, an error).
    private var closing = false
    /// The protocol error that ends the connection once the requests before it have replied.
    private var protocolError: String?
    /// Closes the connection if its replies stay unread past the soft output limit.
    private var softLimitTimer: Scheduled<Void>?
    /// The buffer the last replies were written in, reused for the next ones: NIO lets go of it once they are
    /// sent, so a connection usually encodes every reply into the same memory instead of allocating per batch.
    private var replyBuffer: ByteBuffer?
    /// Past this capacity (a large reply), the buffer is not kept for reuse.
    private static let reusedReplyBufferCapacity = 16 << 10

    init(server: ServerState, workers: NIOThreadPool, flusher: ReplyFlusher, blindWrites: BlindWrites,
         highWaterMark: Int, limits: RESPLimits, queryBufferLimit: Int) {
        self.server = server
        self.workers = workers
        self.flusher = flusher
        self.blindWrites = blindWrites
        self.highWaterMark = highWaterMark
        input = RequestBuffer(limits: limits, queryBufferLimit: queryBufferLimit)
    }

    func channelActive(context: ChannelHandlerContext) {
        server.statistics.countConnection()
        let configuration = server.configuration.withLockedValue { $0 }
        let session = ClientSession(
            id: server.clients.newID(),
            address: Self.describe(context.channel.remoteAddress),
            localAddress: Self.describe(context.channel.localAddress),
            now: server.keyspace.clock.now(),
            needsAuthentication: configuration.requirePass != nil)
        guard server.clients.register(session, limit: configuration.maxClients) else {
            server.statistics.countRejectedConnection()
            var buffer = context.channel.allocator.buffer(capacity: 64)
            RESPReplyEncoder().writeError("ERR max number of clients reached", into: &buffer)
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { [channel = context.channel] _ in
                channel.close(promise: nil)
            }
            return
        }
        self.session = session
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session { server.clients.remove(id: session.id) }
        softLimitTimer?.cancel()
        context.fireChannelInactive()
    }

    /// Parses the requests a read completes; they run when the reads of this turn of the event loop are done
    /// (``channelReadComplete(context:)``), a pipeline as one batch. After a protocol error, nothing more is read:
    /// the requests before it run and reply, then the error, then the connection closes.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard session != nil, !closing, protocolError == nil else { return }
        let bytes = unwrapInboundIn(data)
        server.statistics.countInput(bytes.readableBytes)
        do {
            try input.read(bytes, into: &pending)
        } catch {
            protocolError = error.message
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        runNextBatch(context: context)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is IdleStateHandler.IdleStateEvent:
            closing = true
            context.close(promise: nil)
        case is CloseWhenIdle, ChannelEvent.inputClosed:
            // The requests already read still run and reply (`redis-cli --pipe` half-closes, then reads the
            // replies); then the connection closes.
            closing = true
            runNextBatch(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let channel = context.channel
        if channel.isWritable {
            // Replies drained below the soft limit: read requests again.
            softLimitTimer?.cancel()
            softLimitTimer = nil
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            channel.read()
        } else {
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            let seconds = server.configuration.withLockedValue { $0.outputBufferLimit.softSeconds }
            if seconds > 0, softLimitTimer == nil {
                softLimitTimer = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
                    channel.close(promise: nil)
                }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Starts the waiting requests as a batch unless one is running; with none waiting, ends the connection if it
    /// is to end.
    private func runNextBatch(context: ChannelHandlerContext) {
        guard !running, let session else { return }
        guard !pending.isEmpty else {
            if let protocolError {
                var buffer = context.channel.allocator.buffer(capacity: 64)
                RESPReplyEncoder(version: session.protocolVersion).writeError("ERR \(protocolError)", into: &buffer)
                context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { [channel = context.channel] _ in
                    channel.close(promise: nil)
                }
                self.protocolError = nil
                closing = true
            } else if closing {
                context.close(promise: nil)
            }
            return
        }
        let server = self.server
        var placement = Placement.eventLoop
        let batch = pending.map { request in
            let command = server.commands.command(named: request.arguments[0])
            placement = max(placement, Placement(of: command))
            return (request, command)
        }
        pending.removeAll(keepingCapacity: true)
        running = true
        switch placement {
        case .eventLoop:
            finish(Self.run(batch, session: session, server: server), context: context)
        case .workers:
            let boundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            workers.runIfActive(eventLoop: context.eventLoop) {
                Self.run(batch, session: session, server: server)
            }.whenComplete { outcome in
                switch outcome {
                case .success(let result):
                    boundSelf.value.finish(result, context: boundContext.value)
                case .failure:
                    // The worker pool is gone: the server is shutting down.
                    boundContext.value.close(promise: nil)
                }
            }
        case .writeThread where Self.writesBlindly(batch):
            // Nothing to read first: the commands run here, and what they wrote is applied with the writes of the
            // loop's other connections when this turn of the loop ends.
            var ran = Self.run(batch, session: session, server: server, deferringWrites: true)
            let writes = ran.deferredWrites.take() ?? WriteBatch()
            blindWrites.add(writes, BlindWrites.Waiting(handler: self, context: context, result: ran))
        case .writeThread:
            let boundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            let accepted = server.writer.submit(WriteThread.Job(eventLoop: context.eventLoop) {
                let result = Self.run(batch, session: session, server: server)
                return { syncFailure in
                    boundSelf.value.finish(result, syncFailure: syncFailure, context: boundContext.value)
                }
            })
            if !accepted { context.close(promise: nil) }
        }
    }

    /// Where a batch runs: on the connection's event loop when every command is a fast read, on the write thread
    /// when any command writes, on the worker threads otherwise (scans, checkpoints). Ordered, so that a batch runs
    /// where its most demanding command must.
    private enum Placement: Int, Comparable {
        case eventLoop, workers, writeThread

        init(of command: Command?) {
            guard let command else {
                self = .eventLoop
                return
            }
            if command.writes {
                self = .writeThread
            } else {
                self = command.runsOnEventLoop ? .eventLoop : .workers
            }
        }

        static func < (a: Placement, b: Placement) -> Bool { a.rawValue < b.rawValue }
    }

    /// Whether every command of `batch` writes without reading (``Command/writesBlindly``), and the batch is small
    /// enough for its writes to be gathered in memory first (the size at which a round's writes go to the engine).
    private static func writesBlindly(_ batch: [(RESPRequest, Command?)]) -> Bool {
        var bytes = 0
        for (request, command) in batch {
            guard let blindly = command?.writesBlindly, blindly(request.arguments) else { return false }
            for argument in request.arguments { bytes += argument.readableBytes }
        }
        return bytes <= RoundWrites.flushThreshold
    }

    /// Runs each request of `batch` in order; stops after QUIT. With `deferringWrites`, what the commands write is
    /// gathered in the result's ``BatchResult/deferredWrites`` instead of applied.
    private static func run(_ batch: [(RESPRequest, Command?)], session: ClientSession, server: ServerState,
                            deferringWrites: Bool = false) -> BatchResult {
        // One context for the whole batch, so that the session is copied once, not per request.
        var context = CommandContext(server: server, session: session, arguments: [])
        context.defersWrites = deferringWrites
        var replies: [(reply: RESPReply?, version: RESPVersion, wrote: Bool)] = []
        replies.reserveCapacity(batch.count)
        var closesConnection = false
        for (request, command) in batch {
            context.arguments = request.arguments
            context.wroteToDatabase = false
            let reply = server.commands.execute(&context, command: command)
            replies.append((context.suppressesReply ? nil : reply, context.session.protocolVersion,
                            context.wroteToDatabase))
            if context.closesConnection {
                closesConnection = true
                break
            }
        }
        var result = BatchResult(session: context.session)
        result.replies = replies
        result.closesConnection = closesConnection
        result.deferredWrites = context.deferredWrites
        return result
    }

    /// Records the batch's session and sends its replies (those of commands that wrote replaced by the sync's
    /// error when the sync covering them failed).
    func finish(_ result: BatchResult, syncFailure: CommandError? = nil, context: ChannelHandlerContext) {
        session = result.session
        server.clients.update(result.session)
        send(result, syncFailure: syncFailure?.line, context: context)
    }

    /// Writes the replies in one buffer (those of commands that wrote replaced by `syncFailure` when the sync
    /// failed), then runs the next batch or closes.
    private func send(_ result: BatchResult, syncFailure: String?, context: ChannelHandlerContext) {
        // Cleared in place when NIO has let go of it; otherwise clearing gives it new storage.
        var buffer = replyBuffer.take() ?? context.channel.allocator.buffer(capacity: 256)
        buffer.clear()
        for (reply, version, wrote) in result.replies {
            let encoder = RESPReplyEncoder(version: version)
            if wrote, let syncFailure {
                encoder.writeError(syncFailure, into: &buffer)
            } else if let reply {
                encoder.write(reply, into: &buffer)
            }
        }
        server.statistics.countOutput(buffer.readableBytes)
        if buffer.capacity <= Self.reusedReplyBufferCapacity { replyBuffer = buffer }
        running = false
        if result.closesConnection { closing = true }
        let channel = context.channel
        if result.closesConnection {
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.write(wrapOutboundOut(buffer), promise: nil)
            flusher.flushAtEndOfTurn(context)
            checkHardOutputLimit(context: context)
        }
        runNextBatch(context: context)
    }

    /// Closes the connection when the replies it has not read pass the hard output limit.
    private func checkHardOutputLimit(context: ChannelHandlerContext) {
        let hard = server.configuration.withLockedValue { $0.outputBufferLimit.hardBytes }
        // A writable channel buffers less than its high-water mark, so below that the exact count, a costly
        // question to NIO, is not needed.
        guard hard > 0, !context.channel.isWritable || hard < highWaterMark,
              let buffered = try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes),
              buffered > hard else { return }
        server.logger.notice("closing a client whose unread replies passed \(hard) bytes")
        closing = true
        context.close(promise: nil)
    }

    /// `ip:port` of an address, as CLIENT LIST shows it.
    private static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "?" }
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
