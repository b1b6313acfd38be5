import Foundation
import LSM
import Testing
@testable import LSMTools

/// `lsm cli` as a command: its options, opening the database, output and input that fail, and the built binary.
@Suite struct CLICommandTests {
    @Test func openFailuresGoToStandardErrorWithStatusOne() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let database = try Database.open(dir.file("db"))
        let locked = try runCLI("put a 1\n", in: dir.file("db"))
        #expect(locked.out == "")
        #expect(locked.err.hasPrefix("lsm: cannot open \(dir.file("db")): database locked"))
        #expect(locked.err.split(separator: "\n").count == 1)
        #expect(locked.status == 1)
        try database.close()

        let other = dir.path + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: other + "/notes.txt", contents: Data("hi".utf8)))
        let notDatabase = try runCLI("get a\n", in: other)
        #expect(notDatabase.err.hasPrefix("lsm: cannot open \(other): not a database"))
        #expect(notDatabase.status == 1)

        var options = Options()
        options.memtableSize = 0
        let badOption = try runCLI("get a\n", in: dir.file("db"), options: options)
        #expect(badOption.err.hasPrefix("lsm: cannot open \(dir.file("db")): invalid argument: memtableSize"))
        #expect(badOption.status == 1)
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
        let input = CLILineReader(bytes: Array("put a 1\n".utf8))
        let run = ToolRun { out, err in command.execute(input: input, interactive: false, out: out, err: err) }
        #expect(run.status == 2)
        #expect(run.out == "")
        #expect(run.err == "lsm cli: --memtable-size must be 1...1073741824 bytes, got \(size)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("db")))
    }

    @Test func compressionIsAnOptionOfTheDatabase() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let refused = try CLICommand.parse(["--compression", "gzip", dir.file("db")])
        let none = CLILineReader(bytes: Array("put a 1\n".utf8))
        let refusal = ToolRun { out, err in refused.execute(input: none, interactive: false, out: out, err: err) }
        #expect(refusal.status == 2 && refusal.err == "lsm cli: --compression must be none or lz4, got gzip\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("db")))

        let value = String(repeating: "compressible-", count: 40)
        let script = (0..<50).map { "put key\($0) \(value)\($0)\n" }.joined() + "flush\nget key7\n"
        let command = try CLICommand.parse(["--compression", "lz4", dir.file("db")])
        let input = CLILineReader(bytes: Array(script.utf8))
        let run = ToolRun { out, err in command.execute(input: input, interactive: false, out: out, err: err) }
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.hasSuffix("\(value)7\n"))
        // The flushed table is far smaller than the values it holds: its blocks were compressed.
        let tables = try FileManager.default.contentsOfDirectory(atPath: dir.file("db")).filter { $0.hasSuffix(".sst") }
        let size = try tables.reduce(0) { total, name in
            total + ((try FileManager.default.attributesOfItem(atPath: dir.file("db") + "/" + name)[.size] as? Int) ?? 0)
        }
        #expect(tables.count == 1 && size < 50 * value.utf8.count / 4, "\(tables) of \(size) bytes")
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
        #expect(try runCLI("get a\n", in: dir.file("db")).out == "1\n")
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

    /// Line editing needs a terminal to read keys from: on a pipe or a file there is none, and the lines are read
    /// as a script's.
    @Test func lineEditingNeedsATerminal() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = open(try scratch.randomFile("input", bytes: 10), O_RDONLY)
        try #require(file >= 0)
        defer { close(file) }
        var pipeEnds: [Int32] = [-1, -1]
        try #require(pipe(&pipeEnds) == 0)
        defer { pipeEnds.forEach { close($0) } }
        for input in [file, pipeEnds[0]] {
            let editor = TerminalLineReader(
                input: input, out: .capturing(), prompt: CLISession.prompt, history: LineHistory(path: nil))
            #expect(editor == nil)
        }
        #expect(!CLILineReader(bytes: []).showsPrompt)
    }
}
