#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// The few file-system chores of the stress tool: its temporary directory, checking a given one is unused,
/// removing it afterwards and writing the report.
enum StressFiles {
    /// Creates a fresh directory under `$TMPDIR` (or /tmp), or returns nil with the reason.
    static func makeTemporaryDirectory() -> Result<String, StressFailure> {
        var base = "/tmp"
        if let tmp = getenv("TMPDIR"), let text = String(validatingCString: tmp), !text.isEmpty { base = text }
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/lsm-stress-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) != nil }
        guard made else {
            return .failure(
                StressFailure("cannot create a temporary directory in \(base): \(SystemError.description(errno))"))
        }
        return .success(String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The names in a directory (without `.` and `..`), or nil when it cannot be listed.
    static func entries(_ path: String) -> [String]? {
        try? PosixFileSystem().listDirectory(path)
    }

    /// Whether something exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Removes a database directory: its files, then the directory itself (a database directory is flat).
    static func removeDirectory(_ path: String) {
        for name in entries(path) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    /// Writes `text` to a new or truncated file at `path`.
    static func write(_ text: String, to path: String) -> StressFailure? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            return StressFailure("\(path): cannot write the report: \(SystemError.description(errno))")
        }
        defer { close(fd) }
        let file = OutputSink(fileDescriptor: fd, name: path)
        file.write(text)
        if let failed = file.writeError {
            return StressFailure("\(path): cannot write the report: \(SystemError.description(failed))")
        }
        return nil
    }
}

/// Why a stress run failed: the one line printed after `lsm stress: `.
struct StressFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    /// The engine's error behind the failure, or nil for a mismatch or a usage error.
    var cause: LSMError?
    init(_ message: String, cause: LSMError? = nil) {
        self.message = message
        self.cause = cause
    }
    var description: String { message }
}

/// How a stress run ended: its exit status, and whether its database is worth keeping.
enum StressEnding: Equatable {
    /// Every check passed.
    case passed
    /// The run could not be carried out (the engine failed, the report or the output could not be written): the
    /// database shows nothing a person needs to see.
    case failed
    /// The database did not hold what it must (a mismatch, a lost write, a failed check): kept to be examined.
    case mismatch

    var status: Int32 { self == .passed ? 0 : 1 }
}
