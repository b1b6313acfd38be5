#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// A dedicated OS thread per stress worker: the workers block in I/O for whole runs, which a shared pool
/// (Dispatch, Swift concurrency) would not give each of them a thread for.
struct StressThread {
    private let thread: pthread_t

    /// The closure a new thread runs, carried across `pthread_create` as an opaque pointer.
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts a thread running `body`, or returns nil when the system refuses one.
    static func start(_ body: @escaping @Sendable () -> Void) -> StressThread? {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let result = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #if canImport(Glibc)
        return StressThread(thread: thread)
        #else
        guard let thread else { return nil }
        return StressThread(thread: thread)
        #endif
    }

    /// Waits for the thread to finish.
    func join() {
        pthread_join(thread, nil)
    }
}

/// Monotonic time in nanoseconds, for latencies and run timing.
enum StressClock {
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Seconds between two readings of ``now()``.
    static func seconds(from start: UInt64, to end: UInt64) -> Double {
        Double(end &- start) / 1e9
    }

    /// Sleeps for about `milliseconds`.
    static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

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
