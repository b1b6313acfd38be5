#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock, for measuring durations (write stalls, compactions, benchmarks, bounded waits): unaffected by
/// changes to the wall clock. `package`, so the tools and tests time with the same clock.
package enum MonotonicClock {
    /// Nanoseconds since a fixed, arbitrary moment.
    package static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Microseconds since the same moment.
    package static func microseconds() -> UInt64 {
        nanoseconds() / 1000
    }

    /// Seconds since the same moment.
    package static func seconds() -> Double {
        Double(nanoseconds()) / 1e9
    }

    /// Seconds between two readings of ``nanoseconds()``.
    package static func seconds(from start: UInt64, to end: UInt64) -> Double {
        Double(end &- start) / 1e9
    }

    /// Pauses the calling thread for about `milliseconds`.
    package static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
