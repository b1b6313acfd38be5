import Testing
@testable import LSM

/// The pool behind the async API: results and errors come back, and cancellation does what each policy says.
/// Items that must stay running block on a latch the test opens; none of the assertions depend on timing.
@Suite struct IOThreadPoolTests {
    /// A gate pool threads wait at until the test opens it.
    private final class Latch: @unchecked Sendable {
        // Safety: `isOpen` is only touched with `lock` held.
        private let lock = ConditionLock()
        private var isOpen = false

        func open() {
            lock.withLock {
                isOpen = true
                lock.broadcast()
            }
        }

        func wait() {
            lock.withLock { while !isOpen { lock.wait() } }
        }
    }

    /// Work that reports when it starts, waits for `latch`, then records that it finished.
    private struct BlockingWork: Sendable {
        let latch = Latch()
        let finished = Locked(false)
        let started: AsyncStream<Void>
        private let startedContinuation: AsyncStream<Void>.Continuation

        init() {
            (started, startedContinuation) = AsyncStream<Void>.makeStream()
        }

        func run() -> Int {
            startedContinuation.yield()
            latch.wait()
            finished.withLock { $0 = true }
            return 7
        }

        func waitUntilStarted() async {
            var iterator = started.makeAsyncIterator()
            _ = await iterator.next()
        }
    }

    private func code(_ result: Result<Int, any Error>) -> LSMError.Code? {
        if case .failure(let error) = result { return (error as? LSMError)?.code }
        return nil
    }

    @Test func returnsResultsAndTypedErrors() async throws {
        let pool = IOThreadPool(threadCount: 2)
        defer { pool.shutdown() }
        #expect(try await pool.run(cancellation: .beforeStart) { 6 * 7 } == 42)
        let error = await #expect(throws: LSMError.self) {
            try await pool.run(cancellation: .beforeStart) { () throws(LSMError) -> Int in
                throw LSMError(.noSpace, "full")
            }
        }
        #expect(error?.code == .noSpace)
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 1...200 { group.addTask { try await pool.run(cancellation: .beforeStart) { i } } }
            return try await group.reduce(0, +)
        }
        #expect(sum == 200 * 201 / 2)
    }

    @Test func anItemCancelledWhileQueuedNeverRuns() async throws {
        let pool = IOThreadPool(threadCount: 1)
        let blocker = BlockingWork()
        let first = Task { try await pool.run(cancellation: .beforeStart) { blocker.run() } }
        await blocker.waitUntilStarted()
        // The only thread is busy, so this item waits in the queue (or is cancelled before it is even queued).
        let ran = Locked(false)
        let second = Task {
            try await pool.run(cancellation: .beforeStart) { () -> Int in
                ran.withLock { $0 = true }
                return 0
            }
        }
        second.cancel()
        #expect(code(await second.result) == .cancelled)
        blocker.latch.open()
        #expect(try await first.value == 7)
        pool.shutdown()
        #expect(ran.withLock { $0 } == false)
    }

    @Test func aStartedItemRunsToItsEndAndReturnsItsResult() async throws {
        let pool = IOThreadPool(threadCount: 1)
        defer { pool.shutdown() }
        let work = BlockingWork()
        let task = Task { try await pool.run(cancellation: .beforeStart) { work.run() } }
        await work.waitUntilStarted()
        task.cancel()
        work.latch.open()
        #expect(try await task.value == 7)
        #expect(work.finished.withLock { $0 })
    }

    @Test func stopWaitingReturnsBeforeTheWorkEnds() async throws {
        let pool = IOThreadPool(threadCount: 1)
        let work = BlockingWork()
        let task = Task { try await pool.run(cancellation: .stopWaiting) { work.run() } }
        await work.waitUntilStarted()
        task.cancel()
        // The latch is still closed, so the work cannot have finished: the task stopped waiting for it.
        #expect(code(await task.result) == .cancelled)
        #expect(work.finished.withLock { $0 } == false)
        work.latch.open()
        pool.shutdown()
        #expect(work.finished.withLock { $0 })
    }

    @Test func neverCancellationRunsAnyway() async throws {
        let pool = IOThreadPool(threadCount: 1)
        defer { pool.shutdown() }
        let ran = Locked(false)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.run(cancellation: .never) { () -> Int in
                ran.withLock { $0 = true }
                return 1
            }
        }
        #expect(try await task.value == 1)
        #expect(ran.withLock { $0 })
        // The same call with .beforeStart, cancelled first, does not run.
        let refused = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.run(cancellation: .beforeStart) { 1 }
        }
        #expect(code(await refused.result) == .cancelled)
    }

    @Test func aShutDownPoolRefusesWork() async throws {
        let pool = IOThreadPool(threadCount: 1)
        #expect(try await pool.run(cancellation: .never) { 1 } == 1)
        pool.shutdown()
        let error = await #expect(throws: LSMError.self) { try await pool.run(cancellation: .never) { 1 } }
        #expect(error?.code == .cancelled)
    }
}
