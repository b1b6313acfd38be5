import Foundation
import LSM
import Testing
@testable import LSMTools

/// Runs `lsm cli` in-process on `directory` with `script` as its standard input.
private func runCLI(
    _ script: String, in directory: String, interactive: Bool = false, options: Options = Options()
) -> ToolRun {
    runCLI(bytes: Array(script.utf8), in: directory, interactive: interactive, options: options)
}

private func runCLI(
    bytes: [UInt8], in directory: String, interactive: Bool = false, options: Options = Options()
) -> ToolRun {
    runCLI(input: CLILineReader(bytes: bytes), in: directory, interactive: interactive, options: options)
}

private func runCLI(
    input: CLILineReader, in directory: String, interactive: Bool = false, options: Options = Options()
) -> ToolRun {
    ToolRun { out, err in
        CLICommand.runSession(
            directory: directory, options: options, input: input, interactive: interactive, out: out, err: err)
    }
}

/// The byte strings of each line of `text`, undoing the output quoting.
private func parsedLines(_ text: String) throws -> [[[UInt8]]] {
    try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { try Quoting.split(String($0)) }
}

@Suite struct CLITests {
    @Test func everyCommandRepliesExactly() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = runCLI(
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

            """, in: dir.file("db"))
        #expect(run.out == "OK\n1\n(nil)\nOK\nOK\n(nil)\nOK\n(nil)\nOK\ny 2\nOK\nOK\n")
        #expect(run.err == "")
        #expect(run.status == 0)
    }

    @Test func commandsAreCaseInsensitiveAndBlankLinesAndCommentsAreSkipped() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = runCLI(
            "PUT a 1\n\n   \t\n# get a\n  # indented comment\nGeT a\nBATCH PUT b 2 DEL a\r\nScAn\n", in: dir.file("db"))
        #expect(run.out == "OK\n1\nOK\nb 2\n")
        #expect(run.status == 0)
    }

    @Test func lastLineWithoutNewlineRuns() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        #expect(runCLI("put a 1\nget a", in: dir.file("db")).out == "OK\n1\n")
        #expect(runCLI("", in: dir.file("db")).out == "")
    }

    @Test func quotedArgumentsAndOutput() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = runCLI(
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

            """#, in: dir.file("db"))
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
        let dir = try Scratch()
        defer { dir.remove() }
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
        let run = runCLI(script + "scan\n", in: dir.file("db"))
        #expect(run.status == 0)
        #expect(run.out.hasPrefix(expected))
        let rows = try parsedLines(String(run.out.dropFirst(expected.count)))
        let model = strings.enumerated().map { [$0.element, $0.element + Array("/\($0.offset)".utf8)] }
        #expect(rows == model.sorted { $0[0].lexicographicallyPrecedes($1[0]) })
    }

    /// scan and rscan over every pair of bounds (absent, empty, below, on and between keys, above), with and
    /// without a limit, against a model.
    @Test func scanBoundsAndLimitsMatchAModel() throws {
        let dir = try Scratch()
        defer { dir.remove() }
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
        let run = runCLI(script, in: dir.file("db"))
        #expect(run.out == expected)
        #expect(run.status == 0)
    }

