/// The decimal numbers of RESP headers (`*N`, `$N`), read as strictly as Redis reads them.
enum RESPDecimal {
    /// The longest text a 64-bit integer has: `-9223372036854775808`.
    static let maxLength = 20

    /// The integer `bytes[range]` spells: an optional `-`, then `0` alone or digits without a leading zero, within
    /// 64 bits. Nil for anything else (empty, `+1`, `01`, `-0`, spaces, overflow).
    static func parse(_ bytes: Span<UInt8>, _ range: Range<Int>) -> Int64? {
        var index = range.lowerBound
        guard index < range.upperBound else { return nil }
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < range.upperBound else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            return !negative && range.count == 1 ? 0 : nil
        }
        var magnitude: UInt64 = 0
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowed && !carried else { return nil }
            magnitude = sum
            index += 1
        }
        if negative {
            if magnitude == Int64.min.magnitude { return Int64.min }
            return magnitude < Int64.min.magnitude ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }
}
