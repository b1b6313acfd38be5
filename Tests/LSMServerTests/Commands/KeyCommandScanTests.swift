import Dispatch
import LSM
import NIOConcurrencyHelpers
import Testing
@testable import LSMServer

/// KEYS, SCAN and RANDOMKEY.
@Suite struct KeyCommandScanTests {
    /// One SCAN call: the cursor it answered and the keys it returned, as text.
    private func scan(_ harness: ServerHarness, _ cursor: String, _ options: String...) throws
        -> (cursor: String, keys: [String]) {
        let reply = harness.run((["SCAN", cursor] + options).map { Array($0.utf8) })
        guard case .array(let parts) = reply, parts.count == 2, let next = parts[0].bulkStrings?.first,
              let keys = parts[1].bulkStrings
        else {
            Issue.record("SCAN answered \(reply)")
            throw ScanFailure()
        }
        return (String(decoding: next, as: UTF8.self), keys.map { String(decoding: $0, as: UTF8.self) })
    }

    private struct ScanFailure: Error {}

    /// Every key a full SCAN returns (calling `between` after each call but the last), and how many calls it took.
    private func scanAll(_ harness: ServerHarness, _ options: String..., between: () -> Void = {}) throws
        -> (keys: [String], calls: Int) {
        var cursor = "0"
        var keys: [String] = []
        var calls = 0
        repeat {
            let reply = harness.run((["SCAN", cursor] + options).map { Array($0.utf8) })
            guard case .array(let parts) = reply, let next = parts.first?.bulkStrings?.first,
                  let found = parts.last?.bulkStrings
            else {
                Issue.record("SCAN answered \(reply)")
                throw ScanFailure()
            }
            cursor = String(decoding: next, as: UTF8.self)
            keys += found.map { String(decoding: $0, as: UTF8.self) }
            calls += 1
            if cursor != "0" { between() }
        } while cursor != "0" && calls < 10_000
        return (keys, calls)
    }

    private func keys(_ harness: ServerHarness, _ pattern: String) -> [String]? {
        harness.run("KEYS", pattern).bulkStrings?.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func keysListsTheMatchingKeysInByteOrder() throws {
        let harness = try ServerHarness()
        for key in ["user:2", "b", "user:1", "use", "user", "usez", "user;", "a", "hello", "hallo"] {
            harness.run("SET", key, "v")
        }
        #expect(keys(harness, "*") == ["a", "b", "hallo", "hello", "use", "user", "user:1", "user:2", "user;", "usez"])
        #expect(keys(harness, "user:*") == ["user:1", "user:2"])
        #expect(keys(harness, "user*") == ["user", "user:1", "user:2", "user;"])
        #expect(keys(harness, "user") == ["user"])
        #expect(keys(harness, "h[ae]llo") == ["hallo", "hello"])
        #expect(keys(harness, "*:[^1]") == ["user:2"])
        #expect(keys(harness, "?") == ["a", "b"])
        #expect(keys(harness, "nothing*") == [])
        #expect(keys(harness, "nothing") == [])
        #expect(harness.resp2("KEYS") == "-ERR wrong number of arguments for 'keys' command\r\n")
    }

    @Test func keysStarListsTheEmptyKeyButOtherPatternsDoNot() throws {
        let harness = try ServerHarness()
        harness.run("SET", "", "empty")
        harness.run("SET", "k", "v")
        #expect(keys(harness, "*") == ["", "k"])
        #expect(keys(harness, "**") == ["k"])
        #expect(keys(harness, "") == [""])
        #expect(try scanAll(harness).keys == ["", "k"])
        #expect(try scanAll(harness, "MATCH", "**").keys == ["k"])
    }

    @Test func keysWithABinaryPrefixStopsPastIt() throws {
        let harness = try ServerHarness()
        let keys: [[UInt8]] = [[0x61], [0x61, 0xFF], [0x61, 0xFF, 0x00], [0x61, 0xFF, 0xFF], [0x62], [0xFF]]
        for key in keys { harness.run([Array("SET".utf8), key, [0x31]]) }
        #expect(harness.run([Array("KEYS".utf8), [0x61, 0xFF, 0x2A]]).bulkStrings == Array(keys[1...3]))
        #expect(harness.run([Array("KEYS".utf8), [0xFF, 0x2A]]).bulkStrings == [[0xFF]])
        #expect(harness.run([Array("KEYS".utf8), [0x2A, 0xFF]]).bulkStrings
            == [[0x61, 0xFF], [0x61, 0xFF, 0xFF], [0xFF]])
    }

