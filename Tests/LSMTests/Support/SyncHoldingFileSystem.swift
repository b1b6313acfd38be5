#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import LSM

/// The real file system, except that a sync of a chosen kind of file (name ending in `heldSuffix`, logs by default)
/// can be held: after ``holdNextSync()``, the next such `sync` waits before it syncs until ``release()``, while
/// other syncs go on. It counts the syncs of such files, and notes a held file closed while its sync waits.
///
/// Tests use it to keep a log sync in flight for as long as they need, deterministically, and see what the
/// database lets other threads do meanwhile.
final class SyncHoldingFileSystem: ForwardingFileSystem, @unchecked Sendable {
    // Safety: the variables are read and written only with `lock` held.
    let base = PosixFileSystem()
    private let heldSuffix: String
    private let lock = ConditionLock()
    private var holdsNext = false
    private var held: ObjectIdentifier?
    private var closedWhileHeld = false
    private var arrivals = 0

    init(holding heldSuffix: String = ".wal") {
        self.heldSuffix = heldSuffix
    }

    /// Makes the next sync of a file of the held kind wait until ``release()``.
    func holdNextSync() {
        lock.withLock { holdsNext = true }
    }

    /// Lets the held sync go on (and no longer holds the next one).
    func release() {
        lock.withLock {
            holdsNext = false
            held = nil
            lock.broadcast()
        }
    }

    /// Whether a file was closed while its sync was held: what a database must never do.
    var aFileClosedWhileItsSyncWaited: Bool { lock.withLock { closedWhileHeld } }

    /// How many syncs of held files have reached the gate (open or closed) so far.
    var syncCount: Int { lock.withLock { arrivals } }

    /// Waits until `count` syncs of held files have reached the gate in all, at most `seconds`; whether they did.
    func waitForSyncs(_ count: Int, seconds: Double = 10) -> Bool {
        waitUntil(seconds: seconds) { syncCount >= count }
    }

    fileprivate func passGate(_ file: ObjectIdentifier) {
        lock.withLock {
            arrivals += 1
            guard holdsNext else { return }
            holdsNext = false
            held = file
            lock.broadcast()
            while held == file { lock.wait() }
        }
    }

    fileprivate func closing(_ file: ObjectIdentifier) {
        lock.withLock { if held == file { closedWhileHeld = true } }
    }

    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile {
        let file = try base.openWritable(path, truncate: truncate)
        return path.hasSuffix(heldSuffix) ? SyncHeldFile(base: file, gate: self) : file
    }
}

/// A writable file whose syncs pass the gate of its ``SyncHoldingFileSystem`` first.
private final class SyncHeldFile: WritableFile {
    private let base: any WritableFile
    private let gate: SyncHoldingFileSystem

    init(base: any WritableFile, gate: SyncHoldingFileSystem) {
        self.base = base
        self.gate = gate
    }

    var path: String { base.path }
    var size: UInt64 { base.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) { try base.append(bytes) }
    func sync() throws(LSMError) {
        gate.passGate(ObjectIdentifier(self))
        try base.sync()
    }
    func reserveSpaceAhead(step: UInt64) { base.reserveSpaceAhead(step: step) }
    func trimReservedSpace() throws(LSMError) -> Bool {
        gate.closing(ObjectIdentifier(self))
        return try base.trimReservedSpace()
    }
    func close() throws(LSMError) {
        gate.closing(ObjectIdentifier(self))
        try base.close()
    }
}
