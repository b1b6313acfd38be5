#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// The file chores the tools (and the fuzz targets) do beside the engine: temporary directories, `mkdir -p`,
/// `rm -rf`, `du -sb`, listing, and reading or writing a whole file.
package enum FileTree {
    /// A fresh, empty directory named `prefix` and six random characters, under `$TMPDIR` (or `fallback` when it is
    /// not set).
    package static func makeTemporaryDirectory(prefix: String, fallback: String = "/tmp") throws(LSMError) -> String {
        var base = fallback
        if let tmp = getenv("TMPDIR"), let text = String(validatingCString: tmp), !text.isEmpty { base = text }
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/" + prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return false }
            return mkdtemp(start) != nil
        }
        guard made else { throw failure("cannot create a temporary directory", path: base) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates `path` and any missing parent directories.
    static func makeDirectories(_ path: String) throws(LSMError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw failure("cannot create the directory \(prefix)", path: prefix)
            }
            prefix += "/"
        }
    }

    /// Removes `path` and everything under it; a missing path is not an error.
    package static func remove(_ path: String) throws(LSMError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw failure("cannot inspect", path: path)
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            for name in try PosixFileSystem().listDirectory(path) { try remove(path + "/" + name) }
            if rmdir(path) != 0 { throw failure("cannot remove the directory", path: path) }
        } else if unlink(path) != 0 {
            throw failure("cannot remove the file", path: path)
        }
    }

    /// The apparent size of `path` and everything under it, directories included, as `du -sb` reports it.
    static func bytes(_ path: String) throws(LSMError) -> Int64 {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw failure("cannot inspect", path: path) }
        var total = Int64(status.st_size)
        if status.st_mode & S_IFMT == S_IFDIR {
            for name in try PosixFileSystem().listDirectory(path) { total += try bytes(path + "/" + name) }
        }
        return total
    }

    /// The names in a directory (without `.` and `..`), or nil when it cannot be listed.
    static func entries(_ path: String) -> [String]? {
        try? PosixFileSystem().listDirectory(path)
    }

    /// Whether something exists at `path`.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Writes `text` to a new or truncated file at `path`; the error carries the errno.
    static func write(_ text: String, to path: String) throws(LSMError) {
        try write(Array(text.utf8), to: path)
    }

    /// Writes `bytes` to a new or truncated file at `path`, made with `permissions` (before the umask) when new;
    /// the error carries the errno.
    package static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(LSMError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw failure("cannot create the file", path: path) }
        defer { close(fd) }
        let file = OutputSink(fileDescriptor: fd, name: path)
        file.write(bytes: bytes)
        if let failed = file.writeError {
            throw LSMError(.ioError, "cannot write: \(errnoText(failed))", path: path, errno: failed)
        }
    }

    /// The contents of the file at `path`, or nil when it cannot be read or holds more than `limit` bytes. Reads
    /// to the end of the file, so also files whose size the system does not know (`/proc`).
    package static func contents(of path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0, contents.count + count <= limit else { return nil }
            if count == 0 { return contents }
            contents += chunk[..<count]
        }
    }

    /// An I/O error for a failed system call, saying what was attempted and the system's reason (from `errno`).
    private static func failure(_ attempt: String, path: String) -> LSMError {
        let code = errno
        return LSMError(.ioError, "\(attempt): \(errnoText(code))", path: path, errno: code)
    }
}
