import LSM

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `lsm cli` gets its lines: a script, a pipe or a terminal used as a file (``CLILineReader``), or a person
/// typing at a terminal (``TerminalLineReader``).
protocol CLIInput: AnyObject {
    /// The next line without its end, or nil at the end of the input. Throws when the input cannot be read.
    func nextLine() throws(CLILineReader.Failure) -> [UInt8]?

    /// Whether the input shows the prompt itself (a line editor redraws it with the line).
    var showsPrompt: Bool { get }
}

/// The lines `lsm cli` reads: raw bytes from a file descriptor (or from memory, for tests), split on `\n`.
///
/// Lines stay bytes rather than going through `readLine`, which would replace invalid UTF-8 silently; the session
/// decides what to do with such a line. A last line without a newline is still a line. A line is bounded (so
/// `lsm cli DIR < /dev/zero` cannot exhaust memory), and a read error is told apart from the end of the input.
final class CLILineReader: CLIInput {
    /// Why the input stopped before its end.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// Line `line` (1-based) has more than `limit` bytes.
        case lineTooLong(line: Int, limit: Int)
        /// read(2) on the input called `name` failed with `errno`.
        case readFailed(name: String, errno: Int32)

        var description: String {
            switch self {
            case .lineTooLong(let line, let limit):
                "input line \(line) is longer than \(limit) bytes"
            case .readFailed(let name, let errno):
                "cannot read \(name): \(errnoText(errno))"
            }
        }
    }

    /// The longest line read by default: the largest batch the engine accepts written as one `batch` line with
    /// every byte escaped (`\xHH`, four characters a byte; the batch's per-operation length prefixes and header pay
    /// for the `put`/`del` words, quotes and spaces), plus room for extra spaces.
    static let defaultMaxLineBytes = 4 * Limits.maxBatchSize + (1 << 20)

    private let fileDescriptor: Int32?
    /// How messages call the input ("standard input").
    private let name: String
    private let maxLineBytes: Int
    private var buffer: [UInt8]
    /// Where the unread part of `buffer` starts.
    private var start = 0
    private var atEnd: Bool
    /// Lines returned so far.
    private var lineCount = 0

    var showsPrompt: Bool { false }

    /// Reads from `fileDescriptor` (standard input by default) until end of file; `name` is how errors call it.
    init(
        fileDescriptor: Int32 = STDIN_FILENO, name: String = "standard input",
        maxLineBytes: Int = CLILineReader.defaultMaxLineBytes
    ) {
        self.fileDescriptor = fileDescriptor
        self.name = name
        self.maxLineBytes = maxLineBytes
        self.buffer = []
        self.atEnd = false
    }

    /// Reads the lines held in `bytes`, as if they came through a pipe.
    init(bytes: [UInt8], maxLineBytes: Int = CLILineReader.defaultMaxLineBytes) {
        self.fileDescriptor = nil
        self.name = "the input"
        self.maxLineBytes = maxLineBytes
        self.buffer = bytes
        self.atEnd = true
    }

    /// The next line without its `\n`, or nil at end of input. Throws when the line is longer than the limit or
    /// the input cannot be read; the input is unusable afterwards.
    func nextLine() throws(Failure) -> [UInt8]? {
        var searched = start
        while true {
            let newline = buffer[searched...].firstIndex(of: 0x0A)
            let end = newline ?? buffer.count
            if end - start > maxLineBytes {
                throw .lineTooLong(line: lineCount + 1, limit: maxLineBytes)
            }
            if let newline {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                lineCount += 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                lineCount += 1
                return line
            }
            searched = buffer.count - start
            compact()
            try refill()
        }
    }

    /// Drops the lines already returned so the buffer does not grow with the whole input.
    private func compact() {
        guard start > 0 else { return }
        buffer.removeFirst(start)
        start = 0
    }

    /// Appends what one read(2) returns; end of file ends the input, an error (other than EINTR) is thrown.
    private func refill() throws(Failure) {
        guard let fileDescriptor else {
            atEnd = true
            return
        }
        let chunk = 64 << 10
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        var count = 0
        while true {
            count = buffer.withUnsafeMutableBytes { raw in
                read(fileDescriptor, raw.baseAddress.map { $0 + old }, chunk)
            }
            if count < 0 && errno == EINTR { continue }
            break
        }
        let failure = count < 0 ? errno : nil
        buffer.removeLast(chunk - max(count, 0))
        if let failure { throw .readFailed(name: name, errno: failure) }
        if count == 0 { atEnd = true }
    }
}
