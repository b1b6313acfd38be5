import LSM

/// A benchmark key: the key number printed as `%016llu` (16 ASCII digits, zero padded), rewritten in place so the
/// timed loops allocate nothing of their own.
struct BenchKey {
    static let length = 16
    /// The largest key number that still prints in 16 digits.
    static let maxNumber: UInt64 = 9_999_999_999_999_999

    private(set) var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: length)

    /// Makes the key of number `number` (at most ``maxNumber``).
    mutating func set(_ number: UInt64) {
        assert(number <= Self.maxNumber)
        var rest = number
        bytes.withUnsafeMutableBufferPointer { digits in
            for index in stride(from: Self.length - 1, through: 0, by: -1) {
                digits[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
        }
    }
}

/// A benchmark value: 100 bytes from splitmix64 seeded with `n * 7919 + 1`, as `peerbench.c`'s `mkval`, each
/// 8-byte draw stored little-endian and the last one cut to the 4 bytes that remain.
struct BenchValue {
    static let length = 100

    private(set) var bytes = [UInt8](repeating: 0, count: length)

    /// Makes the value of number `number`.
    mutating func set(_ number: UInt64) {
        var random = SplitMix64(seed: number &* 7919 &+ 1)
        bytes.withUnsafeMutableBytes { random.fill($0) }
    }
}