    @Test func scanReturnsEveryKeyOnceAndEndsWithCursorZero() throws {
        let harness = try ServerHarness()
        let all = (0..<25).map { "key:\($0)" }
        for key in all { harness.run("SET", key, "v") }
        let result = try scanAll(harness)
        #expect(result.keys.sorted() == all.sorted())
        #expect(result.calls == 3)
        #expect(try scanAll(harness, "COUNT", "1").calls == 25)
        #expect(try scanAll(harness, "COUNT", "1000").calls == 1)
        let first = try scan(harness, "0", "COUNT", "1")
        #expect(first.keys == ["key:0"])
        #expect(first.cursor != "0")
    }

    @Test func scanOfAnEmptyDatabaseIsDoneAtOnce() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SCAN", "0") == "*2\r\n$1\r\n0\r\n*0\r\n")
        #expect(harness.resp2("SCAN", "0", "MATCH", "x*", "COUNT", "5", "TYPE", "string")
            == "*2\r\n$1\r\n0\r\n*0\r\n")
    }

    @Test func scanEndsInTheCallThatVisitsTheLastKey() throws {
        let harness = try ServerHarness()
        for index in 0..<10 { harness.run("SET", "k\(index)", "v") }
        let first = try scan(harness, "0")
        #expect(first.cursor == "0")
        #expect(first.keys.count == 10)
        let partial = try scan(harness, "0", "COUNT", "9")
        #expect(partial.cursor != "0")
        #expect(try scan(harness, partial.cursor, "COUNT", "9") == (cursor: "0", keys: ["k9"]))
    }

    @Test func countBoundsTheKeysVisitedAndMatchFiltersThemAfterwards() throws {
        let harness = try ServerHarness()
        for letter in ["a", "b"] {
            for digit in 0..<10 { harness.run("SET", "\(letter)\(digit)", "v") }
        }
        var replies: [[String]] = []
        var cursor = "0"
        repeat {
            let reply = try scan(harness, cursor, "MATCH", "*1", "COUNT", "5")
            replies.append(reply.keys)
            cursor = reply.cursor
        } while cursor != "0" && replies.count < 10
        // Five keys visited a call: a call may return nothing and not be the last.
        #expect(replies == [["a1"], [], ["b1"], []])
    }

    @Test func matchWithALiteralPrefixVisitsOnlyTheKeysWithIt() throws {
        let harness = try ServerHarness()
        for key in ["a1", "a2", "a3", "m:1", "m:2", "m:3", "z1", "z2"] { harness.run("SET", key, "v") }
        let first = try scan(harness, "0", "MATCH", "m:*", "COUNT", "2")
        #expect(first.keys == ["m:1", "m:2"])
        #expect(first.cursor != "0")
        // The next key after m:3 is past the prefix: the scan is over.
        #expect(try scan(harness, first.cursor, "MATCH", "m:*", "COUNT", "2") == (cursor: "0", keys: ["m:3"]))
        // A cursor from a scan without MATCH continues at the prefix when that is further on.
        let early = try scan(harness, "0", "COUNT", "1")
        #expect(early.keys == ["a1"])
        #expect(try scan(harness, early.cursor, "MATCH", "z*") == (cursor: "0", keys: ["z1", "z2"]))
    }

    @Test func typeFiltersByTheTypesNameInAnyCase() throws {
        let harness = try ServerHarness()
        harness.run("SET", "s1", "v")
        harness.run("SET", "s2", "v")
        try harness.writeCollectionKey("l", ofType: .list)
        try harness.writeCollectionKey("z", ofType: .sortedSet)
        #expect(try scanAll(harness, "TYPE", "string").keys == ["s1", "s2"])
        #expect(try scanAll(harness, "TYPE", "LIST").keys == ["l"])
        #expect(try scanAll(harness, "TYPE", "zset").keys == ["z"])
        #expect(try scanAll(harness, "TYPE", "hash").keys == [])
        // An unknown type is no error in Redis 7: it matches nothing.
        #expect(try scanAll(harness, "TYPE", "sortedset").keys == [])
        #expect(try scanAll(harness, "TYPE", "string", "MATCH", "*2").keys == ["s2"])
    }

    @Test func malformedScansAreRedisesErrors() throws {
        let harness = try ServerHarness()
        harness.run("SET", "a", "v")
        harness.run("SET", "b", "v")
        #expect(harness.resp2("SCAN") == "-ERR wrong number of arguments for 'scan' command\r\n")
        for cursor in ["abc", "-1", "+1", " 0", "12345", "18446744073709551616", ""] {
            #expect(harness.resp2("SCAN", cursor) == "-ERR invalid cursor\r\n", "\(cursor)")
        }
        #expect(harness.resp2("SCAN", "0", "COUNT", "0") == "-ERR syntax error\r\n")
        #expect(harness.resp2("SCAN", "0", "COUNT", "-5") == "-ERR syntax error\r\n")
        #expect(harness.resp2("SCAN", "0", "COUNT", "many") == "-ERR value is not an integer or out of range\r\n")
        #expect(harness.resp2("SCAN", "0", "MATCH") == "-ERR syntax error\r\n")
        #expect(harness.resp2("SCAN", "0", "LIMIT", "5") == "-ERR syntax error\r\n")
        #expect(harness.resp2("SCAN", "0", "COUNT", "1", "TYPE") == "-ERR syntax error\r\n")
        // A cursor belongs to its database.
        let cursor = try scan(harness, "0", "COUNT", "1").cursor
        harness.run("SELECT", "1")
        #expect(harness.resp2("SCAN", cursor) == "-ERR invalid cursor\r\n")
        harness.run("SELECT", "0")
        #expect(try scan(harness, cursor) == (cursor: "0", keys: ["b"]))
    }

    @Test func cursorsAreForgottenOldestFirstByCountAndByBytes() {
        let cursors = ScanCursors()
        let first = cursors.cursor(db: 0, after: [1])
        var last = first
        for _ in 0..<ScanCursors.capacity { last = cursors.cursor(db: 0, after: [2]) }
        #expect(cursors.position(first, db: 0) == nil)
        #expect(cursors.position(first + 1, db: 0) == [2])
        #expect(cursors.position(last, db: 0) == [2])

        let big = [UInt8](repeating: 7, count: 65_536)
        let bigFirst = cursors.cursor(db: 3, after: big)
        for _ in 0..<(ScanCursors.byteCapacity / big.count) { last = cursors.cursor(db: 3, after: big) }
        #expect(cursors.position(bigFirst, db: 3) == nil)
        #expect(cursors.position(bigFirst + 1, db: 3) == big)
        #expect(cursors.position(last, db: 3) == big)
        #expect(cursors.position(last, db: 0) == nil)
    }

    @Test func aCursorCanBeUsedAgain() throws {
        let harness = try ServerHarness()
        for index in 0..<9 { harness.run("SET", "k\(index)", "v") }
        let cursor = try scan(harness, "0", "COUNT", "3").cursor
        let once = try scan(harness, cursor, "COUNT", "3")
        let again = try scan(harness, cursor, "COUNT", "3")
        #expect(once.keys == ["k3", "k4", "k5"])
        #expect(again.keys == once.keys)
    }

    @Test func scanReturnsEveryKeyThatLivedThroughItWhateverIsWrittenBetweenCalls() throws {
        let harness = try ServerHarness()
        var generator = SplitMix64(seed: 42)
        let stable = (0..<200).map { "s:\($0)" }
        let doomed = (0..<100).map { "t:\($0)" }
        for key in stable + doomed { harness.run("SET", key, "v") }
        var written: Set<String> = []
        var deleted: [String] = doomed.shuffled(using: &generator)
        let result = try scanAll(harness, "COUNT", "7") {
            // New keys everywhere in the order (before, among and after the stable ones), deletions of others,
            // and overwrites of stable ones. A key once written stays in `written`: it may have been returned.
            for _ in 0..<5 {
                let key = ["", "s:", "s:1", "t:", "zz"].randomElement(using: &generator).map {
                    "\($0)\(UInt32.random(in: 0...UInt32.max, using: &generator))"
                } ?? "x"
                harness.run("SET", key, "new")
                written.insert(key)
            }
            if let victim = deleted.popLast() { harness.run("DEL", victim) }
            // Deleting keys behind the scan's position (and writing them ahead of it) must not shift it.
            if let earlier = written.randomElement(using: &generator) { harness.run("DEL", earlier) }
            if let overwritten = stable.randomElement(using: &generator) {
                harness.run("SET", overwritten, "again")
            }
        }
        let returned = Set(result.keys)
        #expect(result.keys.count == returned.count, "no key is returned twice")
        #expect(Set(stable).isSubset(of: returned))
        #expect(returned.isSubset(of: Set(stable).union(doomed).union(written)))
        #expect(!written.isEmpty)
        #expect(deleted.count < doomed.count - 10, "deletions happened while scanning")
    }

    @Test func scanReturnsEveryKeyThatLivedThroughItUnderAConcurrentWriter() throws {
        let harness = try ServerHarness()
        let stable = (0..<300).map { "k:\($0)" }
        for key in stable { harness.run("SET", key, "v") }
        let state = harness.state
        let stop = NIOLockedValueBox(false)
        let writes = NIOLockedValueBox(0)
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let client = HarnessClient(state: state)
            var round = 0
            while !stop.withLockedValue({ $0 }) {
                // Keys between the stable ones, created and deleted again.
                _ = client.run("SET", "k:\(round % 300)-\(round)", "v")
                let earlier = max(0, round - 7)
                _ = client.run("DEL", "k:\(earlier % 300)-\(earlier)")
                round += 1
                writes.withLockedValue { $0 = round }
            }
            finished.signal()
        }
        // Wait for the writer to be under way, so that the scan overlaps it.
        while writes.withLockedValue({ $0 }) < 10 {}
        let result = try scanAll(harness, "COUNT", "3")
        stop.withLockedValue { $0 = true }
        finished.wait()
        #expect(Set(stable).isSubset(of: Set(result.keys)))
        #expect(result.keys.count == Set(result.keys).count)
    }

    @Test func randomkeyReturnsNullForAnEmptyDatabaseAndALiveKeyOtherwise() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("RANDOMKEY") == "$-1\r\n")
        harness.run("SET", "only", "v")
        #expect(harness.resp2("RANDOMKEY") == "$4\r\nonly\r\n")
        // Keys of the neighbouring databases are not in range.
        harness.run("SELECT", "1")
        harness.run("SET", "one", "v")
        harness.run("SELECT", "15")
        harness.run("SET", "fifteen", "v")
        harness.run("SELECT", "0")
        for _ in 0..<20 { #expect(harness.resp2("RANDOMKEY") == "$4\r\nonly\r\n") }
        harness.run("SELECT", "2")
        #expect(harness.resp2("RANDOMKEY") == "$-1\r\n")
        harness.run("SELECT", "15")
        #expect(harness.resp2("RANDOMKEY") == "$7\r\nfifteen\r\n")
    }

    /// Every key of `keys` comes out of `draws` RANDOMKEYs, and nothing else does.
    private func expectEveryKeyDrawn(_ keys: [[UInt8]], draws: Int) throws {
        let harness = try ServerHarness()
        for key in keys { harness.run([Array("SET".utf8), key, [0x31]]) }
        var seen: Set<[UInt8]> = []
        for _ in 0..<draws {
            let drawn = try #require(harness.run("RANDOMKEY").bulkStrings?.first)
            seen.insert(drawn)
        }
        #expect(seen == Set(keys))
    }

    @Test func randomkeyReachesEveryKey() throws {
        try expectEveryKeyDrawn(["a", "b", "c"].map { Array($0.utf8) }, draws: 300)
        // Keys that are prefixes of others, and bytes at both ends of the range.
        try expectEveryKeyDrawn([[0x61], [0xFF], [0xFF, 0x00], [0xFF, 0xFF], [0x00]], draws: 600)
        // The rarest of these comes out once in 99 draws (1/9 for its first digit, then 1/11).
        try expectEveryKeyDrawn((1...50).map { Array("key:\($0)".utf8) }, draws: 3_000)
    }
}
