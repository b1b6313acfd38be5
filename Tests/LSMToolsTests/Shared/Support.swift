import ArgumentParser
import Foundation
import LSM
import Testing
@testable import LSMTools

/// What a tool printed and its exit status.
struct ToolRun {
    var out: String
    var err: String
    var status: Int32

    init(out: String, err: String, status: Int32) {
        self.out = out
        self.err = err
        self.status = status
    }

    /// Runs `body` with capturing sinks.
    init(_ body: (OutputSink, OutputSink) -> Int32) {
        let out = OutputSink.capturing()
        let err = OutputSink.capturing()
        status = body(out, err)
        self.out = out.text
        self.err = err.text
    }
}

/// Expects `run` to have failed with exit status 1, printing nothing but `message` as one line on standard error.
func expectFailure(_ run: ToolRun, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.status == 1, sourceLocation: sourceLocation)
    #expect(run.out == "", sourceLocation: sourceLocation)
    #expect(run.err == message + "\n", sourceLocation: sourceLocation)
}

/// Runs the tool `command` in-process with `arguments` (which the argument parser may refuse).
func runTool<Command: ToolCommand>(_ command: Command.Type, _ arguments: [String]) throws -> ToolRun {
    let parsed = try Command.parse(arguments)
    return ToolRun { out, err in parsed.execute(out: out, err: err) }
}

/// A fresh directory for one test, removed by ``remove()``, and helpers to make, read and damage files in it.
struct Scratch {
    let path: String

    init() throws {
        path = try FileTree.makeTemporaryDirectory(prefix: "lsm-tools-test-")
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileTree.remove(path) }

    /// A database in the folder `name` here, filled by `fill` and closed; returns its path.
    func database(
        _ name: String = "db", options: Options = Options(), _ fill: (Database) throws -> Void
    ) throws -> String {
        let path = file(name)
        let database = try Database.open(path, options: options)
        try fill(database)
        try database.close()
        return path
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A file `name` here holding `count` random bytes; returns its path.
    func randomFile(_ name: String, bytes count: Int) throws -> String {
        var generator = SystemRandomNumberGenerator()
        try Self.write((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }, to: file(name))
        return file(name)
    }

    /// Changes one bit pattern of the byte at `offset`.
    static func flip(_ path: String, at offset: Int) throws {
        var bytes = try read(path)
        bytes[offset] ^= 0x5A
        try write(bytes, to: path)
    }
}

/// The `lsm` executable in the build folder that holds this test bundle.
func lsmBinary() throws -> String {
    let start = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: start).deletingLastPathComponent()
    while url.path != "/" {
        let candidate = url.appendingPathComponent("lsm").path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
            FileManager.default.isExecutableFile(atPath: candidate)
        {
            return candidate
        }
        url.deleteLastPathComponent()
    }
    throw ToolsTestError("the lsm executable was not found next to the test bundle")
}

/// A test's own failure to set something up.
struct ToolsTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writing to a pipe whose reader is gone raises SIGPIPE, which would end the whole test process: make such writes
/// fail with EPIPE instead. Set once, for the test process.
let ignoreBrokenPipes: Void = {
    signal(SIGPIPE, SIG_IGN)
}()

/// Runs `executable` with `arguments` and `input` on its standard input; returns what it printed and its exit
/// status (128 + the signal's number when a signal ended it, as a shell reports it).
func runProcess(_ executable: String, _ arguments: [String], input: String = "") throws -> ToolRun {
    ignoreBrokenPipes
    let child = try ChildProcess.spawn(executable, arguments: arguments, streams: .pipes(input: true))
    // A child that exits before reading its input (a usage error, say) closes the pipe: the write then fails with
    // EPIPE, which is no failure of the test.
    child.write(Array(input.utf8))
    let status = child.finish().shellStatus
    return ToolRun(
        out: String(decoding: child.readOutput(waitingUpTo: 0), as: UTF8.self), err: child.errorText, status: status)
}

extension ChildProcess.Ending {
    /// The exit status, or 128 + the signal's number when a signal ended the process, as a shell reports it.
    var shellStatus: Int32 {
        switch self {
        case .exited(let status): status
        case .killed(let signal): 128 + signal
        }
    }
}

/// Whether the `lsm` executable runs under a file-size limit (`ulimit -f`), which the full-disk tests use. A
/// ThreadSanitizer build does not (its runtime dies of SIGBUS before `main`), so those tests have nothing to test.
func lsmRunsUnderAFileSizeLimit() throws -> Bool {
    try runShell(#"trap "" XFSZ; ulimit -f 32; exec "$0" --version"#).status == 0
}

/// Runs the shell `script` with the `lsm` executable as `$0` and `arguments` as `$1`...; for redirections and
/// arguments that a `Process` cannot express (a closed descriptor, bytes that are not UTF-8).
func runShell(_ script: String, _ arguments: [String] = [], input: String = "") throws -> ToolRun {
    try runProcess("/bin/bash", ["-c", script, try lsmBinary()] + arguments, input: input)
}
