import Foundation
import LSM
import Testing
@testable import LSMTools

/// `lsm cli` sessions: every command's reply, quoting, errors that leave the session going, and what persists.
@Suite struct CLISessionTests {
    @Test func everyCommandRepliesExactly() throws {
        let run = try runCLI(
            """
            put a 1
            get a
            get missing
            put b two
            delete a
            get a
            del b
            get b
            batch put x 1 put y 2 delete x
            scan
            flush
            compact
            quit

            """)
        #expect(run.out == "OK\n1\n(nil)\nOK\nOK\n(nil)\nOK\n(nil)\nOK\ny 2\nOK\nOK\n")
        #expect(run.err == "")
        #expect(run.status == 0)
    }

    @Test func expiringPutsTtlAndPersistAnswerAsRedisDoes() throws {
        let run = try runCLI(
            """
            put k v ex 1000000
            ttl k
            put p v PX 2000000000
            ttl p
            ttl missing
            put plain v
            ttl plain
            persist plain
            persist missing
            persist k
            ttl k
            get k
            put gone v px 1
            """)
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 13)
        // The seconds left, rounded to the nearest: a moment may pass between the put and the ttl.
        #expect(["1000000", "999999"].contains(lines[1]), "\(lines)")
        #expect(["2000000", "1999999"].contains(lines[3]), "\(lines)")
        #expect(Array(lines[4...]) == ["-2", "OK", "-1", "0", "0", "1", "-1", "v", "OK"])
        #expect(lines[0] == "OK" && lines[2] == "OK")
        #expect(run.status == 0)
    }

    @Test func delrangeRemovesTheKeysOfARange() throws {
        let run = try runCLI(
            """
            batch put a 1 put b 2 put c 3 put d 4
            delrange b d
            scan
            rscan
            get b
            delrange x x
            delrange z y
            delrange a
            get d
            """)
        #expect(run.out == "OK\nOK\na 1\nd 4\nd 4\na 1\n(nil)\nOK\n"
                    + "(error) invalid argument: a range deletion's start is above its end\n"
                    + "(error) wrong number of arguments for 'delrange' (usage: delrange START END)\n4\n")
        #expect(run.status == 1)
    }

    @Test func commandsAreCaseInsensitiveAndBlankLinesAndCommentsAreSkipped() throws {
        let run = try runCLI("PUT a 1\n\n   \t\n# get a\n  # indented comment\nGeT a\nBATCH PUT b 2 DEL a\r\nScAn\n")
        #expect(run.out == "OK\n1\nOK\nb 2\n")
        #expect(run.status == 0)
    }

    @Test func lastLineWithoutNewlineRuns() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        #expect(try runCLI("put a 1\nget a", in: dir.file("db")).out == "OK\n1\n")
        #expect(try runCLI("", in: dir.file("db")).out == "")
    }

    @Test func quotedArgumentsAndOutput() throws {
        let run = try runCLI(
            #"""
            put "hello world" 'it\'s'
            get "hello world"
            put "\x00\xff" ""
            get "\x00\xFF"
            put "tab\there" "a\"b\\c\n"
            get "tab\there"
            put (nil) (error)
            get (nil)
            put é ü
            get "\xc3\xa9"
            put "prix\xff" "12 €"
            get "prix\xff"
            scan

            """#)
        #expect(
            run.out == #"""
                OK
                "it's"
                OK
                ""
                OK
                "a\"b\\c\n"
                OK
                "(error)"
                OK
                ü
                OK
                "12 €"
                "\x00\xff" ""
                "(nil)" "(error)"
                "hello world" "it's"
                "prix\xff" "12 €"
                "tab\there" "a\"b\\c\n"
                é ü

                """#)
        #expect(run.status == 0)
    }

    /// Every single byte, and pairs over an alphabet of awkward bytes, survive put, get and scan as keys and
    /// values when written with the output quoting.
    @Test func binaryKeysAndValuesRoundTrip() throws {
        var strings: [[UInt8]] = [[]]
        for byte in 0...255 { strings.append([UInt8(byte)]) }
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x27, 0x28, 0x23, 0x5C, 0x41, 0x7F, 0x80, 0xFF]
        for a in alphabet { for b in alphabet { strings.append([a, b]) } }
        strings.append(Array("# not a comment".utf8))
        strings.append(Array("limit".utf8))
        var script = ""
        var expected = ""
        for (i, key) in strings.enumerated() {
            let value = key + Array("/\(i)".utf8)
            script += "put \(Quoting.format(key)) \(Quoting.format(value))\nget \(Quoting.format(key))\n"
            expected += "OK\n\(CLISession.show(value))\n"
        }
        let run = try runCLI(script + "scan\n")
        #expect(run.status == 0)
        #expect(run.out.hasPrefix(expected))
        let rows = try parsedLines(String(run.out.dropFirst(expected.count)))
        let model = strings.enumerated().map { [$0.element, $0.element + Array("/\($0.offset)".utf8)] }
        #expect(rows == model.sorted { $0[0].lexicographicallyPrecedes($1[0]) })
    }

    /// scan and rscan over every pair of bounds (absent, empty, below, on and between keys, above), with and
    /// without a limit, against a model.
    @Test func scanBoundsAndLimitsMatchAModel() throws {
        let keys = ["b", "d", "f", "h"]
        let bounds: [String?] = [nil, "", "a", "b", "c", "d", "h", "i"]
        let limits: [Int?] = [nil, 0, 1, 2, 10]
        var script = keys.map { "put \($0) v\($0)\n" }.joined()
        var expected = String(repeating: "OK\n", count: keys.count)
        for reverse in [false, true] {
            for start in bounds {
                for end in bounds where start != nil || end == nil {
                    for limit in limits {
                        var command = reverse ? "rscan" : "scan"
                        if let start { command += " " + Quoting.format(Array(start.utf8)) }
                        if let end { command += " " + Quoting.format(Array(end.utf8)) }
                        if let limit { command += " limit \(limit)" }
                        script += command + "\n"
                        var selected = keys.filter { key in
                            (start.map { key >= $0 } ?? true) && (end.map { key < $0 } ?? true)
                        }
                        if reverse { selected.reverse() }
                        if let limit { selected = Array(selected.prefix(limit)) }
                        expected += selected.map { "\($0) v\($0)\n" }.joined()
                    }
                }
            }
        }
        let run = try runCLI(script)
        #expect(run.out == expected)
        #expect(run.status == 0)
    }

    @Test func scanSeesEntriesInMemtableAndTablesAfterDeletes() throws {
        let run = try runCLI(
            "put a 1\nput b 2\nput c 3\nflush\ndelete b\nput d 4\nput a 9\nscan\nrscan\nscan LIMIT 1\n")
        #expect(run.out == "OK\nOK\nOK\nOK\nOK\nOK\nOK\na 9\nc 3\nd 4\nd 4\nc 3\na 9\na 9\n")
    }

    @Test func batchIsAtomic() throws {
        let hugeKey = Quoting.format(Array(repeating: UInt8(ascii: "k"), count: Limits.maxKeySize + 1))
        let run = try runCLI(
            """
            put old 0
            batch put p 1 put q
            batch put p 1 frob q
            batch put p 1 delete old put \(hugeKey) v
            get p
            get old
            batch put p 1 delete old put q 2
            scan

            """)
        let lines = run.out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 10)
        #expect(lines[0] == "OK")
        #expect(lines[1] == "(error) batch: 'put' needs KEY VALUE (operation 2)")
        #expect(lines[2] == "(error) batch: expected put or delete, got frob (operation 2)")
        #expect(lines[3].hasPrefix("(error) key too large"))
        #expect(Array(lines[4...]) == ["(nil)", "0", "OK", "p 1", "q 2", ""])
        #expect(run.status == 1)
    }

    @Test func everyErrorPrintsAndTheSessionGoesOn() throws {
        let cases: [(line: String, reply: String)] = [
            ("\"put\" a 1", "OK"),
            ("frobnicate a", "(error) unknown command frobnicate (type help for the list)"),
            ("\"\" a", "(error) unknown command \"\" (type help for the list)"),
            ("put a", "(error) wrong number of arguments for 'put' (usage: put KEY VALUE [ex SECONDS | px MILLISECONDS])"),
            ("put a b c", "(error) wrong number of arguments for 'put' (usage: put KEY VALUE [ex SECONDS | px MILLISECONDS])"),
            ("put a b ex", "(error) wrong number of arguments for 'put' (usage: put KEY VALUE [ex SECONDS | px MILLISECONDS])"),
            ("put a b in 5", "(error) put: expected ex SECONDS or px MILLISECONDS, got in"),
            ("put a b ex five", "(error) put: the expire time five is not an integer or out of range"),
            ("put a b px 0", "(error) put: invalid expire time 0 (it must be positive and fit 64 bits in milliseconds)"),
            ("put a b ex 9223372036854775807",
             "(error) put: invalid expire time 9223372036854775807 (it must be positive and fit 64 bits in milliseconds)"),
            ("ttl", "(error) wrong number of arguments for 'ttl' (usage: ttl KEY)"),
            ("persist a b", "(error) wrong number of arguments for 'persist' (usage: persist KEY)"),
            ("get", "(error) wrong number of arguments for 'get' (usage: get KEY)"),
            ("del a b", "(error) wrong number of arguments for 'delete' (usage: delete KEY)"),
            ("scan a b c", "(error) wrong number of arguments for 'scan' (usage: scan [START [END]] [limit N])"),
            ("rscan a b c limit 1",
             "(error) wrong number of arguments for 'rscan' (usage: rscan [START [END]] [limit N])"),
            ("scan limit x", "(error) limit must be a non-negative integer, got x"),
            ("scan a limit -1", "(error) limit must be a non-negative integer, got -1"),
            ("scan limit 99999999999999999999",
             "(error) limit must be a non-negative integer, got 99999999999999999999"),
            ("batch", "(error) wrong number of arguments for 'batch' (usage: batch put K V | delete K ...)"),
            ("batch delete", "(error) batch: 'delete' needs KEY (operation 1)"),
            ("flush now", "(error) wrong number of arguments for 'flush' (usage: flush)"),
            ("compact all", "(error) wrong number of arguments for 'compact' (usage: compact)"),
            ("stats x", "(error) wrong number of arguments for 'stats' (usage: stats)"),
            ("help me", "(error) wrong number of arguments for 'help' (usage: help)"),
            ("quit now", "(error) wrong number of arguments for 'quit' (usage: quit)"),
            ("put \"abc", "(error) unterminated quote at column 5"),
            ("put 'abc' 'd", "(error) unterminated quote at column 11"),
            ("put \"a\"b c", "(error) closing quote must be followed by a space at column 8"),
        ]
        var script = ""
        var expected = ""
        for (line, reply) in cases {
            script += line + "\nget a\n"
            expected += reply + "\n1\n"
        }
        let run = try runCLI(script)
        #expect(run.out == expected)
        #expect(run.status == 1)
        #expect(run.err == "")
    }

    @Test func engineErrorsPrintAndTheSessionGoesOn() throws {
        let hugeKey = Quoting.format(Array(repeating: UInt8(ascii: "k"), count: Limits.maxKeySize + 1))
        let run = try runCLI("get \(hugeKey)\nput \(hugeKey) v\ndelete \(hugeKey)\nput a 1\nget a\n")
        let lines = run.out.split(separator: "\n")
        #expect(lines.count == 5)
        for line in lines.prefix(3) {
            #expect(line.hasPrefix("(error) key too large: key of 65537 bytes exceeds the limit of 65536"))
        }
        #expect(Array(lines.suffix(2)) == ["OK", "1"])
        #expect(run.status == 1)
    }

    @Test func nonUTF8LinesAreRefusedWithoutAlteringData() throws {
        let script = Array("put a 1\nput b ".utf8) + [0xFF] + Array("\n".utf8)
        let run = try runCLI(bytes: script + Array("get b\nput b \"\\xff\"\nget b\n".utf8))
        #expect(
            run.out == "OK\n(error) the line is not valid UTF-8; write such bytes as \\xHH inside double quotes\n"
                + "(nil)\nOK\n\"\\xff\"\n")
        #expect(run.status == 1)
    }

    @Test func statusIsZeroWithoutFailuresAndQuitStopsReading() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let first = try runCLI("put a 1\nquit\nput b 2\n", in: dir.file("db"))
        #expect(first.out == "OK\n")
        #expect(first.status == 0)
        let second = try runCLI("get b\nEXIT\nget a\n", in: dir.file("db"))
        #expect(second.out == "(nil)\n")
        #expect(second.status == 0)
    }

    @Test func dataPersistsAcrossSessions() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        var options = Options()
        options.memtableSize = 512
        var script = ""
        for i in 0..<200 { script += "put key\(1000 + i) \"value \(i)\"\n" }
        script += "batch put extra 1 delete key1000\ndelete key1001\n"
        let first = try runCLI(script, in: dir.file("db"), options: options)
        #expect(first.out == String(repeating: "OK\n", count: 202))
        #expect(first.status == 0)
        let second = try runCLI("get key1000\nget key1001\nget key1199\nget extra\nscan key1197\n", in: dir.file("db"))
        #expect(
            second.out == "(nil)\n(nil)\n\"value 199\"\n1\nkey1197 \"value 197\"\nkey1198 \"value 198\"\n"
                + "key1199 \"value 199\"\n")
        #expect(second.status == 0)
    }

    @Test func statsReportsLevelsAndCounters() throws {
        let run = try runCLI("put a 1\nput b 2\nflush\nput c 3\nstats\n")
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(4)) == ["OK", "OK", "OK", "OK"])
        let stats = Array(lines.dropFirst(4))
        // The flushed table overlaps nothing, so it is placed in level 2.
        #expect(stats.first?.hasPrefix("level 0: 0 files, ") == true)
        #expect(stats.contains { $0.hasPrefix("level 2: 1 files, ") })
        #expect(stats.contains { $0.hasPrefix("total: 1 files, ") })
        #expect(stats.contains { $0.hasPrefix("memtable: ") })
        #expect(stats.contains("last sequence: 3"))
        #expect(stats.contains { $0.hasPrefix("flushes: 1, ") && $0.hasSuffix(" bytes written") })
        #expect(stats.contains { $0.hasPrefix("compactions: 0 (and 0 trivial moves), 0 bytes read, ") })
        #expect(stats.contains { $0.hasPrefix("write stalls: 0, ") })
        #expect(stats.contains { $0.hasPrefix("bytes written: ") && $0.contains("write amplification") })
        #expect(stats.contains("live snapshots: 0"))
        #expect(stats.last == "estimated live keys: 3")
        #expect(run.status == 0)
    }

    @Test func helpListsEveryCommand() throws {
        let run = try runCLI("help\n")
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(lines.count == CLIRequest.usages.count + 1)
        for name in ["put", "get", "delete", "del", "delrange", "ttl", "persist", "scan", "rscan", "batch", "flush", "compact",
                     "stats", "help", "quit", "exit"] {
            #expect(lines.contains { $0.hasPrefix(name + " ") || $0.contains("(or \(name))") }, "\(name)")
        }
        #expect(lines.first?.hasPrefix("put KEY VALUE [ex SECONDS | px MILLISECONDS]  ") == true)
        #expect(lines.first?.hasSuffix("  set KEY to VALUE, expiring after the time given") == true)
    }

    @Test func interactiveSessionShowsPromptsAndExitsZero() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = try runCLI("put a 1\nbogus\nget a\n", in: dir.file("db"), interactive: true)
        #expect(
            run.out == "swift-lsm database \(dir.file("db")); type help for the commands, quit to leave.\n"
                + "lsm> OK\nlsm> (error) unknown command bogus (type help for the list)\nlsm> 1\nlsm> \n")
        #expect(run.status == 0)
    }

    @Test func parsesRequests() throws {
        func parse(_ line: String) throws -> CLIRequest { try CLIRequest.parse(Quoting.split(line)) }
        #expect(try parse("put k v") == .put(key: Array("k".utf8), value: Array("v".utf8), expiresAfter: nil))
        #expect(try parse("DEL k") == .delete(key: Array("k".utf8)))
        #expect(
            try parse("scan limit") == .scan(
                CLIScanRange(start: Array("limit".utf8), end: nil, limit: nil, reverse: false)))
        #expect(try parse("rscan a limit limit 3") == .scan(
            CLIScanRange(start: Array("a".utf8), end: Array("limit".utf8), limit: 3, reverse: true)))
        var batch = WriteBatch()
        batch.put("a", "1")
        batch.delete("b")
        #expect(try parse("batch put a 1 delete b") == .batch(batch))
        #expect(try parse("Exit") == .quit)
    }

    /// User text echoed in an error is cut to a prefix with a marker, however long the word.
    @Test func echoedWordsAreCut() throws {
        let word = String(repeating: "w", count: 100_000)
        let cut = String(repeating: "w", count: 64) + "... (100000 bytes)"
        let run = try runCLI("\(word) a\nbatch put a 1 \(word)\nscan limit \(word)\n")
        #expect(
            run.out == "(error) unknown command \(cut) (type help for the list)\n"
                + "(error) batch: expected put or delete, got \(cut) (operation 2)\n"
                + "(error) limit must be a non-negative integer, got \(cut)\n")
        #expect(Quoting.excerpt([0xFF, 0x41], limit: 1) == "\"\\xff\"... (2 bytes)")
        #expect(Quoting.excerpt(Array("short".utf8)) == "short")
    }
}
