import LSM
import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a tool writes its text: standard output or error, another file descriptor, or a buffer a test reads back.
///
/// Tools take sinks instead of calling `print`, so tests run them in-process and assert on exactly what they
/// printed. Writes to a file descriptor are unbuffered (`write(2)`), so nothing is lost when a tool exits.
///
/// The first failed write (a full disk, a closed pipe) is remembered in ``writeError`` and every later write is
/// dropped; tools check ``hasFailed`` to stop early, and ``exitStatus(_:err:)`` turns the failure into the exit
/// status.
public final class OutputSink: @unchecked Sendable {
    // Safety: a sink is used by one thread at a time (the tool's thread).
    private enum Target {
        case fileDescriptor(Int32)
        case buffer
    }

    private let target: Target
    /// What the sink writes to, as error messages name it ("standard output").
    let name: String
    private var buffer = ""
    /// The errno of the first write that failed, or nil while every write succeeded.
    public private(set) var writeError: Int32?

    private init(_ target: Target, name: String) {
        self.target = target
        self.name = name
    }

    /// A sink writing to `fileDescriptor`, which it does not close; `name` is how messages call it.
    convenience init(fileDescriptor: Int32, name: String) {
        self.init(.fileDescriptor(fileDescriptor), name: name)
    }

    public static func standardOutput() -> OutputSink {
        OutputSink(fileDescriptor: STDOUT_FILENO, name: "standard output")
    }

    public static func standardError() -> OutputSink {
        OutputSink(fileDescriptor: STDERR_FILENO, name: "standard error")
    }

    /// A sink that keeps what is written, for ``text``.
    public static func capturing() -> OutputSink { OutputSink(.buffer, name: "a buffer") }

    /// Everything written so far to a capturing sink.
    public var text: String { buffer }

    /// Whether a write has failed, so that nothing more reaches the sink.
    public var hasFailed: Bool { writeError != nil }

    /// Writes `text` as it is, unless an earlier write failed.
    public func write(_ text: String) {
        guard writeError == nil else { return }
        switch target {
        case .buffer: buffer += text
        case .fileDescriptor: write(bytes: Array(text.utf8))
        }
    }

    /// Writes `bytes` as they are, unless an earlier write failed; a capturing sink keeps them as UTF-8 text.
    func write(bytes: [UInt8]) {
        guard writeError == nil else { return }
        switch target {
        case .buffer:
            buffer += String(decoding: bytes, as: UTF8.self)
        case .fileDescriptor(let fd):
            var bytes = bytes
            writeError = bytes.withUnsafeMutableBytes { raw -> Int32? in
                guard let base = raw.baseAddress else { return nil }
                var done = 0
                while done < raw.count {
                    #if canImport(Glibc)
                    let n = Glibc.write(fd, base + done, raw.count - done)
                    #else
                    let n = Darwin.write(fd, base + done, raw.count - done)
                    #endif
                    if n < 0 && errno == EINTR { continue }
                    // write(2) returns 0 only for an empty request; treat it as an I/O error rather than spin.
                    if n <= 0 { return n < 0 ? errno : EIO }
                    done += n
                }
                return nil
            }
        }
    }

    /// Writes `text` and a newline.
    public func line(_ text: String = "") { write(text + "\n") }

    /// Whether the sink is a terminal (live progress is shown only there).
    public var isTerminal: Bool {
        switch target {
        case .fileDescriptor(let fd): isatty(fd) != 0
        case .buffer: false
        }
    }

    /// The exit status of a tool that returned `status` after writing to this sink: `status` while every write
    /// succeeded, else 1, with one line on `err` saying why. A pipe whose reader went away (`lsm dump F | head`)
    /// ends the tool quietly, as it does other Unix tools: SIGPIPE normally kills the process first, and where
    /// SIGPIPE is ignored the write fails with EPIPE and nothing is printed.
    public func exitStatus(_ status: Int32, err: OutputSink) -> Int32 {
        guard let writeError else { return status }
        if writeError != EPIPE { err.line("lsm: cannot write to \(name): \(errnoText(writeError))") }
        return 1
    }

    /// Runs `tool` on standard output and error and throws its exit status unless it is 0 (a failed write to
    /// standard output included, see ``exitStatus(_:err:)``).
    static func runTool(_ tool: (_ out: OutputSink, _ err: OutputSink) -> Int32) throws {
        let out = standardOutput()
        let err = standardError()
        let status = out.exitStatus(tool(out, err), err: err)
        if status != 0 { throw ExitCode(status) }
    }
}

/// A subcommand that prints to two sinks and returns its exit status, so that tests run it in-process on
/// capturing sinks; `run()` runs it on standard output and error.
protocol ToolCommand: ParsableCommand {
    /// Runs the tool, printing its results on `out` and its messages on `err`; returns the exit status.
    func execute(out: OutputSink, err: OutputSink) -> Int32
}

extension ToolCommand {
    func run() throws {
        try OutputSink.runTool(execute)
    }
}
