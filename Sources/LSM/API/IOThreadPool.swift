import DequeModule

/// A small pool of OS threads that runs the blocking calls behind the `async` API, so that an `await` on a synced
/// write, a flush, a compaction, an open or a close suspends its task instead of blocking one of Swift
/// concurrency's few cooperative threads (as NIO's `NIOThreadPool` does for file I/O).
///
/// Work runs in the order it was submitted, each item on one thread from start to end. A thread is started when
/// work arrives and every thread is busy, up to ``threadCount``; then threads wait for more work. No item waits for
/// another, so the pool cannot deadlock on itself: the database's own background work runs on its own queue.
final class IOThreadPool: @unchecked Sendable {
    // Safety of @unchecked Sendable: every mutable stored property is read and written only with `lock` held.

    /// What cancelling the task awaiting an item does.
    enum Cancellation {
        /// Nothing: the item runs and the task gets its result (closing must finish what it starts).
        case never
        /// An item that has not started does not start, and the task gets ``LSMError/Code/cancelled``; one that
        /// has started runs to its end and the task gets its result (a write must report what became of it).
        case beforeStart
        /// As ``beforeStart``, and a task whose item is running stops waiting at once with
        /// ``LSMError/Code/cancelled`` while the item runs to its end unobserved (flushes and compactions, whose
        /// effects are whole either way).
        case stopWaiting
    }

    /// The pool the `async` API uses: up to eight threads, started as they are needed.
    static let shared = IOThreadPool(threadCount: 8)

    /// The most threads the pool runs.
    let threadCount: Int

    private let lock = ConditionLock()
    private var queue = Deque<any PoolItem>()
    private var threads: [PosixThread] = []
    private var idleThreads = 0
    private var isShutDown = false

    init(threadCount: Int) {
        precondition(threadCount >= 1, "a thread pool needs a thread")
        self.threadCount = threadCount
    }

    /// Runs `work` on one of the pool's threads and returns its result; the calling task is suspended meanwhile.
    /// `cancellation` says what cancelling the task does. Throws ``LSMError/Code/cancelled`` when the task is
    /// cancelled before the work starts (unless `cancellation` is ``Cancellation/never``) or the pool was shut
    /// down, and otherwise what `work` throws.
    func run<R: Sendable>(
        cancellation: Cancellation, _ work: @escaping @Sendable () throws(LSMError) -> R
    ) async throws(LSMError) -> R {
        let item = Item(work, cancellation: cancellation)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in submit(item, continuation) }
        } onCancel: {
            item.cancel()
        }
        return try result.get()
    }

    private func submit<R>(_ item: Item<R>, _ continuation: CheckedContinuation<Result<R, LSMError>, Never>) {
        guard item.wait(continuation) else { return }
        let refusal = lock.withLock { () -> LSMError? in
            if isShutDown { return .poolShutDown }
            queue.append(item)
            // Each queued item needs a thread of its own: an idle one, woken below, or a new one.
            if queue.count > idleThreads && threads.count < threadCount,
               let thread = PosixThread.start({ self.serve() }) {
                threads.append(thread)
            }
            if threads.isEmpty {
                queue.removeLast()
                return LSMError(.ioError, "the system refused to start an I/O thread")
            }
            lock.signal()
            return nil
        }
        if let refusal { item.fail(refusal) }
    }

    /// A pool thread's loop: runs queued items until the pool is shut down.
    private func serve() {
        while let item = nextItem() { item.run() }
    }

    /// Waits for an item; nil once the pool is shut down.
    private func nextItem() -> (any PoolItem)? {
        lock.withLock {
            while queue.isEmpty && !isShutDown {
                idleThreads += 1
                lock.wait()
                idleThreads -= 1
            }
            return queue.popFirst()
        }
    }

    /// Stops the pool: items not yet started fail with ``LSMError/Code/cancelled``, and this returns once the
    /// running ones have finished and every thread has ended. Later submissions fail the same way.
    func shutdown() {
        // Swapped out rather than copied: copying an empty Deque into an Array writes the standard library's shared
        // empty-array storage, which ThreadSanitizer reports when two threads do it at once.
        var abandoned = Deque<any PoolItem>()
        var threads: [PosixThread] = []
        lock.withLock {
            isShutDown = true
            swap(&abandoned, &queue)
            swap(&threads, &self.threads)
            lock.broadcast()
        }
        for item in abandoned { item.fail(.poolShutDown) }
        for thread in threads { thread.join() }
    }
}

/// An item in the pool's queue, whatever its result type.
private protocol PoolItem: AnyObject, Sendable {
    /// Runs the work unless the item was cancelled while queued, and hands its result to the waiting task.
    func run()
    /// Hands `error` to the waiting task of an item that will not run.
    func fail(_ error: LSMError)
}

/// One submission: its work, and the task waiting for it.
private final class Item<R: Sendable>: PoolItem, @unchecked Sendable {
    // Safety of @unchecked Sendable: `work` and `cancellation` are immutable; `state` is behind its own lock.

    private enum Phase {
        case waiting, running, finished
    }

    private struct State {
        var phase = Phase.waiting
        var cancelled = false
        /// The waiting task; nil before it waits and after it has been resumed.
        var continuation: CheckedContinuation<Result<R, LSMError>, Never>?
    }

    private let work: @Sendable () throws(LSMError) -> R
    private let cancellation: IOThreadPool.Cancellation
    private let state = Locked(State())

    init(_ work: @escaping @Sendable () throws(LSMError) -> R, cancellation: IOThreadPool.Cancellation) {
        self.work = work
        self.cancellation = cancellation
    }

    /// Records the task waiting for the item; false, with the task resumed, when it was cancelled already.
    func wait(_ continuation: CheckedContinuation<Result<R, LSMError>, Never>) -> Bool {
        let cancelled = state.withLock { state in
            if state.cancelled && cancellation != .never { return true }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(returning: .failure(.notStarted)) }
        return !cancelled
    }

    /// The waiting task was cancelled: it is resumed now if ``cancellation`` allows it at this point.
    func cancel() {
        let resumption = state.withLock { state -> (CheckedContinuation<Result<R, LSMError>, Never>, LSMError)? in
            state.cancelled = true
            let error: LSMError
            switch (state.phase, cancellation) {
            case (.waiting, .beforeStart), (.waiting, .stopWaiting): error = .notStarted
            case (.running, .stopWaiting): error = .stoppedWaiting
            default: return nil
            }
            defer { state.continuation = nil }
            return state.continuation.map { ($0, error) }
        }
        if let (continuation, error) = resumption { continuation.resume(returning: .failure(error)) }
    }

    func run() {
        let start = state.withLock { state -> Bool in
            guard state.phase == .waiting, !(state.cancelled && cancellation != .never) else { return false }
            state.phase = .running
            return true
        }
        guard start else { return }
        deliver(Result { () throws(LSMError) -> R in try work() })
    }

    func fail(_ error: LSMError) {
        deliver(.failure(error))
    }

    /// Marks the item finished and resumes the waiting task with `result`, unless it was resumed already.
    private func deliver(_ result: Result<R, LSMError>) {
        let continuation = state.withLock { state in
            state.phase = .finished
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }
}

/// What a task awaiting the pool gets when its work does not run, or when it stops waiting for it.
extension LSMError {
    fileprivate static let notStarted = LSMError(.cancelled, "the task was cancelled before the work started")
    fileprivate static let stoppedWaiting = LSMError(
        .cancelled, "the task was cancelled and stopped waiting; the work already started goes on to its end")
    fileprivate static let poolShutDown = LSMError(.cancelled, "the I/O thread pool is shut down")
}
