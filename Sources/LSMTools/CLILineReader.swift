#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lines `lsm cli` reads: raw bytes from a file descriptor (or from memory, for tests), split on `\n`.
///
/// Lines stay bytes rather than going through `readLine`, which would replace invalid UTF-8 silently; the session
/// decides what to do with such a line. A last line without a newline is still a line.
final class CLILineReader {
    private let fileDescriptor: Int32?
    private var buffer: [UInt8]
    /// Where the unread part of `buffer` starts.
    private var start = 0
    private var atEnd: Bool

    /// Reads from `fileDescriptor` (standard input by default) until end of file or a read error.
    init(fileDescriptor: Int32 = STDIN_FILENO) {
        self.fileDescriptor = fileDescriptor
        self.buffer = []
        self.atEnd = false
    }

    /// Reads the lines held in `bytes`, as if they came through a pipe.
    init(bytes: [UInt8]) {
        self.fileDescriptor = nil
        self.buffer = bytes
        self.atEnd = true
    }

    /// The next line without its `\n`, or nil at end of input.
    func nextLine() -> [UInt8]? {
        var searched = start
        while true {
            if let newline = buffer[searched...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            searched = buffer.count - start
            compact()
            refill()
        }
    }

    /// Drops the lines already returned so the buffer does not grow with the whole input.
    private func compact() {
        guard start > 0 else { return }
        buffer.removeFirst(start)
        start = 0
    }

    /// Appends what one read(2) returns; end of file or an error (other than EINTR) ends the input.
    private func refill() {
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
        buffer.removeLast(chunk - max(count, 0))
        if count <= 0 { atEnd = true }
    }
}
