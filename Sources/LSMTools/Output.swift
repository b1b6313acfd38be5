#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a tool writes its text: standard output or error, or a buffer a test reads back.
///
/// Tools take sinks instead of calling `print`, so tests run them in-process and assert on exactly what they
/// printed. Writes to a terminal or pipe are unbuffered (`write(2)`), so nothing is lost when a tool exits.
public final class OutputSink: @unchecked Sendable {
    // Safety: a sink is used by one thread at a time (the tool's thread).
    private enum Target { case standardOutput, standardError, buffer }

    private let target: Target
    private var buffer = ""

    private init(_ target: Target) { self.target = target }

    public static func standardOutput() -> OutputSink { OutputSink(.standardOutput) }
    public static func standardError() -> OutputSink { OutputSink(.standardError) }
    /// A sink that keeps what is written, for ``text``.
    public static func capturing() -> OutputSink { OutputSink(.buffer) }

    /// Everything written so far to a capturing sink.
    public var text: String { buffer }

    /// Writes `text` as it is.
    public func write(_ text: String) {
        switch target {
        case .buffer:
            buffer += text
        case .standardOutput, .standardError:
            let fd = target == .standardOutput ? STDOUT_FILENO : STDERR_FILENO
            var bytes = Array(text.utf8)
            bytes.withUnsafeMutableBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    done += n
                }
            }
        }
    }

    /// Writes `text` and a newline.
    public func line(_ text: String = "") { write(text + "\n") }

    /// Whether the sink is a terminal (live progress is shown only there).
    public var isTerminal: Bool {
        switch target {
        case .standardOutput: isatty(STDOUT_FILENO) != 0
        case .standardError: isatty(STDERR_FILENO) != 0
        case .buffer: false
        }
    }
}
