import Dispatch
import LSM
import Testing
@testable import LSMServer

@Suite struct StringCommandCounterTests {
    static let notInteger = "-ERR value is not an integer or out of range\r\n"
    static let overflow = "-ERR increment or decrement would overflow\r\n"
    static let notFloat = "-ERR value is not a valid float\r\n"

    @Test func countersStartAtZeroAndStoreTheirValueAsText() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("INCR", "k") == ":1\r\n")
        #expect(harness.resp2("INCR", "k") == ":2\r\n")
        #expect(harness.resp2("DECR", "k") == ":1\r\n")
        #expect(harness.resp2("INCRBY", "k", "10") == ":11\r\n")
        #expect(harness.resp2("DECRBY", "k", "5") == ":6\r\n")
        #expect(harness.resp2("INCRBY", "k", "-10") == ":-4\r\n")
        #expect(harness.resp2("DECRBY", "k", "-4") == ":0\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\n0\r\n")
        #expect(harness.resp2("DECR", "new") == ":-1\r\n")
        #expect(harness.resp2("GET", "new") == "$2\r\n-1\r\n")
    }

    @Test(arguments: [" 1", "1 ", "01", "-0", "+1", "1.0", "", "abc", "9223372036854775808", "1\u{0}"])
    func aValueThatIsNotAStrictIntegerIsRefused(value: String) throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", value) == "+OK\r\n")
        #expect(harness.resp2("INCR", "k") == Self.notInteger)
        #expect(harness.resp2("DECRBY", "k", "1") == Self.notInteger)
        #expect(harness.run("GET", "k").bulkStringBytes == Array(value.utf8))
    }

    @Test func theIncrementIsReadBeforeTheKey() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("INCR", "h") == StringCommandTests.wrongType)
        #expect(harness.resp2("INCRBY", "h", "x") == Self.notInteger)
        #expect(harness.resp2("INCRBY", "missing", "1.5") == Self.notInteger)
        #expect(harness.resp2("DECRBY", "missing", "9223372036854775808") == Self.notInteger)
        #expect(try harness.storedRecord("missing") == nil)
        #expect(try harness.storedRecord("h")?.type == .hash)
    }

    @Test func sumsPastSixtyFourBitsAreRefusedAndLeaveTheValue() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "max", "9223372036854775807") == "+OK\r\n")
        #expect(harness.resp2("INCR", "max") == Self.overflow)
        #expect(harness.resp2("INCRBY", "max", "9223372036854775807") == Self.overflow)
        #expect(harness.resp2("DECRBY", "max", "-1") == Self.overflow)
        #expect(harness.resp2("INCRBY", "max", "0") == ":9223372036854775807\r\n")
        #expect(harness.resp2("INCRBY", "max", "-9223372036854775808") == ":-1\r\n")

        #expect(harness.resp2("SET", "min", "-9223372036854775808") == "+OK\r\n")
        #expect(harness.resp2("DECR", "min") == Self.overflow)
        #expect(harness.resp2("DECRBY", "min", "1") == Self.overflow)
        #expect(harness.resp2("INCRBY", "min", "-1") == Self.overflow)
        #expect(harness.resp2("GET", "min") == "$20\r\n-9223372036854775808\r\n")
        #expect(harness.resp2("INCRBY", "min", "9223372036854775807") == ":-1\r\n")

        #expect(harness.resp2("INCRBY", "zero", "-9223372036854775808") == ":-9223372036854775808\r\n")
        #expect(harness.resp2("DECRBY", "one", "9223372036854775807") == ":-9223372036854775807\r\n")
        #expect(harness.resp2("DECR", "one") == ":-9223372036854775808\r\n")
    }

    @Test func decrbyOfTheSmallestIntegerIsRefusedBeforeTheKeyIsRead() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("DECRBY", "k", "-9223372036854775808") == "-ERR decrement would overflow\r\n")
        #expect(harness.resp2("DECRBY", "h", "-9223372036854775808") == "-ERR decrement would overflow\r\n")
        #expect(try harness.storedRecord("k") == nil)
    }

    @Test func countersKeepTheExpiry() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "1", "PX", "1000") == "+OK\r\n")
        let expiry = harness.inMilliseconds(1000)
        #expect(harness.resp2("INCR", "k") == ":2\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "k", "0.5") == "$3\r\n2.5\r\n")
        #expect(try harness.storedExpiry("k") == expiry)
        harness.clock.advance(1000)
        #expect(harness.resp2("INCR", "k") == ":1\r\n", "an expired key starts again from zero")
        #expect(try harness.storedExpiry("k") == nil)
    }

    @Test func countersDoNotCountKeyspaceLookups() throws {
        let harness = try ServerHarness()
        _ = harness.run("INCR", "k")
        _ = harness.run("INCRBYFLOAT", "k", "1")
        _ = harness.run("DECRBY", "missing", "2")
        #expect(harness.keyspaceLookups == (0, 0))
    }

    /// Clients incrementing one key at once, each through its own command context: no increment is lost.
    @Test func concurrentIncrementsAllCount() throws {
        let harness = try ServerHarness()
        let threads = 8
        let rounds = 250
        let client = harness.clientOnAnotherThread
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for _ in 0..<rounds {
                _ = thread % 2 == 0 ? client.run("INCR", "k") : client.run("INCRBY", "k", "3")
            }
        }
        #expect(harness.resp2("GET", "k") == "$4\r\n\(threads / 2 * rounds * 4)\r\n")
    }

    // MARK: INCRBYFLOAT

    @Test func incrbyfloatAddsAndStoresRedisFixedPointText() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("INCRBYFLOAT", "k", "10.5") == "$4\r\n10.5\r\n")
        #expect(harness.resp2("GET", "k") == "$4\r\n10.5\r\n")
        #expect(harness.resp2("SET", "e", "5.0e3") == "+OK\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "e", "2.0e2") == "$4\r\n5200\r\n")
        #expect(harness.resp2("SET", "big", "1e20") == "+OK\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "big", "0") == "$21\r\n100000000000000000000\r\n")
        #expect(harness.resp2("SET", "i", "7") == "+OK\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "i", "-7") == "$1\r\n0\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "i", "0x10") == "$2\r\n16\r\n", "strtold reads hexadecimal")
        #expect(harness.resp2("SET", "tiny", "-0.000000000000000001") == "+OK\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "tiny", "0") == "$1\r\n0\r\n", "-0 is written 0")
        #expect(harness.resp2("INCRBYFLOAT", "small", "0.00000000000000001") == "$19\r\n0.00000000000000001\r\n")
    }

    #if arch(x86_64)
    /// Redis's own examples, which come out as typed because the sums are made in 80-bit long doubles.
    @Test func incrbyfloatComputesInLongDoubleOnX86() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "10.50") == "+OK\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "k", "0.1") == "$4\r\n10.6\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "k", "-5") == "$3\r\n5.6\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "p", "0.1") == "$3\r\n0.1\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "p", "0.2") == "$3\r\n0.3\r\n")
        // Past a double's range, within a long double's.
        #expect(harness.resp2("SET", "huge", "1e308") == "+OK\r\n")
        let sum = try #require(harness.run("INCRBYFLOAT", "huge", "1e308").bulkStringBytes)
        // Twice the long double nearest 1e308 (a little below it), every digit of it: no exponent.
        #expect(sum.count == 309)
        #expect(sum.starts(with: Array("199999999999999999993".utf8)))
        #expect(sum.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    }
    #endif

    @Test(arguments: ["abc", " 1", "1 ", "", "nan", "1e5000", "1e-5000", "1\u{0}", "1.5.5", "--1"])
    func incrbyfloatRefusesWhatIsNotAFloat(text: String) throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("INCRBYFLOAT", "k", text) == Self.notFloat)
        #expect(try harness.storedRecord("k") == nil)
        #expect(harness.resp2("SET", "v", text) == "+OK\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "v", "1") == Self.notFloat)
        #expect(harness.run("GET", "v").bulkStringBytes == Array(text.utf8))
    }

    @Test func incrbyfloatRefusesAnInfiniteSum() throws {
        let harness = try ServerHarness()
        let refused = "-ERR increment would produce NaN or Infinity\r\n"
        #expect(harness.resp2("INCRBYFLOAT", "k", "inf") == refused)
        #expect(harness.resp2("INCRBYFLOAT", "k", "-infinity") == refused)
        #expect(try harness.storedRecord("k") == nil)
        #expect(harness.resp2("SET", "k", "inf") == "+OK\r\n")
        #expect(harness.resp2("INCRBYFLOAT", "k", "-inf") == refused, "inf - inf is NaN")
        #expect(harness.resp2("GET", "k") == "$3\r\ninf\r\n")
    }

    @Test func incrbyfloatChecksTheTypeFirstThenTheValueThenTheIncrement() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("INCRBYFLOAT", "h", "x") == StringCommandTests.wrongType)
        #expect(harness.resp2("INCRBYFLOAT", "h", "1") == StringCommandTests.wrongType)
        #expect(harness.resp2("INCRBYFLOAT", "k") == "-ERR wrong number of arguments for 'incrbyfloat' command\r\n")
    }
}
