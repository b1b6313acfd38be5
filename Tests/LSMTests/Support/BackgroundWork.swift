import Foundation
import Testing
@testable import LSM

/// Runs `body` on another thread, recording a thrown error as a test issue; the returned flag is set once it has
/// returned.
func inBackground(_ body: @escaping @Sendable () throws -> Void) -> Locked<Bool> {
    let done = Locked(false)
    Thread.detachNewThread {
        do { try body() } catch { Issue.record("failed: \(error)") }
        done.withLock { $0 = true }
    }
    return done
}

/// Polls `condition` every half millisecond until it holds (true) or `seconds` pass (false): for a test that waits
/// for another thread to reach a point, without a timing assertion.
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = MonotonicClock.seconds() + seconds
    while !condition() {
        if MonotonicClock.seconds() > deadline { return false }
        usleep(500)
    }
    return true
}
