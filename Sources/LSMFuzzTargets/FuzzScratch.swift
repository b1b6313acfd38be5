#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// A private directory the fuzz entry points write each input into, since the public API they drive reads files.
///
/// It lives in `$TMPDIR` when that is set (`scripts/fuzz.sh` points it at a directory it removes afterwards, since
/// libFuzzer ends the process without running deinitializers), else in `/dev/shm` where there is one, so a run
/// costs no disk I/O. A failure to write the scratch file is the machine's fault, not the input's, and stops the run.
public final class FuzzScratch {
    /// The directory's path.
    public let path: String

    /// Makes a new, empty scratch directory; nil when none can be made.
    public init?() {
        let memory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? memory
        var template = Array("\(base)/lsm-fuzz.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return nil }
        path = String(cString: made)
    }

    deinit {
        clear()
        rmdir(path)
    }

    /// Replaces the file `name` in the directory with `bytes`; returns its path.
    public func store(_ bytes: UnsafeRawBufferPointer, as name: String) -> String {
        let file = path + "/" + name
        guard Self.save(bytes, to: file) != nil else { fatalError("cannot write the scratch file \(file)") }
        return file
    }

    /// Replaces the file at `path` with `bytes`; returns the path, or nil when it cannot be written.
    @discardableResult
    public static func save(_ bytes: UnsafeRawBufferPointer, to path: String) -> String? {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let n = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            written += n
        }
        return path
    }

    /// Replaces the file at `path` with `bytes`; returns the path, or nil when it cannot be written.
    @discardableResult
    public static func save(_ bytes: [UInt8], to path: String) -> String? {
        bytes.withUnsafeBytes { save($0, to: path) }
    }

    /// The whole contents of the file at `path`, or nil when it cannot be read.
    public static func load(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Removes every file in the directory.
    public func clear() {
        guard let names = try? PosixFileSystem().listDirectory(path) else { return }
        for name in names { unlink(path + "/" + name) }
    }
}
