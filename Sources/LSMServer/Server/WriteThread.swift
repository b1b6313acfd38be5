import LSM
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// The one thread that runs every batch of commands that writes, and syncs the log as `appendfsync` says.
///
/// Writes from all connections go through one thread, as all of Redis does: the engine commits them without
/// contention between writers, and no event loop ever waits for a write stall or a disk. The one exception are
/// writes that read nothing first, which an event loop may write itself between rounds when the engine can take
/// them at once (``writeAtOnce(_:eventLoop:deliver:)``).
///
/// A round is every batch waiting when the thread looks: it runs them in order, their writes merged into one
/// engine write (``RoundWrites``), and replies to them when the round ends.
///
/// - `always`: the round's replies wait on the ``SyncThread`` for a sync (``Database/syncLog()``) that covers its
///   writes: every client waiting then shares it (group commit), nothing is acknowledged before it is on disk, and
///   the next round runs while the log syncs.
/// - `everysec`: batches get their replies once the round's writes are in the engine (the operating system has
///   them: a `kill -9` loses none), and the thread syncs the log once a second.
/// - `no`: the operating system writes the log back when it chooses.
final class WriteThread: Sendable {
    /// A batch to run: it returns how to hand it its replies, given the failure, if any, of the round's writes or
    /// of the sync that covers them.
    struct Job: Sendable {
        /// The event loop of the batch's connection, where its replies are handed over.
        var eventLoop: any EventLoop
        /// Runs the batch on the write thread; returns how to hand it its replies.
        var run: @Sendable () -> @Sendable (_ syncFailure: CommandError?) -> Void
    }

    private struct State {
        var jobs: [Job] = []
        var stopping = false
        /// The event loops that queued jobs in their current tick and will wake the thread when it ends.
        var wakingLoops: [ObjectIdentifier] = []
    }

    private let keyspace: Keyspace
    private let mode: AppendFsync
    private let logger: Logger
    /// 1 while there are jobs (or a stop) for the thread, 0 otherwise.
    private let signal = ConditionLock(value: 0)
    private let state = NIOLockedValueBox(State())
    private let thread = NIOThreadPool(numberOfThreads: 1)
    /// Under `always`, where rounds wait for their sync; nil otherwise.
    private let syncer: SyncThread?
    /// Held through each round, so that nothing writes beside a round's read-modify-write commands.
    private let roundLock = Mutex(())
    /// The last failure to write or sync the log, which INFO's persistence section reports; nil after a sync that
    /// worked.
    let lastFailure: NIOLockedValueBox<String?>

    init(keyspace: Keyspace, mode: AppendFsync, logger: Logger) {
        self.keyspace = keyspace
        self.mode = mode
        self.logger = logger
        let lastFailure = NIOLockedValueBox<String?>(nil)
        self.lastFailure = lastFailure
        syncer = mode == .always
            ? SyncThread { Self.sync(keyspace.database, logger: logger, lastFailure: lastFailure) }
            : nil
    }

    func start() {
        syncer?.start()
        thread.start()
        thread.submit { [self] _ in serve() }
    }

    /// Queues `job` (on its event loop); false when the thread has stopped (the server is shutting down).
    ///
    /// The thread is woken when the loop's current tick ends, after it has read every connection that was ready,
    /// as Redis writes and syncs its append-only file once per event-loop iteration: a round then holds all the
    /// write batches of a tick, not the first one, so `always` shares one sync among them.
    func submit(_ job: Job) -> Bool {
        let loop = ObjectIdentifier(job.eventLoop)
        let (accepted, wakeAtTickEnd) = state.withLockedValue { state in
            guard !state.stopping else { return (false, false) }
            state.jobs.append(job)
            if state.wakingLoops.contains(loop) { return (true, false) }
            state.wakingLoops.append(loop)
            return (true, true)
        }
        if wakeAtTickEnd {
            job.eventLoop.execute { [self] in
                signal.lock()
                state.withLockedValue { $0.wakingLoops.removeAll { $0 == loop } }
                signal.unlock(withValue: 1)
            }
        }
        return accepted
    }

