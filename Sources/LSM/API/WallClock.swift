#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a database reads the time that decides which entries have expired: the system's real-time clock, unless
/// a test injects another (``Options/clock``).
///
/// Expiry follows the wall clock, as Redis's does: if the clock is set back, entries that had expired come back
/// until compaction has removed them, and if it jumps ahead they expire early.
///
/// Two clocks are the same clock (for ``Options`` equality) when they have the same name.
///
/// ```swift
/// options.clock = WallClock(name: "frozen") { Timestamp(millisecondsSinceEpoch: 1_700_000_000_000) }
/// ```
public struct WallClock: Sendable, Hashable, CustomStringConvertible {
    /// Names the clock (for equality and messages).
    public let name: String
    private let read: @Sendable () -> Timestamp

    /// A clock named `name` whose time `now` reads; it is called from any thread, so it must be thread-safe.
    public init(name: String, now: @escaping @Sendable () -> Timestamp) {
        self.name = name
        self.read = now
    }

    /// The time now.
    public func now() -> Timestamp { read() }

    /// The system's real-time clock (`CLOCK_REALTIME`).
    public static let system = WallClock(name: "system") {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) &* 1000 &+ Int64(spec.tv_nsec / 1_000_000))
    }

    public static func == (a: WallClock, b: WallClock) -> Bool { a.name == b.name }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The clock's name.
    public var description: String { name }
}
