import Foundation
@testable import LSM

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
