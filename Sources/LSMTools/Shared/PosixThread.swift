#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// An operating-system thread running one closure until it returns; ``join()`` waits for it.
///
/// The benchmark's and the stress test's workers block in the engine for whole runs (in fdatasync, or waiting for
/// a group commit), as the peers' pthreads do; a shared pool (Dispatch, Swift concurrency) would not give each of
/// them a thread of its own.
struct PosixThread {
    private let handle: pthread_t

    /// Holds the closure while the new thread starts.
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; throws when the system refuses one.
    init(_ body: @escaping @Sendable () -> Void) throws(LSMError) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Glibc)
        var handle = pthread_t()
        #else
        var handle: pthread_t?
        #endif
        let status = pthread_create(
            &handle, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw LSMError(.ioError, "cannot start a thread", errno: status)
        }
        #if canImport(Glibc)
        self.handle = handle
        #else
        guard let handle else { throw LSMError(.ioError, "cannot start a thread") }
        self.handle = handle
        #endif
    }

    /// Waits until the thread's closure has returned; everything it wrote is visible afterwards.
    func join() {
        pthread_join(handle, nil)
    }
}
