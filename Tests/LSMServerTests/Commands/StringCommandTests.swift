import Dispatch
import LSM
import NIOCore
import Testing
@testable import LSMServer

/// What the string command tests share: keys of other types, records as stored, replies as bytes, and clients on
/// other threads.
extension ServerHarness {
    /// The record of `key` in database 0 as stored, or nil when it does not exist.
    func storedRecord(_ key: String) throws -> KeyRecord? {
        try state.keyspace.record(db: 0, Array(key.utf8))
    }

    /// The moment `key` expires, or nil when it does not (or does not exist).
    func storedExpiry(_ key: String) throws -> Timestamp? {
        try storedRecord(key)?.expiresAt
    }

    /// The moment `milliseconds` from now by the harness's clock.
    func inMilliseconds(_ milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: clock.now.millisecondsSinceEpoch + milliseconds)
    }

    /// INFO's keyspace hits and misses.
    var keyspaceLookups: (hits: Int, misses: Int) {
        let counters = Dictionary(uniqueKeysWithValues: state.statistics.snapshot)
        return (counters["keyspace_hits"] ?? -1, counters["keyspace_misses"] ?? -1)
    }

    /// Another client of the harness's server, for running commands on other threads.
    var clientOnAnotherThread: HarnessClient { HarnessClient(state: state) }
}

/// Every byte value once, for binary-safety tests.
let allByteValues = (0...255).map { UInt8($0) }

@Suite struct StringCommandTests {
    static let wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    static let notInteger = "-ERR value is not an integer or out of range\r\n"

    // MARK: GET and SET

