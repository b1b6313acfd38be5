#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import LSM

/// The real file system, except that creating chosen files can be held at a gate: while the gate is closed, a call
/// to `openWritable` for a path whose name ends in `heldSuffix` (tables, by default) waits, without having created
/// anything, until the test lets it go on or fail.
///
/// Tests use it to keep a flush from running, so that a closed log stays live and recorded in the manifest while
/// writes go on in the next one, deterministically; or to stop the creation of a database between its first
/// manifest and `CURRENT` (`heldSuffix` "CURRENT.tmp").
final class GatedFileSystem: ForwardingFileSystem, @unchecked Sendable {
    // Safety: `closed`, `arrivals` and `failHeld` are read and written only with `lock` held.
    let base = PosixFileSystem()
    private let heldSuffix: String
    private let lock = ConditionLock()
    private var closed = false
    private var failHeld = false
    private var arrivals = 0

    init(holding heldSuffix: String = ".sst") {
        self.heldSuffix = heldSuffix
    }

    /// Makes every later creation of a held file wait at the gate.
    func hold() {
        lock.withLock {
            closed = true
            failHeld = false
        }
    }

    /// Opens the gate: held and later creations go on, or, with `failing`, the held ones throw `.ioError`
    /// (having created nothing).
    func release(failing: Bool) {
        lock.withLock {
            closed = false
            failHeld = failing
            lock.broadcast()
        }
    }

    /// Waits until `count` creations have reached the gate in all, at most `seconds`; whether they did.
    func waitForArrivals(_ count: Int, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { lock.withLock { arrivals >= count } }
    }

    private func passGate(_ path: String) throws(LSMError) {
        guard path.hasSuffix(heldSuffix) else { return }
        let fail: Bool = lock.withLock {
            guard closed else { return false }
            arrivals += 1
            lock.broadcast()
            while closed { lock.wait() }
            return failHeld
        }
        if fail { throw LSMError(.ioError, "file creation held at the test's gate and failed", path: path) }
    }

    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile {
        try passGate(path)
        return try base.openWritable(path, truncate: truncate)
    }
}
