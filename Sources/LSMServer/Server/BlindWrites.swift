import LSM
import NIOCore

/// The writes that an event loop's connections made during one turn of the loop without reading first
/// (``Command/writesBlindly``), applied together when the turn ends, as Redis writes its append-only file once per
/// event-loop iteration.
///
/// When no round of the write thread is running and the engine can take them without waiting, the loop writes
/// them itself (``WriteThread/writeAtOnce(_:eventLoop:deliver:)``): a `-P 1` SET then costs no hand-over to the
/// write thread and back. Otherwise, or when they pass ``RoundWrites/flushThreshold`` bytes, they go to the write
/// thread as one job. Either way their batches reply together, as a round's.
///
/// One per event loop, used only on it.
final class BlindWrites: @unchecked Sendable {
    // Safety of @unchecked Sendable: `merged` and `waiting` are touched only on `eventLoop` (asserted), and the
    // task that applies them runs there.

    /// A batch whose writes wait in ``merged``: its connection, and what it replies once they are applied.
    struct Waiting {
        let handler: ConnectionHandler
        let context: ChannelHandlerContext
        let result: ConnectionHandler.BatchResult
    }

    private let eventLoop: any EventLoop
    private let server: ServerState
    /// The writes of this turn's batches, merged in the order the batches ran; nil before the first.
    private var merged: WriteBatch?
    private var waiting: [Waiting] = []

    init(eventLoop: any EventLoop, server: ServerState) {
        self.eventLoop = eventLoop
        self.server = server
    }

    /// Adds the writes of a batch that has run (`writes`, checked already) to this turn's; `handler` finishes it
    /// with `result` once they are applied (and, under `always`, synced).
    func add(_ writes: consuming WriteBatch, _ waiting: consuming Waiting) {
        eventLoop.assertInEventLoop()
        merged.gather(writes)
        self.waiting.append(waiting)
        // Queued while the loop handles its reads, the task runs once it has handled them all.
        if self.waiting.count == 1 { eventLoop.execute { self.applyAll() } }
    }

    private func applyAll() {
        let writes = merged.take() ?? WriteBatch()
        let batches = NIOLoopBound(waiting, eventLoop: eventLoop)
        waiting = []
        let deliver: @Sendable (CommandError?) -> Void = { failure in
            let waiting = batches.value
            for index in waiting.indices {
                waiting[index].handler.finish(waiting[index].result, syncFailure: failure,
                                              context: waiting[index].context)
            }
        }
        let writer = server.writer
        if writes.byteCount <= RoundWrites.flushThreshold,
           writer.writeAtOnce(writes, eventLoop: eventLoop, deliver: deliver) {
            return
        }
        let keyspace = server.keyspace
        let accepted = writer.submit(WriteThread.Job(eventLoop: eventLoop) {
            var failure: CommandError?
            if !writes.isEmpty {
                do throws(CommandError) { try keyspace.write(writes) } catch { failure = error }
            }
            return { [failure] syncFailure in deliver(failure ?? syncFailure) }
        })
        if !accepted {
            for batch in batches.value { batch.context.close(promise: nil) }
        }
    }
}
