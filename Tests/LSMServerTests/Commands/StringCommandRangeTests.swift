import LSM
import Testing
@testable import LSMServer

@Suite struct StringCommandRangeTests {
    static let tooLong = "-\(CommandError.stringTooLong.line)\r\n"

    // MARK: APPEND and STRLEN

    @Test func appendCreatesOrExtendsTheStringAndRepliesWithItsLength() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("APPEND", "k", "Hello") == ":5\r\n")
        #expect(harness.resp2("APPEND", "k", " World") == ":11\r\n")
        #expect(harness.resp2("GET", "k") == "$11\r\nHello World\r\n")
        #expect(harness.resp2("STRLEN", "k") == ":11\r\n")
        #expect(harness.resp2("APPEND", "k", "") == ":11\r\n")
        #expect(harness.resp2("STRLEN", "missing") == ":0\r\n")
    }

    @Test func appendOfNothingToAMissingKeyCreatesAnEmptyString() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("APPEND", "k", "") == ":0\r\n")
        #expect(try harness.storedRecord("k")?.type == .string)
        #expect(harness.resp2("GET", "k") == "$0\r\n\r\n")
    }

    @Test func appendKeepsTheExpiry() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "a", "PX", "1000") == "+OK\r\n")
        #expect(harness.resp2("APPEND", "k", "b") == ":2\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(1000))
        harness.clock.advance(1000)
        #expect(harness.resp2("APPEND", "k", "c") == ":1\r\n")
        #expect(try harness.storedExpiry("k") == nil)
    }

    @Test func appendAndStrlenOfAnotherTypeAreWrongType() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("APPEND", "h", "x") == StringCommandTests.wrongType)
        #expect(harness.resp2("APPEND", "h", "") == StringCommandTests.wrongType)
        #expect(harness.resp2("STRLEN", "h") == StringCommandTests.wrongType)
        #expect(try harness.storedRecord("h")?.type == .hash)
    }

    @Test func appendIsBinarySafe() throws {
        let harness = try ServerHarness()
        #expect(harness.run([Array("APPEND".utf8), allByteValues, allByteValues]).integerValue == 256)
        #expect(harness.run([Array("APPEND".utf8), allByteValues, [0]]).integerValue == 257)
        #expect(harness.run([Array("GET".utf8), allByteValues]).bulkStringBytes == allByteValues + [0])
        #expect(harness.run([Array("STRLEN".utf8), allByteValues]).integerValue == 257)
    }

    @Test func strlenAndGetrangeCountLookupsButAppendAndSetrangeDoNot() throws {
        let harness = try ServerHarness()
        _ = harness.run("APPEND", "k", "abc")
        _ = harness.run("SETRANGE", "k", "1", "x")
        _ = harness.run("SETRANGE", "new", "1", "x")
        #expect(harness.keyspaceLookups == (0, 0))
        _ = harness.run("STRLEN", "k")
        _ = harness.run("STRLEN", "missing")
        _ = harness.run("GETRANGE", "k", "0", "-1")
        _ = harness.run("SUBSTR", "missing", "0", "-1")
        #expect(harness.keyspaceLookups == (2, 2))
    }

    // MARK: GETRANGE

    @Test(arguments: [
        ("0", "3", "This"), ("-3", "-1", "ing"), ("0", "-1", "This is a string"), ("10", "100", "string"),
        ("5", "3", ""), ("-1", "-5", ""), ("15", "15", "g"), ("16", "20", ""), ("-100", "100", "This is a string"),
        // Redis 7 clamps an end before the start of the string to 0, so these give the first byte.
        ("0", "-100", "T"), ("-100", "-90", "T"),
        ("-9223372036854775808", "9223372036854775807", "This is a string"),
        ("3", "-9223372036854775808", ""), ("9223372036854775807", "9223372036854775807", ""),
    ])
    func getrangeCountsNegativeIndicesFromTheEndAndClampsAsRedisDoes(start: String, end: String, expected: String)
        throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "This is a string") == "+OK\r\n")
        #expect(harness.run("GETRANGE", "k", start, end).bulkStringBytes == Array(expected.utf8))
        #expect(harness.run("SUBSTR", "k", start, end).bulkStringBytes == Array(expected.utf8))
    }

    @Test func getrangeOfAMissingKeyOrAnEmptyStringIsEmpty() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("GETRANGE", "missing", "0", "-1") == "$0\r\n\r\n")
        #expect(harness.resp2("SET", "empty", "") == "+OK\r\n")
        #expect(harness.resp2("GETRANGE", "empty", "0", "-1") == "$0\r\n\r\n")
        #expect(harness.resp2("GETRANGE", "empty", "0", "0") == "$0\r\n\r\n")
        #expect(harness.resp2("GETRANGE", "empty", "-1", "0") == "$0\r\n\r\n")
    }

    @Test func getrangeReadsTheIndicesBeforeTheKey() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("GETRANGE", "missing", "a", "1") == StringCommandCounterTests.notInteger)
        #expect(harness.resp2("GETRANGE", "missing", "0", "1.5") == StringCommandCounterTests.notInteger)
        #expect(harness.resp2("GETRANGE", "h", "x", "1") == StringCommandCounterTests.notInteger)
        #expect(harness.resp2("GETRANGE", "h", "0", "1") == StringCommandTests.wrongType)
        #expect(harness.resp2("SUBSTR", "h", "0", "1") == StringCommandTests.wrongType)
        #expect(harness.resp2("GETRANGE", "h", "0") == "-ERR wrong number of arguments for 'getrange' command\r\n")
    }

    @Test func getrangeIsBinarySafe() throws {
        let harness = try ServerHarness()
        #expect(harness.run([Array("SET".utf8), Array("k".utf8), allByteValues]).isOK)
        #expect(harness.run("GETRANGE", "k", "0", "-1").bulkStringBytes == allByteValues)
        #expect(harness.run("GETRANGE", "k", "-3", "-2").bulkStringBytes == [253, 254])
        #expect(harness.run("GETRANGE", "k", "0", "1").bulkStringBytes == [0, 1])
    }

    // MARK: SETRANGE

    @Test func setrangeOverwritesFromTheOffsetAndPadsWithZeroBytes() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "Hello World") == "+OK\r\n")
        #expect(harness.resp2("SETRANGE", "k", "6", "Redis") == ":11\r\n")
        #expect(harness.resp2("GET", "k") == "$11\r\nHello Redis\r\n")
        #expect(harness.resp2("SETRANGE", "k", "9", "0123") == ":13\r\n")
        #expect(harness.resp2("GET", "k") == "$13\r\nHello Red0123\r\n")
        #expect(harness.resp2("SETRANGE", "k", "15", "!") == ":16\r\n")
        #expect(harness.run("GET", "k").bulkStringBytes == Array("Hello Red0123".utf8) + [0, 0, UInt8(ascii: "!")])
        #expect(harness.resp2("SETRANGE", "new", "6", "Redis") == ":11\r\n")
        #expect(harness.run("GET", "new").bulkStringBytes == [0, 0, 0, 0, 0, 0] + Array("Redis".utf8))
    }

    @Test func setrangeOfNothingChangesNothing() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SETRANGE", "missing", "5", "") == ":0\r\n")
        #expect(try harness.storedRecord("missing") == nil)
        // Before the size limit, as in Redis.
        #expect(harness.resp2("SETRANGE", "missing", "9223372036854775807", "") == ":0\r\n")
        #expect(harness.resp2("SET", "k", "abc") == "+OK\r\n")
        #expect(harness.resp2("SETRANGE", "k", "100", "") == ":3\r\n")
        #expect(harness.resp2("GET", "k") == "$3\r\nabc\r\n")
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SETRANGE", "h", "0", "") == StringCommandTests.wrongType, "the type is checked first")
    }

    @Test func setrangeRefusesABadOffset() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SETRANGE", "k", "-1", "x") == "-ERR offset is out of range\r\n")
        #expect(harness.resp2("SETRANGE", "k", "-1", "") == "-ERR offset is out of range\r\n")
        #expect(harness.resp2("SETRANGE", "k", "1.5", "x") == StringCommandCounterTests.notInteger)
        #expect(harness.resp2("SETRANGE", "k", "9223372036854775808", "x") == StringCommandCounterTests.notInteger)
        #expect(harness.resp2("SETRANGE", "k", "\(StringCommands.maxLength)", "x") == Self.tooLong)
        #expect(harness.resp2("SETRANGE", "k", "9223372036854775807", "x") == Self.tooLong)
        #expect(try harness.storedRecord("k") == nil)
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SETRANGE", "h", "-1", "x") == "-ERR offset is out of range\r\n")
        #expect(harness.resp2("SETRANGE", "h", "0", "x") == StringCommandTests.wrongType)
    }

    @Test func setrangeKeepsTheExpiry() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "abc", "PX", "1000") == "+OK\r\n")
        #expect(harness.resp2("SETRANGE", "k", "1", "X") == ":3\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(1000))
        #expect(harness.resp2("GET", "k") == "$3\r\naXc\r\n")
    }

    @Test func setrangeIsBinarySafe() throws {
        let harness = try ServerHarness()
        let reply = harness.run([Array("SETRANGE".utf8), allByteValues, Array("2".utf8), allByteValues])
        #expect(reply.integerValue == 258)
        #expect(harness.run([Array("GET".utf8), allByteValues]).bulkStringBytes == [0, 0] + allByteValues)
    }

    /// The longest string the engine holds is reached exactly, and one byte more is refused.
    @Test func aStringGrowsToTheLongestLengthAndNoFurther() throws {
        let harness = try ServerHarness()
        let last = StringCommands.maxLength - 1
        #expect(harness.resp2("SETRANGE", "k", "\(last)", "x") == ":\(StringCommands.maxLength)\r\n")
        #expect(harness.resp2("STRLEN", "k") == ":\(StringCommands.maxLength)\r\n")
        #expect(harness.resp2("APPEND", "k", "y") == Self.tooLong)
        #expect(harness.resp2("SETRANGE", "k", "\(last)", "yz") == Self.tooLong)
        #expect(harness.resp2("APPEND", "k", "") == ":\(StringCommands.maxLength)\r\n")
        #expect(harness.resp2("GETRANGE", "k", "-2", "-1") == "$2\r\n\u{0}x\r\n")
    }
}
