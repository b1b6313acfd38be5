/// A moment of wall-clock time, in whole milliseconds since the Unix epoch (1970-01-01 00:00:00 UTC): when an
/// entry expires (``Database/put(_:_:expiresAt:sync:)``), and what a ``WallClock`` reads.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch; negative before it.
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The moment `seconds` whole seconds after the Unix epoch (saturating at the ends of the range).
    public init(secondsSinceEpoch seconds: Int64) {
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        self.init(millisecondsSinceEpoch: overflow ? (seconds < 0 ? .min : .max) : milliseconds)
    }

    /// The moment `duration` after this one, to the millisecond (rounded down), saturating at the ends of the range.
    public func advanced(by duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        let sum = milliseconds.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        let total = millisecondsSinceEpoch.addingReportingOverflow(sum.partialValue)
        guard !milliseconds.overflow, !sum.overflow, !total.overflow else {
            return Timestamp(millisecondsSinceEpoch: seconds < 0 ? .min : .max)
        }
        return Timestamp(millisecondsSinceEpoch: total.partialValue)
    }

    /// Milliseconds from this moment to `later` (negative when `later` is earlier), saturating.
    public func milliseconds(until later: Timestamp) -> Int64 {
        let (difference, overflow) = later.millisecondsSinceEpoch.subtractingReportingOverflow(millisecondsSinceEpoch)
        return overflow ? (later > self ? .max : .min) : difference
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }

    /// The milliseconds since the epoch, e.g. `1700000000000ms`.
    public var description: String { "\(millisecondsSinceEpoch)ms" }
}
