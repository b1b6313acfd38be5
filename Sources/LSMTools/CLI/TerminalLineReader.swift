#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lines of an interactive `lsm cli` session: keys read from a terminal in raw mode, edited with a
/// ``LineEditor`` that draws the prompt and the line, and kept in a ``LineHistory``.
///
/// The terminal is in raw mode only while a line is typed; between lines, while a command runs, it has its own
/// settings (so Ctrl-C interrupts the command as anywhere else). Keys typed ahead, or the rest of a pasted block
/// of lines, are kept for the next lines.
final class TerminalLineReader: CLIInput {
    private let terminal: RawTerminal
    private let input: Int32
    /// Where the editor's screen goes, and the descriptor whose terminal says how wide it is.
    private let out: OutputSink
    private let outputDescriptor: Int32
    private var editor: LineEditor
    /// Bytes read but not yet fed to the editor.
    private var unread: [UInt8] = []
    private var unreadStart = 0

    var showsPrompt: Bool { true }

    /// Reads keys from the terminal on `input` and draws on `out` (the terminal on `outputDescriptor`); nil when
    /// `input` is not a terminal.
    init?(
        input: Int32 = STDIN_FILENO, out: OutputSink, outputDescriptor: Int32 = STDOUT_FILENO, prompt: String,
        history: LineHistory
    ) {
        guard let terminal = RawTerminal(fileDescriptor: input) else { return nil }
        self.terminal = terminal
        self.input = input
        self.out = out
        self.outputDescriptor = outputDescriptor
        editor = LineEditor(prompt: prompt, history: history)
    }

    /// The next line entered, or nil when the person leaves (Ctrl-D on an empty line, or the terminal closed).
    func nextLine() throws(CLILineReader.Failure) -> [UInt8]? {
        if let failure = terminal.enter() { throw .readFailed(name: "standard input", errno: failure) }
        defer { terminal.restore() }
        editor.columns = RawTerminal.columns(of: outputDescriptor) ?? 80
        editor.start()
        while true {
            while unreadStart < unread.count {
                let byte = unread[unreadStart]
                unreadStart += 1
                if let outcome = editor.feed(byte) {
                    out.write(editor.takeScreen())
                    switch outcome {
                    case .line(let line):
                        editor.history.save()
                        return line
                    case .endOfInput:
                        return nil
                    }
                }
            }
            out.write(editor.takeScreen())
            if out.hasFailed { return nil }
            guard try waitForKeys() else {
                out.write("\r\n")
                return nil
            }
            editor.columns = RawTerminal.columns(of: outputDescriptor) ?? editor.columns
        }
    }

    /// Reads what the terminal has (at least a byte); false at its end.
    private func waitForKeys() throws(CLILineReader.Failure) -> Bool {
        unread = [UInt8](repeating: 0, count: 4096)
        unreadStart = 0
        while true {
            let count = unread.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw .readFailed(name: "standard input", errno: errno) }
            unread.removeSubrange(count...)
            return count > 0
        }
    }
}
