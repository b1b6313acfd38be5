#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// A double as Redis reads one (its `getDoubleFromObject`: `strtod` over the whole argument): no leading
    /// space, every byte part of the number, not NaN, neither overflowing to infinity nor underflowing to zero;
    /// `inf` and `-inf` are read (INCRBYFLOAT then refuses an infinite result). Nil otherwise, and for texts over
    /// 5,000 bytes.
    static func double(_ bytes: some Collection<UInt8>) -> Double? {
        guard bytes.count <= 5_000 else { return nil }
        return parse(bytes) { text, end in strtod(text, end) }
    }

    /// The decimal text of `value`.
    static func text(_ value: Int64) -> [UInt8] {
        Array(String(value).utf8)
    }

    #if arch(x86_64)
    /// The C `long double` INCRBYFLOAT computes in, as Redis does: on x86_64 the 80-bit extended type, whose extra
    /// precision is why `0.1 + 0.2` prints as `0.3`.
    typealias LongDouble = Float80
    #else
    /// The C `long double` INCRBYFLOAT computes in: Double where Swift has no wider type.
    typealias LongDouble = Double
    #endif

    /// Redis's `MAX_LONG_DOUBLE_CHARS`: the longest number text it reads is one byte shorter, and it is room for
    /// the longest it prints.
    private static let maxLongDoubleCharacters = 5 * 1024

    /// A `long double` as Redis reads one (its `string2ld`): as ``double(_:)`` reads a double, with `strtold`, for
    /// texts shorter than 5 KiB. Hexadecimal (`0x1p3`) and `inf` are accepted as `strtold` accepts them.
    static func longDouble(_ bytes: some Collection<UInt8>) -> LongDouble? {
        guard bytes.count < maxLongDoubleCharacters else { return nil }
        #if arch(x86_64)
        return parse(bytes) { text, end in strtold(text, end) }
        #else
        return parse(bytes) { text, end in strtod(text, end) }
        #endif
    }

    /// The text INCRBYFLOAT stores, as Redis's `ld2string` in its human mode writes it: `%.17Lf` (fixed point,
    /// never an exponent), then trailing zeros and a trailing point removed, and `-0` written `0`. `value` is
    /// finite (INCRBYFLOAT refuses the others).
    static func text(_ value: LongDouble) -> [UInt8] {
        // The largest long double has 4,933 digits before the point: the buffer always has room.
        var buffer = [CChar](repeating: 0, count: maxLongDoubleCharacters)
        #if arch(x86_64)
        let format = "%.17Lf"
        #else
        let format = "%.17f"
        #endif
        let length = withVaList([value]) { arguments in vsnprintf(&buffer, buffer.count, format, arguments) }
        precondition(length > 0 && Int(length) < buffer.count, "a finite long double's text fits the buffer")
        var text = buffer[..<Int(length)].map { UInt8(bitPattern: $0) }
        if text.contains(UInt8(ascii: ".")) {
            while text.last == UInt8(ascii: "0") { text.removeLast() }
            if text.last == UInt8(ascii: ".") { text.removeLast() }
        }
        return text == Array("-0".utf8) ? Array("0".utf8) : text
    }

    /// `bytes` read by the C library's `strtod` or `strtold` (`convert`) as Redis reads numbers: nil unless the
    /// whole text is one number with no leading space, not NaN, and without a range error (an overflow to
    /// infinity or an underflow to zero). The C reader rather than Swift's: Swift's reads `1e400` as infinity and
    /// `1e-400` as zero, and stops at a NUL byte inside the text.
    private static func parse<Value: BinaryFloatingPoint>(
        _ bytes: some Collection<UInt8>,
        _ convert: (UnsafePointer<CChar>, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Value
    ) -> Value? {
        guard let first = bytes.first, !isSpace(first) else { return nil }
        var terminated = Array(bytes)
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer -> Value? in
            buffer.withMemoryRebound(to: CChar.self) { characters -> Value? in
                guard let start = characters.baseAddress else { return nil }
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                let value = convert(start, &end)
                let rangeError = errno == ERANGE && (value.isInfinite || value == 0)
                guard let end, UnsafePointer(end) - start == bytes.count, !value.isNaN, !rangeError,
                      errno != EINVAL else { return nil }
                return value
            }
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
}
