import LSM
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Makes acknowledged writes durable as `appendfsync` says, on a thread of its own so that no event loop ever
/// waits for a disk.
///
/// - `always`: a connection whose commands wrote asks ``durable(on:)`` for a future and sends its replies when it
///   completes. The thread takes every request waiting, syncs the log once (``Database/syncLog()``), and
///   completes them all: fifty clients writing at once share one sync (group commit).
/// - `everysec`: the thread syncs the log once a second.
/// - `no`: there is no thread.
final class LogSyncer: Sendable {
    private struct State {
        var waiting: [EventLoopPromise<Void>] = []
        var stopping = false
    }

    private let database: Database
    private let mode: AppendFsync
    private let logger: Logger
    /// 1 while there are requests (or a stop) for the thread, 0 otherwise.
    private let signal = ConditionLock(value: 0)
    private let state = NIOLockedValueBox(State())
    private let thread = NIOThreadPool(numberOfThreads: 1)
    /// The last sync's failure, which INFO's persistence section reports.
    let lastFailure = NIOLockedValueBox<String?>(nil)

    init(database: Database, mode: AppendFsync, logger: Logger) {
        self.database = database
        self.mode = mode
        self.logger = logger
    }

    /// Starts the thread (none for `no`).
    func start() {
        guard mode != .no else { return }
        thread.start()
        thread.submit { [self] _ in mode == .always ? syncOnRequest() : syncEverySecond() }
    }

    /// A future that completes once every write that returned before this call is durable (`always`), or at once
    /// (the other modes).
    func durable(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard mode == .always else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        signal.lock()
        let stopped = state.withLockedValue { state in
            if state.stopping { return true }
            state.waiting.append(promise)
            return false
        }
        signal.unlock(withValue: 1)
        if stopped {
            promise.fail(CommandError("ERR the server is shutting down"))
        }
        return promise.futureResult
    }

    /// Stops the thread after a last sync, so nothing acknowledged is left unsynced.
    func stop() {
        signal.lock()
        state.withLockedValue { $0.stopping = true }
        signal.unlock(withValue: 1)
        try? thread.syncShutdownGracefully()
        if mode != .no { _ = sync() }
    }

    private func syncOnRequest() {
        while true {
            signal.lock(whenValue: 1)
            let (waiting, stopping) = state.withLockedValue { state in
                defer { state.waiting = [] }
                return (state.waiting, state.stopping)
            }
            signal.unlock(withValue: 0)
            if !waiting.isEmpty {
                if let failure = sync() {
                    for promise in waiting { promise.fail(failure) }
                } else {
                    for promise in waiting { promise.succeed() }
                }
            }
            if stopping { return }
        }
    }

    private func syncEverySecond() {
        while true {
            // Holds the lock only when woken before the second is up: by stop(), the one thing that wakes it.
            if signal.lock(whenValue: 1, timeoutSeconds: 1) {
                signal.unlock()
                return
            }
            _ = sync()
        }
    }

    /// Syncs the log; returns the failure, as the error writers get.
    private func sync() -> CommandError? {
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