    @Test func setThenGetReturnsTheValueAndGetOfAMissingKeyIsNull() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v") == "+OK\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        #expect(harness.resp2("GET", "missing") == "$-1\r\n")
    }

    @Test func setWithExpiryDisappearsOnceTheClockPassesIt() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v", "PX", "1500") == "+OK\r\n")
        harness.clock.advance(1499)
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        harness.clock.advance(1)
        #expect(harness.resp2("GET", "k") == "$-1\r\n")
    }

    @Test func getOfAnotherTypeIsWrongType() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("GET", "h") == Self.wrongType)
    }

    @Test func keysAndValuesAreBinarySafe() throws {
        let harness = try ServerHarness()
        let bytes = allByteValues
        let reversed = Array(bytes.reversed())
        #expect(harness.run([Array("SET".utf8), bytes, bytes + bytes]).isOK)
        #expect(harness.run([Array("GET".utf8), bytes]).bulkStringBytes == bytes + bytes)
        #expect(harness.run([Array("GET".utf8), Array(bytes.dropLast())]).bulkStringBytes == nil)
        #expect(harness.run([Array("SETNX".utf8), reversed, bytes]).integerValue == 1)
        #expect(harness.run([Array("GETSET".utf8), reversed, [0, 13, 10]]).bulkStringBytes == bytes)
        #expect(harness.run([Array("GETDEL".utf8), reversed]).bulkStringBytes == [0, 13, 10])
    }

    @Test func setOverwritesAKeyOfAnotherTypeAndDropsItsExpiry() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash, expiresAt: harness.inMilliseconds(10_000))
        #expect(harness.resp2("SET", "h", "v") == "+OK\r\n")
        #expect(try harness.storedRecord("h")?.type == .string)
        #expect(try harness.storedExpiry("h") == nil)

        #expect(harness.resp2("SET", "k", "v", "EX", "100") == "+OK\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(100_000))
        #expect(harness.resp2("SET", "k", "w") == "+OK\r\n")
        #expect(try harness.storedExpiry("k") == nil)
    }

    @Test func setKeepTTLKeepsTheExpiry() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v", "PX", "1000") == "+OK\r\n")
        let expiry = harness.inMilliseconds(1000)
        harness.clock.advance(400)
        #expect(harness.resp2("SET", "k", "w", "KEEPTTL") == "+OK\r\n")
        #expect(try harness.storedExpiry("k") == expiry)
        #expect(harness.resp2("GET", "k") == "$1\r\nw\r\n")
        harness.clock.advance(600)
        #expect(harness.resp2("GET", "k") == "$-1\r\n")
        // KEEPTTL on a key without one, or a missing key: no expiry.
        #expect(harness.resp2("SET", "k", "x", "KEEPTTL") == "+OK\r\n")
        #expect(try harness.storedExpiry("k") == nil)
        #expect(harness.resp2("GET", "k") == "$1\r\nx\r\n")
    }

    @Test func setExpiryFormsNameTheSameMoments() throws {
        let harness = try ServerHarness()
        let now = harness.clock.now.millisecondsSinceEpoch
        #expect(harness.resp2("SET", "ex", "v", "EX", "5") == "+OK\r\n")
        #expect(harness.resp2("SET", "px", "v", "px", "5000") == "+OK\r\n")
        #expect(harness.resp2("SET", "exat", "v", "EXAT", "\(now / 1000 + 5)") == "+OK\r\n")
        #expect(harness.resp2("SET", "pxat", "v", "PXAT", "\(now + 5000)") == "+OK\r\n")
        #expect(try harness.storedExpiry("ex") == harness.inMilliseconds(5000))
        #expect(try harness.storedExpiry("px") == harness.inMilliseconds(5000))
        #expect(try harness.storedExpiry("exat") == Timestamp(millisecondsSinceEpoch: (now / 1000 + 5) * 1000))
        #expect(try harness.storedExpiry("pxat") == harness.inMilliseconds(5000))
        // A moment already past: OK, and the key is gone.
        #expect(harness.resp2("SET", "ex", "v", "PXAT", "\(now)") == "+OK\r\n")
        #expect(harness.resp2("GET", "ex") == "$-1\r\n")
        #expect(harness.resp2("SET", "ex", "v", "EXAT", "1") == "+OK\r\n")
        #expect(try harness.storedRecord("ex") == nil)
    }

    @Test func setNXAndXXLookAtKeysOfEveryType() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v", "NX") == "+OK\r\n")
        #expect(harness.resp2("SET", "k", "w", "nx") == "$-1\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        #expect(harness.resp2("SET", "m", "v", "XX") == "$-1\r\n")
        #expect(try harness.storedRecord("m") == nil)
        #expect(harness.resp2("SET", "k", "x", "XX") == "+OK\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nx\r\n")
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SET", "h", "v", "NX") == "$-1\r\n")
        #expect(try harness.storedRecord("h")?.type == .hash)
        #expect(harness.resp2("SET", "h", "v", "XX") == "+OK\r\n")
        #expect(try harness.storedRecord("h")?.type == .string)
    }

    @Test func setGetRepliesWithTheOldValue() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v", "GET") == "$-1\r\n")
        #expect(harness.resp2("SET", "k", "w", "GET") == "$1\r\nv\r\n")
        // NX with GET: the old value, and nothing written.
        #expect(harness.resp2("SET", "k", "x", "NX", "GET") == "$1\r\nw\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nw\r\n")
        #expect(harness.resp2("SET", "new", "x", "XX", "GET") == "$-1\r\n")
        #expect(try harness.storedRecord("new") == nil)
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SET", "h", "v", "GET") == Self.wrongType)
        #expect(try harness.storedRecord("h")?.type == .hash)
    }

    @Test(arguments: [
        ["NX", "XX"], ["XX", "NX"], ["EX", "10", "PX", "10"], ["PX", "10", "EXAT", "10"], ["KEEPTTL", "EX", "10"],
        ["EX", "10", "KEEPTTL"], ["EX"], ["PXAT"], ["PERSIST"], ["GET", "NX", "EX"], ["FOO"], ["EX", "abc", "NX", "XX"],
    ])
    func setOptionsThatConflictOrAreUnknownAreASyntaxError(options: [String]) throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "old") == "+OK\r\n")
        let reply = harness.run((["SET", "k", "v"] + options).map { Array($0.utf8) })
        #expect(reply.errorLine == "ERR syntax error")
        #expect(harness.resp2("GET", "k") == "$3\r\nold\r\n")
    }

    @Test func setOptionsMayRepeatAndTheLastExpiryWins() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v", "EX", "10", "EX", "20", "NX", "NX") == "+OK\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(20_000))
        #expect(harness.resp2("SET", "k", "w", "KEEPTTL", "KEEPTTL", "GET", "get") == "$1\r\nv\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(20_000))
    }

    @Test func setRefusesInvalidExpireTimes() throws {
        let harness = try ServerHarness()
        let invalid = "-ERR invalid expire time in 'set' command\r\n"
        #expect(harness.resp2("SET", "k", "v", "EX", "0") == invalid)
        #expect(harness.resp2("SET", "k", "v", "PX", "-1") == invalid)
        #expect(harness.resp2("SET", "k", "v", "EXAT", "0") == invalid)
        // Seconds past what milliseconds hold, and a relative time past it once added to now.
        #expect(harness.resp2("SET", "k", "v", "EX", "9223372036854776") == invalid)
        #expect(harness.resp2("SET", "k", "v", "PX", "9223372036854775807") == invalid)
        #expect(harness.resp2("SET", "k", "v", "EX", "1.5") == Self.notInteger)
        #expect(harness.resp2("SET", "k", "v", "PX", " 10") == Self.notInteger)
        #expect(try harness.storedRecord("k") == nil)
        // The largest absolute time is fine.
        #expect(harness.resp2("SET", "k", "v", "PXAT", "9223372036854775807") == "+OK\r\n")
        #expect(try harness.storedExpiry("k") == Timestamp(millisecondsSinceEpoch: .max))
    }

    @Test func setRefusesAValueLongerThanAStringCanBe() throws {
        let harness = try ServerHarness()
        let reply = harness.run([Array("SET".utf8), Array("k".utf8), [UInt8](repeating: 1, count: Limits.maxValueSize)])
        #expect(reply.errorLine == CommandError.stringTooLong.line)
        #expect(try harness.storedRecord("k") == nil)
    }

    @Test func readsCountKeyspaceHitsAndMissesAsRedisDoes() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SET", "k", "v") == "+OK\r\n")
        #expect(harness.keyspaceLookups == (0, 0))
        _ = harness.run("GET", "k")
        _ = harness.run("GET", "missing")
        _ = harness.run("GET", "h")
        #expect(harness.keyspaceLookups == (2, 1), "a key of another type is a hit")
        _ = harness.run("SET", "k", "w", "GET")
        _ = harness.run("SET", "k2", "w", "GET")
        #expect(harness.keyspaceLookups == (3, 2))
        // Reading a key to change it counts nothing.
        _ = harness.run("SETNX", "k", "v")
        _ = harness.run("SET", "k", "v", "XX")
        #expect(harness.keyspaceLookups == (3, 2))
    }

    // MARK: SETNX, SETEX, PSETEX

    @Test func setnxSetsOnlyAMissingKey() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SETNX", "k", "v") == ":1\r\n")
        #expect(harness.resp2("SETNX", "k", "w") == ":0\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SETNX", "h", "w") == ":0\r\n")
        #expect(try harness.storedRecord("h")?.type == .hash)
        #expect(harness.resp2("SET", "e", "v", "PX", "1") == "+OK\r\n")
        harness.clock.advance(1)
        #expect(harness.resp2("SETNX", "e", "w") == ":1\r\n", "an expired key is missing")
    }

    @Test func setexAndPsetexSetTheValueWithAnExpiry() throws {
        let harness = try ServerHarness()
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("SETEX", "h", "10", "v") == "+OK\r\n")
        #expect(try harness.storedExpiry("h") == harness.inMilliseconds(10_000))
        #expect(harness.resp2("GET", "h") == "$1\r\nv\r\n")
        #expect(harness.resp2("PSETEX", "p", "1500", "w") == "+OK\r\n")
        #expect(try harness.storedExpiry("p") == harness.inMilliseconds(1500))
        harness.clock.advance(1500)
        #expect(harness.resp2("GET", "p") == "$-1\r\n")
    }

    @Test func setexAndPsetexErrorsNameTheirCommand() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SETEX", "k", "0", "v") == "-ERR invalid expire time in 'setex' command\r\n")
        #expect(harness.resp2("PSETEX", "k", "-5", "v") == "-ERR invalid expire time in 'psetex' command\r\n")
        #expect(harness.resp2("SETEX", "k", "9223372036854776", "v")
                == "-ERR invalid expire time in 'setex' command\r\n")
        #expect(harness.resp2("SETEX", "k", "ten", "v") == Self.notInteger)
        #expect(harness.resp2("SETEX", "k", "10") == "-ERR wrong number of arguments for 'setex' command\r\n")
        #expect(harness.resp2("PSETEX", "k", "10", "v", "x")
                == "-ERR wrong number of arguments for 'psetex' command\r\n")
        #expect(try harness.storedRecord("k") == nil)
    }

    // MARK: GETSET, GETDEL

    @Test func getsetRepliesWithTheOldValueAndDropsTheExpiry() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("GETSET", "k", "v") == "$-1\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        #expect(harness.resp2("SET", "k", "w", "EX", "100") == "+OK\r\n")
        #expect(harness.resp2("GETSET", "k", "x") == "$1\r\nw\r\n")
        #expect(try harness.storedExpiry("k") == nil)
        #expect(harness.resp2("GET", "k") == "$1\r\nx\r\n")
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("GETSET", "h", "v") == Self.wrongType)
        #expect(try harness.storedRecord("h")?.type == .hash)
    }

    @Test func getdelRepliesWithTheValueAndDeletesTheKey() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("GETDEL", "k") == "$-1\r\n")
        #expect(harness.resp2("SET", "k", "v", "EX", "100") == "+OK\r\n")
        #expect(harness.resp2("GETDEL", "k") == "$1\r\nv\r\n")
        #expect(try harness.storedRecord("k") == nil)
        #expect(harness.resp2("GETDEL", "k") == "$-1\r\n")
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("GETDEL", "h") == Self.wrongType)
        #expect(try harness.storedRecord("h")?.type == .hash)
    }

    // MARK: GETEX

    @Test func getexWithoutOptionsIsAGetThatKeepsTheExpiry() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("GETEX", "k") == "$-1\r\n")
        #expect(harness.resp2("SET", "k", "v", "EX", "100") == "+OK\r\n")
        #expect(harness.resp2("GETEX", "k") == "$1\r\nv\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(100_000))
    }

    @Test func getexSetsOrRemovesTheExpiry() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v") == "+OK\r\n")
        #expect(harness.resp2("GETEX", "k", "EX", "10") == "$1\r\nv\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(10_000))
        #expect(harness.resp2("GETEX", "k", "px", "500") == "$1\r\nv\r\n")
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(500))
        let later = harness.clock.now.millisecondsSinceEpoch + 60_000
        #expect(harness.resp2("GETEX", "k", "PXAT", "\(later)") == "$1\r\nv\r\n")
        #expect(try harness.storedExpiry("k") == Timestamp(millisecondsSinceEpoch: later))
        #expect(harness.resp2("GETEX", "k", "EXAT", "\(later / 1000)") == "$1\r\nv\r\n")
        #expect(try harness.storedExpiry("k") == Timestamp(millisecondsSinceEpoch: later / 1000 * 1000))
        #expect(harness.resp2("GETEX", "k", "PERSIST") == "$1\r\nv\r\n")
        #expect(try harness.storedExpiry("k") == nil)
        #expect(harness.resp2("GETEX", "k", "PERSIST") == "$1\r\nv\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
    }

    @Test func getexWithAMomentPastRepliesWithTheValueAndDeletesTheKey() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v") == "+OK\r\n")
        #expect(harness.resp2("GETEX", "k", "PXAT", "\(harness.clock.now.millisecondsSinceEpoch)") == "$1\r\nv\r\n")
        #expect(try harness.storedRecord("k") == nil)
        #expect(harness.resp2("SET", "k", "v") == "+OK\r\n")
        #expect(harness.resp2("GETEX", "k", "EXAT", "1") == "$1\r\nv\r\n")
        #expect(try harness.storedRecord("k") == nil)
    }

    @Test func getexChecksTheTimeOnlyOfAStringThatExists() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("GETEX", "missing", "EX", "0") == "$-1\r\n")
        #expect(harness.resp2("GETEX", "missing", "EX", "abc") == "$-1\r\n")
        try harness.writeCollectionKey("h", ofType: .hash)
        #expect(harness.resp2("GETEX", "h", "EX", "0") == Self.wrongType)
        #expect(harness.resp2("SET", "k", "v", "EX", "100") == "+OK\r\n")
        #expect(harness.resp2("GETEX", "k", "EX", "0") == "-ERR invalid expire time in 'getex' command\r\n")
        #expect(harness.resp2("GETEX", "k", "PX", "9223372036854775807")
                == "-ERR invalid expire time in 'getex' command\r\n")
        #expect(harness.resp2("GETEX", "k", "EX", "abc") == Self.notInteger)
        #expect(try harness.storedExpiry("k") == harness.inMilliseconds(100_000))
    }

    @Test(arguments: [
        ["EX", "1", "PERSIST"], ["PERSIST", "PX", "1"], ["EX", "1", "PX", "1"], ["EX"], ["NX"], ["XX"], ["GET"],
        ["KEEPTTL"], ["FOO"], ["PERSIST", "EX"],
    ])
    func getexOptionsThatConflictOrAreUnknownAreASyntaxError(options: [String]) throws {
        let harness = try ServerHarness()
        // Before the key is looked at: a missing key too.
        for key in ["k", "missing"] {
            #expect(harness.resp2("SET", "k", "v", "EX", "100") == "+OK\r\n")
            let reply = harness.run((["GETEX", key] + options).map { Array($0.utf8) })
            #expect(reply.errorLine == "ERR syntax error")
            #expect(try harness.storedExpiry("k") == harness.inMilliseconds(100_000))
        }
    }
}
