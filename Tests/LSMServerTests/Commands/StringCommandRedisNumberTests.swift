import Testing
@testable import LSMServer

/// The number forms the string commands read and write (RedisNumber).
@Suite struct StringCommandRedisNumberTests {
    @Test func doublesAreReadAsStrtodReadsTheWholeText() {
        #expect(RedisNumber.double(Array("1.5".utf8)) == 1.5)
        #expect(RedisNumber.double(Array("-2e3".utf8)) == -2000)
        #expect(RedisNumber.double(Array("inf".utf8)) == .infinity)
        #expect(RedisNumber.double(Array("-Infinity".utf8)) == -.infinity)
        #expect(RedisNumber.double(Array("0x10".utf8)) == 16)
        #expect(RedisNumber.double(Array("4.9e-324".utf8)) == .leastNonzeroMagnitude, "a denormal is no range error")
        for refused in ["", " 1", "1 ", "\t1", "nan", "1e400", "-1e400", "1e-400", "1\u{0}2", "1x", "e1", "."] {
            #expect(RedisNumber.double(Array(refused.utf8)) == nil, "\(refused.debugDescription)")
        }
        #expect(RedisNumber.double(Array(repeating: UInt8(ascii: "1"), count: 5_001)) == nil)
    }

    @Test func longDoublesAreReadAsStrtoldReadsThemUpTo5KiB() {
        #expect(RedisNumber.longDouble(Array("10.5".utf8)) == 10.5)
        #expect(RedisNumber.longDouble(Array("-inf".utf8)) == -.infinity)
        for refused in ["", " 1", "1 ", "nan", "1e5000", "1e-5000", "1\u{0}", "0x", "+-1"] {
            #expect(RedisNumber.longDouble(Array(refused.utf8)) == nil, "\(refused.debugDescription)")
        }
        let longest = [UInt8](repeating: UInt8(ascii: "0"), count: 5 * 1024 - 1)
        #expect(RedisNumber.longDouble(longest) == 0)
        #expect(RedisNumber.longDouble(longest + [UInt8(ascii: "0")]) == nil)
    }

    @Test func longDoublesAreWrittenInFixedPointWithoutTrailingZeros() {
        func text(_ value: RedisNumber.LongDouble) -> String {
            String(decoding: RedisNumber.text(value), as: UTF8.self)
        }
        #expect(text(3) == "3")
        #expect(text(-2.5) == "-2.5")
        #expect(text(0) == "0")
        #expect(text(-0.0) == "0")
        #expect(text(100) == "100")
        #expect(text(1e20) == "100000000000000000000")
        #expect(text(0.125) == "0.125")
        #expect(text(-1e-18) == "0", "below 17 decimals, negative: -0, written 0")
        #expect(text(1e-17) == "0.00000000000000001")
        #expect(text(.greatestFiniteMagnitude).count > 300)
    }

    @Test func integersAreStrict() {
        #expect(RedisNumber.integer(Array("-9223372036854775808".utf8)) == .min)
        #expect(RedisNumber.integer(Array("9223372036854775807".utf8)) == .max)
        for refused in ["9223372036854775808", "-9223372036854775809", "-0", "01", "+1", " 1", "1 ", "", "-"] {
            #expect(RedisNumber.integer(Array(refused.utf8)) == nil, "\(refused.debugDescription)")
        }
    }
}
