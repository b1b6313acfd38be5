import LSM
import Testing
@testable import LSMServer

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, and expiry as every key
/// command sees it.
@Suite struct KeyCommandExpiryTests {
    /// The harness clock's start, in milliseconds since the epoch.
    private let start: Int64 = 1_700_000_000_000

    @Test func expireSetsATimeToLiveAfterWhichTheKeyIsGone() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        #expect(harness.resp2("EXPIRE", "k", "100") == ":1\r\n")
        #expect(harness.resp2("TTL", "k") == ":100\r\n")
        #expect(harness.resp2("PTTL", "k") == ":100000\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        harness.clock.advance(99_999)
        #expect(harness.resp2("PTTL", "k") == ":1\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        harness.clock.advance(1)
        #expect(harness.resp2("GET", "k") == "$-1\r\n")
        #expect(harness.resp2("TTL", "k") == ":-2\r\n")
    }

    @Test func pexpireExpireatAndPexpireatSetTheSameExpiryInTheirUnits() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        #expect(harness.resp2("PEXPIRE", "k", "1234") == ":1\r\n")
        #expect(harness.resp2("PEXPIRETIME", "k") == ":\(start + 1234)\r\n")
        #expect(harness.resp2("EXPIREAT", "k", "\(start / 1000 + 50)") == ":1\r\n")
        #expect(harness.resp2("PEXPIRETIME", "k") == ":\(start + 50_000)\r\n")
        #expect(harness.resp2("EXPIRETIME", "k") == ":\(start / 1000 + 50)\r\n")
        #expect(harness.resp2("PEXPIREAT", "k", "\(start + 777)") == ":1\r\n")
        #expect(harness.resp2("PTTL", "k") == ":777\r\n")
    }

    @Test func secondsAreRoundedToTheNearestAsRedisRoundsThem() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        for (milliseconds, seconds) in [(499, 0), (500, 1), (1499, 1), (1500, 2)] {
            harness.run("PEXPIRE", "k", "\(milliseconds)")
            #expect(harness.resp2("TTL", "k") == ":\(seconds)\r\n", "\(milliseconds) ms")
        }
        // EXPIRETIME rounds the moment too (Redis's (ms + 500) / 1000).
        harness.run("PEXPIREAT", "k", "\(start + 10_499)")
        #expect(harness.resp2("EXPIRETIME", "k") == ":\(start / 1000 + 10)\r\n")
        harness.run("PEXPIREAT", "k", "\(start + 10_500)")
        #expect(harness.resp2("EXPIRETIME", "k") == ":\(start / 1000 + 11)\r\n")
    }

    @Test func missingKeysAndKeysWithoutExpiryAnswerMinusTwoAndMinusOne() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        for command in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            #expect(harness.resp2(command, "missing") == ":-2\r\n", "\(command)")
            #expect(harness.resp2(command, "k") == ":-1\r\n", "\(command)")
        }
        for command in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
            #expect(harness.resp2(command, "missing", "100") == ":0\r\n", "\(command)")
        }
        #expect(harness.resp2("EXISTS", "missing") == ":0\r\n")
        #expect(harness.resp2("PERSIST", "missing") == ":0\r\n")
        #expect(harness.resp2("PERSIST", "k") == ":0\r\n")
    }

    @Test func aTimeNotInTheFutureDeletesTheKeyAndAnswersOne() throws {
        let harness = try ServerHarness()
        for arguments in [["EXPIRE", "k", "0"], ["EXPIRE", "k", "-10"], ["PEXPIRE", "k", "0"],
                          ["EXPIREAT", "k", "1"], ["PEXPIREAT", "k", "\(start)"], ["PEXPIREAT", "k", "-5"]] {
            harness.run("SET", "k", "v")
            #expect(harness.run(arguments.map { Array($0.utf8) }).integerValue == 1, "\(arguments)")
            #expect(harness.resp2("EXISTS", "k") == ":0\r\n", "\(arguments)")
        }
        // One millisecond ahead is still the future.
        harness.run("SET", "k", "v")
        #expect(harness.resp2("PEXPIREAT", "k", "\(start + 1)") == ":1\r\n")
        #expect(harness.resp2("PTTL", "k") == ":1\r\n")
    }

    @Test func nxAndXxLookAtWhetherThereIsAnExpiry() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        #expect(harness.resp2("EXPIRE", "k", "100", "XX") == ":0\r\n")
        #expect(harness.resp2("TTL", "k") == ":-1\r\n")
        #expect(harness.resp2("EXPIRE", "k", "100", "nx") == ":1\r\n")
        #expect(harness.resp2("EXPIRE", "k", "200", "NX") == ":0\r\n")
        #expect(harness.resp2("TTL", "k") == ":100\r\n")
        #expect(harness.resp2("EXPIRE", "k", "200", "XX") == ":1\r\n")
        #expect(harness.resp2("TTL", "k") == ":200\r\n")
    }

    @Test func gtAndLtTakeNoExpiryAsInfinite() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        // No expiry is later than any: GT never applies, LT always does.
        #expect(harness.resp2("EXPIRE", "k", "100", "GT") == ":0\r\n")
        #expect(harness.resp2("TTL", "k") == ":-1\r\n")
        #expect(harness.resp2("EXPIRE", "k", "100", "LT") == ":1\r\n")
        #expect(harness.resp2("EXPIRE", "k", "100", "GT") == ":0\r\n")
        #expect(harness.resp2("EXPIRE", "k", "50", "GT") == ":0\r\n")
        #expect(harness.resp2("EXPIRE", "k", "200", "GT") == ":1\r\n")
        #expect(harness.resp2("EXPIRE", "k", "200", "LT") == ":0\r\n")
        #expect(harness.resp2("EXPIRE", "k", "300", "lt") == ":0\r\n")
        #expect(harness.resp2("EXPIRE", "k", "150", "LT") == ":1\r\n")
        #expect(harness.resp2("TTL", "k") == ":150\r\n")
        // XX with GT: both must hold.
        #expect(harness.resp2("EXPIRE", "k", "400", "XX", "GT") == ":1\r\n")
        #expect(harness.resp2("TTL", "k") == ":400\r\n")
        // A time in the past with LT deletes the key.
        #expect(harness.resp2("EXPIRE", "k", "-1", "LT") == ":1\r\n")
        #expect(harness.resp2("EXISTS", "k") == ":0\r\n")
    }

    @Test func optionErrorsAreRedisesAndComeBeforeTheTimeIsRead() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        let incompatible = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        #expect(harness.resp2("EXPIRE", "k", "10", "NX", "XX") == incompatible)
        #expect(harness.resp2("EXPIRE", "k", "10", "NX", "GT") == incompatible)
        #expect(harness.resp2("PEXPIRE", "k", "10", "LT", "NX") == incompatible)
        #expect(harness.resp2("EXPIRE", "k", "abc", "NX", "XX") == incompatible)
        #expect(harness.resp2("EXPIRE", "k", "10", "GT", "LT")
            == "-ERR GT and LT options at the same time are not compatible\r\n")
        #expect(harness.resp2("EXPIRE", "k", "10", "SOON") == "-ERR Unsupported option SOON\r\n")
        #expect(harness.resp2("EXPIRE", "k", "ten") == "-ERR value is not an integer or out of range\r\n")
        #expect(harness.resp2("EXPIRE", "k", "1.5") == "-ERR value is not an integer or out of range\r\n")
        #expect(harness.resp2("EXPIRE", "k") == "-ERR wrong number of arguments for 'expire' command\r\n")
        #expect(harness.resp2("TTL", "k", "x") == "-ERR wrong number of arguments for 'ttl' command\r\n")
        #expect(harness.resp2("TTL", "k") == ":-1\r\n")
    }

    @Test func timesThatOverflowMillisecondsAreInvalidEvenForAMissingKey() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        #expect(harness.resp2("EXPIRE", "k", "9223372036854776")
            == "-ERR invalid expire time in 'expire' command\r\n")
        #expect(harness.resp2("EXPIRE", "missing", "-9223372036854776")
            == "-ERR invalid expire time in 'expire' command\r\n")
        #expect(harness.resp2("EXPIREAT", "k", "9223372036854776")
            == "-ERR invalid expire time in 'expireat' command\r\n")
        #expect(harness.resp2("PEXPIRE", "k", "9223372036854775807")
            == "-ERR invalid expire time in 'pexpire' command\r\n")
        #expect(harness.resp2("TTL", "k") == ":-1\r\n")
        // The largest moment there is fits, and its second is rounded without overflowing.
        #expect(harness.resp2("PEXPIREAT", "k", "9223372036854775807") == ":1\r\n")
        #expect(harness.resp2("PEXPIRETIME", "k") == ":9223372036854775807\r\n")
        #expect(harness.resp2("EXPIRETIME", "k") == ":9223372036854776\r\n")
        // Seconds that fit in milliseconds, but not once now is added.
        #expect(harness.resp2("EXPIRE", "k", "9223372036854775")
            == "-ERR invalid expire time in 'expire' command\r\n")
        #expect(harness.resp2("EXPIREAT", "k", "9223372036854775") == ":1\r\n")
        #expect(harness.resp2("EXPIRETIME", "k") == ":9223372036854775\r\n")
    }

    @Test func persistRemovesTheExpiryAndKeepsTheValue() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v", "EX", "10")
        #expect(harness.resp2("PERSIST", "k") == ":1\r\n")
        #expect(harness.resp2("TTL", "k") == ":-1\r\n")
        #expect(harness.resp2("PERSIST", "k") == ":0\r\n")
        harness.clock.advance(20_000)
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
    }

    @Test func expiryOfACollectionKeepsItsRecord() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("l", ofType: .list)
        let before = try harness.state.keyspace.record(db: 0, Array("l".utf8))
        #expect(harness.resp2("EXPIRE", "l", "10") == ":1\r\n")
        #expect(harness.resp2("TYPE", "l") == "+list\r\n")
        #expect(harness.resp2("TTL", "l") == ":10\r\n")
        #expect(harness.resp2("PERSIST", "l") == ":1\r\n")
        #expect(try harness.state.keyspace.record(db: 0, Array("l".utf8)) == before)
    }

    @Test func anExpiredKeyVanishesFromEveryCommandAtOnce() throws {
        let harness = try ServerHarness()
        harness.run("SET", "gone", "v", "PX", "100")
        harness.run("SET", "kept", "v")
        #expect(harness.resp2("DBSIZE") == ":2\r\n")
        harness.clock.advance(100)
        #expect(harness.resp2("GET", "gone") == "$-1\r\n")
        #expect(harness.resp2("EXISTS", "gone") == ":0\r\n")
        #expect(harness.resp2("TOUCH", "gone") == ":0\r\n")
        #expect(harness.resp2("TYPE", "gone") == "+none\r\n")
        #expect(harness.resp2("TTL", "gone") == ":-2\r\n")
        #expect(harness.resp2("PTTL", "gone") == ":-2\r\n")
        #expect(harness.resp2("EXPIRETIME", "gone") == ":-2\r\n")
        #expect(harness.resp2("DBSIZE") == ":1\r\n")
        #expect(harness.resp2("KEYS", "*") == "*1\r\n$4\r\nkept\r\n")
        #expect(harness.resp2("KEYS", "gone") == "*0\r\n")
        #expect(harness.resp2("SCAN", "0") == "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nkept\r\n")
        for _ in 0..<20 {
            #expect(harness.resp2("RANDOMKEY") == "$4\r\nkept\r\n")
        }
        #expect(harness.resp2("RENAME", "gone", "x") == "-ERR no such key\r\n")
        #expect(harness.resp2("EXPIRE", "gone", "10") == ":0\r\n")
        #expect(harness.resp2("PERSIST", "gone") == ":0\r\n")
        #expect(harness.resp2("DEL", "gone") == ":0\r\n")
        harness.run("DEL", "kept")
        #expect(harness.resp2("RANDOMKEY") == "$-1\r\n")
    }
}
