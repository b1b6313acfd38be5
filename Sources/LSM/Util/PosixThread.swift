#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An OS thread running one closure until it returns, for work that blocks in I/O for long stretches, which
/// Dispatch or Swift concurrency's cooperative threads must not be given: the async API's I/O pool, and the
/// benchmark's and stress test's workers (one thread each, as the peers' pthreads). `package`, so the tools share it.
package struct PosixThread {
    private let thread: pthread_t

    private init(thread: pthread_t) {
        self.thread = thread
    }

    /// The closure a new thread runs, carried across `pthread_create` as an opaque pointer.
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts a thread running `body`, or returns nil when the system refuses one.
    package static func start(_ body: @escaping @Sendable () -> Void) -> PosixThread? {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let result = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #if canImport(Glibc)
        return PosixThread(thread: thread)
        #else
        guard let thread else { return nil }
        return PosixThread(thread: thread)
        #endif
    }

    /// Starts `body` on a new thread; throws `.ioError` when the system refuses one.
    package init(_ body: @escaping @Sendable () -> Void) throws(LSMError) {
        guard let thread = PosixThread.start(body) else {
            throw LSMError(.ioError, "cannot start a thread")
        }
        self = thread
    }

    /// Lets the thread go: nothing will join it, and its resources are freed when its closure returns (the
    /// server's background checkpoint, which nothing waits for).
    package func detach() {
        pthread_detach(thread)
    }

    /// Waits until the thread's closure has returned; everything it wrote is visible afterwards.
    package func join() {
        pthread_join(thread, nil)
    }
}