    @Test func scanSeesEntriesInMemtableAndTablesAfterDeletes() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = runCLI(
            "put a 1\nput b 2\nput c 3\nflush\ndelete b\nput d 4\nput a 9\nscan\nrscan\nscan LIMIT 1\n",
            in: dir.file("db"))
        #expect(run.out == "OK\nOK\nOK\nOK\nOK\nOK\nOK\na 9\nc 3\nd 4\nd 4\nc 3\na 9\na 9\n")
    }

    @Test func batchIsAtomic() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let hugeKey = Quoting.format(Array(repeating: UInt8(ascii: "k"), count: Limits.maxKeySize + 1))
        let run = runCLI(
            """
            put old 0
            batch put p 1 put q
            batch put p 1 frob q
            batch put p 1 delete old put \(hugeKey) v
            get p
            get old
            batch put p 1 delete old put q 2
            scan

            """, in: dir.file("db"))
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
        let dir = try Scratch()
        defer { dir.remove() }
        let cases: [(line: String, reply: String)] = [
            ("\"put\" a 1", "OK"),
            ("frobnicate a", "(error) unknown command frobnicate (type help for the list)"),
            ("\"\" a", "(error) unknown command \"\" (type help for the list)"),
            ("put a", "(error) wrong number of arguments for 'put' (usage: put KEY VALUE)"),
            ("put a b c", "(error) wrong number of arguments for 'put' (usage: put KEY VALUE)"),
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
        let run = runCLI(script, in: dir.file("db"))
        #expect(run.out == expected)
        #expect(run.status == 1)
        #expect(run.err == "")
    }

    @Test func engineErrorsPrintAndTheSessionGoesOn() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let hugeKey = Quoting.format(Array(repeating: UInt8(ascii: "k"), count: Limits.maxKeySize + 1))
        let run = runCLI("get \(hugeKey)\nput \(hugeKey) v\ndelete \(hugeKey)\nput a 1\nget a\n", in: dir.file("db"))
        let lines = run.out.split(separator: "\n")
        #expect(lines.count == 5)
        for line in lines.prefix(3) {
            #expect(line.hasPrefix("(error) key too large: key of 65537 bytes exceeds the limit of 65536"))
        }
        #expect(Array(lines.suffix(2)) == ["OK", "1"])
        #expect(run.status == 1)
    }

    @Test func nonUTF8LinesAreRefusedWithoutAlteringData() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let script = Array("put a 1\nput b ".utf8) + [0xFF] + Array("\n".utf8)
        let run = runCLI(bytes: script + Array("get b\nput b \"\\xff\"\nget b\n".utf8), in: dir.file("db"))
        #expect(
            run.out == "OK\n(error) the line is not valid UTF-8; write such bytes as \\xHH inside double quotes\n"
                + "(nil)\nOK\n\"\\xff\"\n")
        #expect(run.status == 1)
    }

    @Test func statusIsZeroWithoutFailuresAndQuitStopsReading() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let first = runCLI("put a 1\nquit\nput b 2\n", in: dir.file("db"))
        #expect(first.out == "OK\n")
        #expect(first.status == 0)
        let second = runCLI("get b\nEXIT\nget a\n", in: dir.file("db"))
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
        let first = runCLI(script, in: dir.file("db"), options: options)
        #expect(first.out == String(repeating: "OK\n", count: 202))
        #expect(first.status == 0)
        let second = runCLI("get key1000\nget key1001\nget key1199\nget extra\nscan key1197\n", in: dir.file("db"))
        #expect(
            second.out == "(nil)\n(nil)\n\"value 199\"\n1\nkey1197 \"value 197\"\nkey1198 \"value 198\"\n"
                + "key1199 \"value 199\"\n")
        #expect(second.status == 0)
    }

    @Test func statsReportsLevelsAndCounters() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = runCLI("put a 1\nput b 2\nflush\nput c 3\nstats\n", in: dir.file("db"))
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(4)) == ["OK", "OK", "OK", "OK"])
        let stats = Array(lines.dropFirst(4))
        #expect(stats.first?.hasPrefix("level 0: 1 files, ") == true)
        #expect(stats.contains { $0.hasPrefix("total: 1 files, ") })
        #expect(stats.contains { $0.hasPrefix("memtable: ") })
        #expect(stats.contains("last sequence: 3"))
        #expect(stats.contains { $0.hasPrefix("flushes: 1, ") && $0.hasSuffix(" bytes written") })
        #expect(stats.contains { $0.hasPrefix("compactions: 0 (and 0 trivial moves), 0 bytes read, ") })
        #expect(stats.contains { $0.hasPrefix("write stalls: 0, ") })
        #expect(stats.contains { $0.hasPrefix("bytes written: ") && $0.contains("write amplification") })
        #expect(stats.contains("live snapshots: 0"))
        #expect(run.status == 0)
    }

    @Test func helpListsEveryCommand() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = runCLI("help\n", in: dir.file("db"))
        let lines = run.out.split(separator: "\n").map(String.init)
        #expect(lines.count == CLIRequest.usages.count + 1)
        for name in ["put", "get", "delete", "del", "scan", "rscan", "batch", "flush", "compact", "stats", "help",
                     "quit", "exit"] {
            #expect(lines.contains { $0.hasPrefix(name + " ") || $0.contains("(or \(name))") }, "\(name)")
        }
        #expect(lines.first?.hasPrefix("put KEY VALUE  ") == true)
        #expect(lines.first?.hasSuffix("  set KEY to VALUE") == true)
    }

    @Test func interactiveSessionShowsPromptsAndExitsZero() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let run = runCLI("put a 1\nbogus\nget a\n", in: dir.file("db"), interactive: true)
        #expect(
            run.out == "swift-lsm database \(dir.file("db")); type help for the commands, quit to leave.\n"
                + "lsm> OK\nlsm> (error) unknown command bogus (type help for the list)\nlsm> 1\nlsm> \n")
        #expect(run.status == 0)
    }

    @Test func openFailuresGoToStandardErrorWithStatusOne() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let database = try Database.open(dir.file("db"))
        let locked = runCLI("put a 1\n", in: dir.file("db"))
        #expect(locked.out == "")
        #expect(locked.err.hasPrefix("lsm: cannot open \(dir.file("db")): database locked"))
        #expect(locked.err.split(separator: "\n").count == 1)
        #expect(locked.status == 1)
        try database.close()

        let other = dir.path + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: other + "/notes.txt", contents: Data("hi".utf8)))
        let notDatabase = runCLI("get a\n", in: other)
        #expect(notDatabase.err.hasPrefix("lsm: cannot open \(other): not a database"))
        #expect(notDatabase.status == 1)

        var options = Options()
        options.memtableSize = 0
        let badOption = runCLI("get a\n", in: dir.file("db"), options: options)
        #expect(badOption.err.hasPrefix("lsm: cannot open \(dir.file("db")): invalid argument: memtableSize"))
        #expect(badOption.status == 1)
    }

    /// Lines longer than one read, split across reads, read from a real file descriptor.
    @Test func lineReaderSplitsAcrossReads() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let long = [UInt8](repeating: UInt8(ascii: "v"), count: 200_000)
        var bytes = Array("a\n\n".utf8) + long + Array("\r\nlast".utf8)
        let file = dir.path + "/input"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
        let fd = open(file, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let reader = CLILineReader(fileDescriptor: fd)
        var lines: [[UInt8]] = []
        while let line = try reader.nextLine() { lines.append(line) }
        #expect(lines == [Array("a".utf8), [], long + [0x0D], Array("last".utf8)])
        #expect(try reader.nextLine() == nil)

        bytes = Array("x\ny\n".utf8)
        let memory = CLILineReader(bytes: bytes)
        #expect(try memory.nextLine() == Array("x".utf8))
        #expect(try memory.nextLine() == Array("y".utf8))
        #expect(try memory.nextLine() == nil)
    }

    @Test func parsesRequests() throws {
        func parse(_ line: String) throws -> CLIRequest { try CLIRequest.parse(Quoting.split(line)) }
        #expect(try parse("put k v") == .put(key: Array("k".utf8), value: Array("v".utf8)))
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

    /// The built `lsm` binary with piped standard input: no prompt, exact replies, exit status.
    @Test func runsAsAProcessWithPipedInput() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let binary = try lsmBinary()
        let ok = try runProcess(binary, ["cli", dir.file("db")], input: "put a 1\nget a\n")
        #expect(ok.out == "OK\n1\n")
        #expect(ok.err == "")
        #expect(ok.status == 0)
        let failing = try runProcess(binary, ["cli", "--sync", dir.file("db")], input: "get a\nbogus\nget b")
        #expect(failing.out == "1\n(error) unknown command bogus (type help for the list)\n(nil)\n")
        #expect(failing.status == 1)
        let notDatabase = try runProcess(binary, ["cli", dir.path], input: "get a\n")
        #expect(notDatabase.out == "")
        #expect(notDatabase.err.hasPrefix("lsm: cannot open \(dir.path): not a database"))
        #expect(notDatabase.status == 1)
    }

    /// A line longer than the reader's limit ends the session with one message and exit 1, after the lines before
    /// it ran; a stream without newlines is not read forever.
    @Test func overlongLineEndsTheSession() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let long = Array("put a 12345678901234567890\nget a\n".utf8)
        let run = runCLI(
            input: CLILineReader(bytes: Array("put a 1\n".utf8) + long, maxLineBytes: 16), in: dir.file("db"))
        #expect(run.out == "OK\n")
        #expect(run.err == "lsm: input line 2 is longer than 16 bytes\n")
        #expect(run.status == 1)
        #expect(runCLI("get a\n", in: dir.file("db")).out == "1\n")

        // A line of exactly the limit is read; a newline-less stream from a descriptor stops at the limit.
        let exact = CLILineReader(bytes: Array("0123456789abcdef\n".utf8), maxLineBytes: 16)
        #expect(try exact.nextLine() == Array("0123456789abcdef".utf8))
        let file = dir.path + "/zeros"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(count: 1 << 20)))
        let fd = open(file, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let zeros = CLILineReader(fileDescriptor: fd, maxLineBytes: 100_000)
        #expect(throws: CLILineReader.Failure.lineTooLong(line: 1, limit: 100_000)) { try zeros.nextLine() }
        #expect(lseek(fd, 0, SEEK_CUR) < 1 << 20)
    }

    /// The default limit admits the largest batch the engine accepts, written as one line with every byte escaped.
    @Test func defaultLineLimitAdmitsTheLargestBatch() {
        // One put whose key and value fill the batch: a 12-byte header, the kind, and 3- and 5-byte lengths.
        let keyBytes = Limits.maxKeySize
        let valueBytes = Limits.maxBatchSize - 12 - 1 - 3 - keyBytes - 5
        let line = "batch put ".utf8.count + (4 * keyBytes + 2) + 1 + (4 * valueBytes + 2)
        #expect(line <= CLILineReader.defaultMaxLineBytes)
        // And many empty puts: 3 encoded bytes each, `put "" "" ` on the line.
        let puts = (Limits.maxBatchSize - 12) / 3
        #expect("batch".utf8.count + puts * " put \"\" \"\"".utf8.count <= CLILineReader.defaultMaxLineBytes)
    }

    /// A read error is not the end of the input: it is reported and the session exits 1.
    @Test func readErrorIsReported() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let fd = open(dir.path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let run = runCLI(input: CLILineReader(fileDescriptor: fd), in: dir.file("db"))
        #expect(run.out == "")
        #expect(run.err == "lsm: cannot read standard input: Is a directory\n")
        #expect(run.status == 1)
    }

    /// User text echoed in an error is cut to a prefix with a marker, however long the word.
    @Test func echoedWordsAreCut() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let word = String(repeating: "w", count: 100_000)
        let cut = String(repeating: "w", count: 64) + "... (100000 bytes)"
        let run = runCLI("\(word) a\nbatch put a 1 \(word)\nscan limit \(word)\n", in: dir.file("db"))
        #expect(
            run.out == "(error) unknown command \(cut) (type help for the list)\n"
                + "(error) batch: expected put or delete, got \(cut) (operation 2)\n"
                + "(error) limit must be a non-negative integer, got \(cut)\n")
        #expect(Quoting.excerpt([0xFF, 0x41], limit: 1) == "\"\\xff\"... (2 bytes)")
        #expect(Quoting.excerpt(Array("short".utf8)) == "short")
    }

    /// When replies cannot be written the session stops reading: the rest of the input is left unread.
    @Test func failedOutputEndsTheSession() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0)
        defer { close(full) }
        let input = CLILineReader(bytes: Array(String(repeating: "put a 1\nscan\n", count: 1000).utf8))
        let out = OutputSink(fileDescriptor: full, name: "standard output")
        let err = OutputSink.capturing()
        let status = CLICommand.runSession(
            directory: dir.file("db"), options: Options(), input: input, interactive: false, out: out, err: err)
        #expect(out.writeError == ENOSPC)
        #expect(out.exitStatus(status, err: err) == 1)
        #expect(err.text == "lsm: cannot write to standard output: No space left on device\n")
        #expect(try input.nextLine() != nil)
    }

    @Test(arguments: ["-1", "0", "1073741825", "9223372036854775807"])
    func outOfRangeMemtableSizeExitsTwo(size: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let command = try CLICommand.parse(["--memtable-size", size, dir.file("db")])
        let run = ToolRun { out, err in
            command.execute(input: CLILineReader(bytes: Array("put a 1\n".utf8)), interactive: false, out: out, err: err)
        }
        #expect(run.status == 2)
        #expect(run.out == "")
        #expect(run.err == "lsm cli: --memtable-size must be 1...1073741824 bytes, got \(size)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("db")))
    }

    /// A closed standard output or input fails like one: the database's files never take its descriptor, so
    /// no reply is written into them.
    @Test func closedStandardDescriptorsFailWithoutTouchingTheDatabase() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let noOutput = try runShell(#"exec "$0" cli "$1" >&-"#, [dir.file("db")], input: "put a 1\nget a\n")
        #expect(noOutput.err == "lsm: cannot write to standard output: Bad file descriptor\n")
        #expect(noOutput.status == 1)
        let lock = try FileManager.default.attributesOfItem(atPath: dir.file("db") + "/LOCK")
        #expect(lock[.size] as? Int == 0)
        let noInput = try runShell(#"exec "$0" cli "$1" <&-"#, [dir.file("db")])
        #expect(noInput.out == "")
        #expect(noInput.err == "lsm: cannot read standard input: Bad file descriptor\n")
        #expect(noInput.status == 1)
        let directoryInput = try runShell(#"exec "$0" cli "$1" < "$2""#, [dir.file("db"), dir.path])
        #expect(directoryInput.err == "lsm: cannot read standard input: Is a directory\n")
        #expect(directoryInput.status == 1)
        #expect(runCLI("get a\n", in: dir.file("db")).out == "1\n")
    }

    /// A background error names the failure behind it and its file once (the library repeats the location).
    @Test func backgroundErrorNamesItsFileOnce() throws {
        let behind = LSMError(
            .noSpace, "write failed: No space left on device", path: "/db/000005.sst", offset: 466_944, errno: ENOSPC)
        let flush = LSMError(
            .backgroundError, "flush of log 2 failed: \(behind)", path: behind.path, offset: behind.offset,
            errno: behind.errno)
        #expect(
            flush.conciseDescription == "background error: flush of log 2 failed: no space left on device: write "
                + "failed: No space left on device (file /db/000005.sst at offset 466944) [errno 28]")
        let log = LSMError(.backgroundError, "writes stopped after a log failure: \(behind)", path: behind.path)
        #expect(log.conciseDescription.components(separatedBy: "(file ").count == 2)
        #expect(behind.conciseDescription == behind.description)
    }

    /// A full disk, made with a file-size limit: the first failed write and then the refusals of later writes,
    /// each naming the log once.
    @Test func writeFailuresNameTheFileOnce() throws {
        guard try lsmRunsUnderAFileSizeLimit() else { return }
        let dir = try Scratch()
        defer { dir.remove() }
        let value = String(repeating: "v", count: 1000)
        let script = (0..<100).map { "put k\($0) \(value)\n" }.joined()
        let run = try runShell(#"trap "" XFSZ; ulimit -f 32; exec "$0" cli "$1""#, [dir.file("db")], input: script)
        let errors = run.out.split(separator: "\n").filter { $0.hasPrefix("(error) ") }
        #expect(errors.count > 1)
        #expect(errors.dropFirst().allSatisfy { $0.hasPrefix("(error) background error: writes stopped") })
        for error in errors { #expect(error.components(separatedBy: "(file ").count == 2, "\(error)") }
        #expect(run.status == 1)
    }
}