    /// Writes `batch` (checked already) from an event loop when no round is running and the engine can take it
    /// without waiting (``Keyspace/writeWithoutWaiting(_:)``), sparing the hand-over to this thread and back, and
    /// hands out the replies as a round's: `deliver` is called now, or, under `always`, on `eventLoop` once a sync
    /// covers the write. False, having written nothing, otherwise: the caller then submits a job.
    func writeAtOnce(_ batch: WriteBatch, eventLoop: any EventLoop,
                     deliver: @escaping @Sendable (_ syncFailure: CommandError?) -> Void) -> Bool {
        let wrote = roundLock.withLockIfAvailable { _ in
            !state.withLockedValue { $0.stopping } && keyspace.writeWithoutWaiting(batch)
        } ?? false
        guard wrote else { return false }
        if let syncer {
            syncer.submit([(eventLoop, deliver)])
        } else {
            deliver(nil)
        }
        return true
    }

    /// Runs the jobs already queued, syncs the log (whatever the mode: a clean stop leaves nothing unsynced), and
    /// ends the thread.
    func stop() {
        signal.lock()
        state.withLockedValue { $0.stopping = true }
        signal.unlock(withValue: 1)
        try? thread.syncShutdownGracefully()
        syncer?.stop()
    }

    private func serve() {
        keyspace.roundWrites.claim()
        var lastSync = NIODeadline.now()
        while true {
            let woken = mode == .everysec
                ? signal.lock(whenValue: 1, timeoutSeconds: 1)
                : { signal.lock(whenValue: 1); return true }()
            var jobs: [Job] = []
            var stopping = false
            if woken {
                (jobs, stopping) = state.withLockedValue { state in
                    defer { state.jobs = [] }
                    return (state.jobs, state.stopping)
                }
                signal.unlock(withValue: 0)
            }
            run(jobs)
            if stopping {
                _ = sync()
                return
            }
            if mode == .everysec && NIODeadline.now() - lastSync >= .seconds(1) {
                _ = sync()
                lastSync = NIODeadline.now()
            }
        }
    }

    /// Runs `jobs` in order as one round, their writes merged into one engine write, and hands them their replies
    /// once the round's writes are in the engine, or, under `always`, has the ``SyncThread`` do so once they are
    /// synced.
    private func run(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        var waiting: [SyncThread.Delivery] = []
        waiting.reserveCapacity(jobs.count)
        let failure = roundLock.withLock { _ in
            keyspace.roundWrites.begin()
            for job in jobs {
                waiting.append((job.eventLoop, job.run()))
            }
            return keyspace.roundWrites.end(to: keyspace.database)
        }
        if let failure {
            lastFailure.withLockedValue { $0 = failure.line }
        } else if let syncer {
            // Every round, even one that wrote nothing, as what it read may be the unsynced writes of the round
            // before: rounds are answered in order, and a sync with nothing to do returns at once.
            syncer.submit(waiting)
            return
        }
        SyncThread.deliver(waiting, failure: failure)
    }

    /// Syncs the log; returns the failure, as the error writers get.
    func sync() -> CommandError? {
        Self.sync(keyspace.database, logger: logger, lastFailure: lastFailure)
    }

    /// Syncs `database`'s log, noting the outcome in `lastFailure`; returns the failure, as the error writers get.
    private static func sync(_ database: Database, logger: Logger, lastFailure: NIOLockedValueBox<String?>)
        -> CommandError? {
        do {
            try database.syncLog()
            lastFailure.withLockedValue { $0 = nil }
            return nil
        } catch {
            if error.code == .databaseClosed { return CommandError("ERR the server is shutting down") }
            logger.error("syncing the log failed: \(error)")
            lastFailure.withLockedValue { $0 = error.message }
            return CommandError(writing: error)
        }
    }
}
