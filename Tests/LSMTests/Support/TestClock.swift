@testable import LSM

/// A wall clock a test sets by hand, for ``Options/clock``.
final class TestClock: Sendable {
    private let milliseconds: Locked<Int64>

    init(_ start: Int64 = 1_700_000_000_000) {
        milliseconds = Locked(start)
    }

    var now: Timestamp { Timestamp(millisecondsSinceEpoch: milliseconds.withLock { $0 }) }

    /// Moves the clock by `delta` milliseconds (back when negative).
    func advance(_ delta: Int64) { milliseconds.withLock { $0 += delta } }

    /// This clock as ``Options/clock`` takes it.
    var wallClock: WallClock { WallClock(name: "test") { [self] in now } }

    /// The moment `delta` milliseconds from now.
    func later(_ delta: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + delta) }
}
