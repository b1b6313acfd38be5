/// Number formatting for the stress tool's progress, summary and report, without Foundation.
enum StressFormat {
    /// `12345` as `12,345`.
    static func count<Number: BinaryInteger>(_ value: Number) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// Three significant digits, at most: 1.23, 12.3, 123.
    static func significant(_ value: Double) -> String {
        if value < 9.995 { return DecimalText.fixed(value, 2) }
        if value < 99.95 { return DecimalText.fixed(value, 1) }
        return DecimalText.fixed(value, 0)
    }

    /// A latency given in nanoseconds: `850ns`, `12.3µs`, `1.25ms`, `2.10s`.
    static func latency(_ nanoseconds: UInt64) -> String {
        let value = Double(nanoseconds)
        if nanoseconds < 1000 { return "\(nanoseconds)ns" }
        if value < 999_500 { return significant(value / 1e3) + "µs" }
        if value < 999_500_000 { return significant(value / 1e6) + "ms" }
        return significant(value / 1e9) + "s"
    }

    /// A byte count: `512 B`, `4.00 KiB`, `1.25 MiB`.
    static func bytes<Number: BinaryInteger>(_ count: Number) -> String {
        let value = Double(count)
        if value < 1024 { return "\(count) B" }
        if value < 1024 * 1024 { return significant(value / 1024) + " KiB" }
        if value < 1024 * 1024 * 1024 { return significant(value / (1024 * 1024)) + " MiB" }
        return significant(value / (1024 * 1024 * 1024)) + " GiB"
    }

    /// File counts per level up to the deepest level in use: `4 2 0`.
    static func levels(_ counts: [Int]) -> String {
        let used = (counts.lastIndex { $0 > 0 } ?? 0) + 1
        return counts.prefix(used).map(String.init).joined(separator: " ")
    }

    /// A rate per second, rounded to a whole number with separators.
    static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite && perSecond >= 0 else { return "0" }
        return count(Int(perSecond.rounded()))
    }
}
