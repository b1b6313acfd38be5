/// Numbers in arguments and values as Redis reads and writes them.
enum RedisNumber {
    /// A signed 64-bit integer in Redis's strict form (its `string2ll`): an optional `-`, then digits with no
    /// leading zero (`0` itself aside), no sign on zero, no spaces; nil otherwise or when out of range.
    static func integer(_ bytes: some Collection<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        var index = bytes.startIndex
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index = bytes.index(after: index) }
        guard index != bytes.endIndex else { return nil }
        let first = bytes[index]
        if first == UInt8(ascii: "0") {
            // Only "0": not "-0", not "01".
            return !negative && bytes.index(after: index) == bytes.endIndex ? 0 : nil
        }
        var magnitude: UInt64 = 0
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            index = bytes.index(after: index)
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A finite double as Redis reads one (`strtold` on the whole argument): no spaces around it, not NaN;
    /// `inf` and `-inf` are read (INCRBYFLOAT then refuses an infinite result). Nil otherwise.
    static func double(_ bytes: some BidirectionalCollection<UInt8>) -> Double? {
        guard !bytes.isEmpty, bytes.count <= 5_000 else { return nil }
        guard let first = bytes.first, let last = bytes.last,
              !isSpace(first), !isSpace(last) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        let lowered = text.lowercased()
        switch lowered {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        guard let value = Double(text), !value.isNaN else { return nil }
        return value
    }

    /// The decimal text of `value`.
    static func text(_ value: Int64) -> [UInt8] {
        Array(String(value).utf8)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
}
