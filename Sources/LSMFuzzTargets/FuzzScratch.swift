#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import LSMTools

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
        guard let made = try? FileTree.makeTemporaryDirectory(prefix: "lsm-fuzz.", fallback: memory) else { return nil }
        path = made
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
        save(Array(bytes), to: path)
    }

    /// Replaces the file at `path` with `bytes`; returns the path, or nil when it cannot be written.
    @discardableResult
    public static func save(_ bytes: [UInt8], to path: String) -> String? {
        (try? FileTree.write(bytes, to: path)) != nil ? path : nil
    }

    /// The whole contents of the file at `path`, or nil when it cannot be read.
    public static func load(_ path: String) -> [UInt8]? {
        FileTree.contents(of: path, limit: .max)
    }

    /// Removes every file in the directory.
    public func clear() {
        guard let names = try? PosixFileSystem().listDirectory(path) else { return }
        for name in names { unlink(path + "/" + name) }
    }
}
