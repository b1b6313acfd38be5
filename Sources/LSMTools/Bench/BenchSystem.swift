#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// The operating-system services the benchmark needs beyond the engine: the process's write counter, and
/// directory handling as `peerbench.c` does it with `rm -rf`, `mkdir -p` and `du -sb`.
enum BenchSystem {
    /// Bytes this process (every thread of it) has handed to write-like system calls: `wchar` of `/proc/self/io`,
    /// or 0 where that file does not exist.
    static func bytesWritten() -> Int64 {
        let fd = open("/proc/self/io", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int64(line.dropFirst("wchar:".count).trimmingPrefix(" ")) ?? 0
        }
        return 0
    }

    /// Creates `path` and any missing parent directories.
    static func makeDirectories(_ path: String) throws(LSMError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw LSMError.system("cannot create the directory \(prefix)", path: prefix)
            }
            prefix += "/"
        }
    }

    /// Removes `path` and everything under it; a missing path is not an error.
    static func removeTree(_ path: String) throws(LSMError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw LSMError.system("cannot inspect", path: path)
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            for name in try PosixFileSystem().listDirectory(path) { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 { throw LSMError.system("cannot remove the directory", path: path) }
        } else if unlink(path) != 0 {
            throw LSMError.system("cannot remove the file", path: path)
        }
    }

    /// The apparent size of `path` and everything under it, directories included, as `du -sb` reports it.
    static func treeBytes(_ path: String) throws(LSMError) -> Int64 {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw LSMError.system("cannot inspect", path: path) }
        var total = Int64(status.st_size)
        if status.st_mode & S_IFMT == S_IFDIR {
            for name in try PosixFileSystem().listDirectory(path) { total += try treeBytes(path + "/" + name) }
        }
        return total
    }

    /// A fresh, empty directory under the system's temporary directory.
    static func makeTemporaryDirectory() throws(LSMError) -> String {
        var template = Array("/tmp/lsm-bench.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw LSMError.system("cannot create a temporary directory", path: "/tmp") }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

}

extension LSMError {
    /// An I/O error for a failed system call, saying what was attempted and the system's reason (from `errno`).
    fileprivate static func system(_ attempt: String, path: String) -> LSMError {
        let code = Glibc.errno
        return LSMError(.ioError, "\(attempt): \(SystemError.description(code))", path: path, errno: code)
    }
}
