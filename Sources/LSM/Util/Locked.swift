#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a pthread mutex, with the same `withLock` shape as `Synchronization.Mutex`.
///
/// Used instead of `Mutex` because on Linux `Mutex` hands a contended lock over through the kernel (a PI futex),
/// which ThreadSanitizer cannot see: every `swift test --sanitize=thread` run then reports races inside correctly
/// locked sections. pthread mutexes are understood by the sanitizer, so its reports stay meaningful. It has
/// `package` access so the tools in this package share it without it becoming public API.
package final class Locked<State>: @unchecked Sendable {
    // Safety: `state` is only touched inside `withLock`, with `mutex` held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    package init(_ state: State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    package func withLock<R, E: Error>(_ body: (inout State) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
