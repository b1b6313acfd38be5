#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import LSM

/// A file system for tests that can lose power: it wraps ``PosixFileSystem`` on real directories and remembers what
/// a real disk would have made durable, so ``crash()`` can throw away everything else.
///
/// The model, kept deliberately small:
/// - Each file (followed across renames, like an inode) has a durable length. A file is created with durable length
///   0; `WritableFile.sync()` makes everything appended so far durable. Opening an existing file with `truncate`
///   resets its durable length to 0 at once. Files this file system did not create or touch are fully durable.
/// - Creating, renaming and removing files are directory changes, durable only once `syncDirectory` is called on
///   the directory holding the (new) name. A rename counts as belonging to its target's directory. Directories
///   themselves are always durable.
/// - ``crash()`` undoes the non-durable directory changes newest first (a created file is removed, a renamed file
///   moves back and the file it replaced reappears, a removed file reappears), then truncates every file to its
///   durable length. A file that is removed or replaced by a rename is kept under a hidden name in a stash
///   directory under /tmp (hard link, no copy) until the change is durable, which is how it can come back; the
///   databases under test must therefore live on the same file system as /tmp.
/// - Every handle opened before a crash is dead afterwards, and locks taken before it are released, as the process
///   that held them is gone. Later opens work normally, as after a reboot.
///
/// Faults: ``injectFault(_:)`` makes the n-th later operation of a kind fail with the error a real failure would
/// throw. Every call that reads or changes files goes through one lock, so the file system is safe (if serialized)
/// from many threads, and a crash never lands in the middle of one.
final class CrashSimulatingFileSystem: FileSystem {
    /// The kinds of operation that are counted and can be made to fail. `.open` covers opening for reading and for
    /// writing; `.write` is `WritableFile.append`, `.sync` is `WritableFile.sync`, `.read` is `ReadableFile.read`.
    enum Operation: Hashable, Sendable, CaseIterable {
        case write, sync, read, open, rename, syncDirectory, remove
    }

    /// A failure to inject.
    struct Fault: Sendable {
        var kind: Operation
        /// How many operations of `kind` still succeed: the `afterCount + 1`-th one from now fails.
        var afterCount: Int = 0
        /// `ENOSPC` throws ``LSMError/Code/noSpace``; anything else ``LSMError/Code/ioError``.
        var errno: Int32 = EIO
        /// Whether every later operation of `kind` fails too.
        var repeats: Bool = false
        /// For `.write`: append the first half of the bytes before failing, as a disk filling up mid-write would.
        var shortWrite: Bool = false

        func error(path: String) -> LSMError {
            LSMError(errno == ENOSPC ? .noSpace : .ioError, "injected \(kind) failure: \(errnoText(errno))",
                     path: path, errno: errno)
        }
    }

    /// Everything the lock guards.
    fileprivate struct State {
        /// Bumped by each crash; handles remember the one they were opened in.
        var epoch = 0
        var nextFileID = 0
        /// The files this file system tracks, by current name.
        var files: [String: Int] = [:]
        var durableLength: [Int: UInt64] = [:]
        /// Directory changes not yet made durable, oldest first.
        var pending: [DirectoryChange] = []
        var counts: [Operation: Int] = [:]
        var faults: [ArmedFault] = []
        var locks: [WeakLock] = []
        var nextStash = 0

        /// Counts an operation and throws if an injected fault fires for it.
        mutating func check(_ kind: Operation, path: String) throws(LSMError) {
            if let fault = fire(kind) { throw fault.error(path: path) }
        }

        /// Counts an operation; returns the injected fault that fires for it, if any.
        mutating func fire(_ kind: Operation) -> Fault? {
            let n = counts[kind, default: 0] + 1
            counts[kind] = n
            guard let position = faults.firstIndex(where: { armed in
                armed.fault.kind == kind && (n == armed.firesAt || (armed.fault.repeats && n > armed.firesAt))
            }) else { return nil }
            let fault = faults[position].fault
            if !fault.repeats { faults.remove(at: position) }
            return fault
        }

        /// The id of the file at `path`, starting to track it (as fully durable, `size` bytes) if it is new to us.
        mutating func track(_ path: String, size: UInt64) -> Int {
            files[path] ?? newFile(path, durableLength: size)
        }

        mutating func newFile(_ path: String, durableLength length: UInt64) -> Int {
            let id = nextFileID
            nextFileID += 1
            files[path] = id
            durableLength[id] = length
            return id
        }
    }

    /// A file set aside in the stash directory while the change that unlinked its name is not durable.
    fileprivate struct StashedFile {
        var path: String
        var fileID: Int
    }

    /// A create, rename or remove that a crash would undo.
    fileprivate struct DirectoryChange {
        enum Kind {
            case create(path: String)
            case rename(from: String, to: String, fileID: Int, replaced: StashedFile?)
            case remove(path: String, stashed: StashedFile)
        }

        var directory: String
        var kind: Kind
    }

    fileprivate struct ArmedFault {
        var fault: Fault
        /// The value of the operation's count at which it fails.
        var firesAt: Int
    }

    fileprivate struct WeakLock {
        weak var lock: CrashFileLock?
    }

    private let base = PosixFileSystem()
    /// Under /tmp, as the stash links files of the databases under test.
    private let stashDirectory = TemporaryDirectory("crashfs-stash")
    private let state = Locked(State())

    init() {}

    deinit {
        stashDirectory.remove()
    }

    // MARK: Simulation control

    /// Loses power and reboots: see the type's documentation for what survives.
    func crash() throws(LSMError) {
        try state.withLock { (state: inout State) throws(LSMError) in
            state.epoch += 1
            for held in state.locks { held.lock?.unlock() }
            state.locks = []
            for change in state.pending.reversed() { try undo(change, in: &state) }
            state.pending = []
            for (path, id) in state.files {
                guard let durable = state.durableLength[id], base.fileExists(path) else { continue }
                if try base.fileSize(path) > durable, truncate(path, off_t(durable)) != 0 {
                    throw posixError("cannot truncate to the durable length", path)
                }
            }
        }
    }

    /// Arms a fault, counting from now. Faults stay armed across ``crash()`` until they fire or ``clearFaults()``.
    func injectFault(_ fault: Fault) {
        state.withLock { state in
            let firesAt = state.counts[fault.kind, default: 0] + fault.afterCount + 1
            state.faults.append(ArmedFault(fault: fault, firesAt: firesAt))
        }
    }

    func clearFaults() {
        state.withLock { state in state.faults = [] }
    }

    /// How many operations of this kind were attempted since the file system was made (failed ones included; calls
    /// on handles dead after a crash excluded).
    func operationCount(_ kind: Operation) -> Int {
        state.withLock { state in state.counts[kind, default: 0] }
    }

    // MARK: FileSystem

    func createDirectory(_ path: String) throws(LSMError) {
        try base.createDirectory(path)
    }

    func fileExists(_ path: String) -> Bool {
        base.fileExists(path)
    }

    func removeDirectory(_ path: String) throws(LSMError) {
        try base.removeDirectory(path)
    }

    func isDirectory(_ path: String) -> Bool {
        base.isDirectory(path)
    }

    func listDirectory(_ path: String) throws(LSMError) -> [String] {
        try base.listDirectory(path)
    }

    func fileSize(_ path: String) throws(LSMError) -> UInt64 {
        try base.fileSize(path)
    }

    func removeFile(_ path: String) throws(LSMError) {
        try state.withLock { (state: inout State) throws(LSMError) in
            try state.check(.remove, path: path)
            guard base.fileExists(path) else { return }
            let id = state.track(path, size: try base.fileSize(path))
            let stashed = StashedFile(path: newStashPath(&state), fileID: id)
            try base.renameFile(path, to: stashed.path)
            state.files[path] = nil
            state.pending.append(
                DirectoryChange(directory: directory(of: path), kind: .remove(path: path, stashed: stashed)))
        }
    }

    func renameFile(_ from: String, to: String) throws(LSMError) {
        try state.withLock { (state: inout State) throws(LSMError) in
            try state.check(.rename, path: from)
            if from == to { return try base.renameFile(from, to: to) }
            let movedID = state.track(from, size: try base.fileSize(from))
            var replaced: StashedFile?
            if base.fileExists(to) {
                let replacedID = state.track(to, size: try base.fileSize(to))
                let stashed = StashedFile(path: newStashPath(&state), fileID: replacedID)
                if link(to, stashed.path) != 0 { throw posixError("cannot stash the file a rename replaces", to) }
                replaced = stashed
            }
            do throws(LSMError) {
                try base.renameFile(from, to: to)
            } catch {
                if let replaced { unlink(replaced.path) }
                throw error
            }
            state.files[from] = nil
            state.files[to] = movedID
            state.pending.append(DirectoryChange(
                directory: directory(of: to), kind: .rename(from: from, to: to, fileID: movedID, replaced: replaced)))
        }
    }

    func syncDirectory(_ path: String) throws(LSMError) {
        try state.withLock { (state: inout State) throws(LSMError) in
            try state.check(.syncDirectory, path: path)
            try base.syncDirectory(path)
            let key = normalizedDirectory(path)
            var stillPending: [DirectoryChange] = []
            for change in state.pending {
                guard change.directory == key else {
                    stillPending.append(change)
                    continue
                }
                switch change.kind {
                case .create: break
                case .rename(_, _, _, let replaced): if let replaced { forget(replaced, in: &state) }
                case .remove(_, let stashed): forget(stashed, in: &state)
                }
            }
            state.pending = stillPending
        }
    }

    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile {
        let (file, id, epoch) = try state.withLock { (state: inout State) throws(LSMError) in
            try state.check(.open, path: path)
            let existed = base.fileExists(path)
            let file = try base.openWritable(path, truncate: truncate)
            let id: Int
            if existed {
                id = state.track(path, size: file.size)
                if truncate { state.durableLength[id] = 0 }
            } else {
                id = state.newFile(path, durableLength: 0)
                state.pending.append(DirectoryChange(directory: directory(of: path), kind: .create(path: path)))
            }
            return (file, id, state.epoch)
        }
        return CrashWritableFile(base: file, fileSystem: self, fileID: id, epoch: epoch)
    }

    func openReadable(_ path: String) throws(LSMError) -> any ReadableFile {
        let (file, epoch) = try state.withLock { (state: inout State) throws(LSMError) in
            try state.check(.open, path: path)
            return (try base.openReadable(path), state.epoch)
        }
        return CrashReadableFile(base: file, fileSystem: self, epoch: epoch)
    }

    func lockFile(_ path: String, shared: Bool) throws(LSMError) -> any FileLock {
        try state.withLock { (state: inout State) throws(LSMError) in
            let lock = CrashFileLock(base: try base.lockFile(path, shared: shared))
            state.locks.removeAll { $0.lock == nil }
            state.locks.append(WeakLock(lock: lock))
            return lock
        }
    }

    // MARK: For the handles

    /// Runs `body` under the lock, or throws if the handle asking was opened before a crash.
    fileprivate func live<R>(
        epoch: Int, path: String, _ body: (inout State) throws(LSMError) -> R
    ) throws(LSMError) -> R {
        try state.withLock { (state: inout State) throws(LSMError) -> R in
            guard epoch == state.epoch else {
                throw LSMError(.ioError, "file handle lost in a simulated crash", path: path, errno: EIO)
            }
            return try body(&state)
        }
    }

    // MARK: Private

    private func undo(_ change: DirectoryChange, in state: inout State) throws(LSMError) {
        switch change.kind {
        case .create(let path):
            try base.removeFile(path)
            if let id = state.files.removeValue(forKey: path) { state.durableLength[id] = nil }
        case .rename(let from, let to, let fileID, let replaced):
            try base.renameFile(to, to: from)
            state.files[to] = nil
            state.files[from] = fileID
            if let replaced { try restore(replaced, at: to, in: &state) }
        case .remove(let path, let stashed):
            try restore(stashed, at: path, in: &state)
        }
    }

    private func restore(_ stashed: StashedFile, at path: String, in state: inout State) throws(LSMError) {
        try base.renameFile(stashed.path, to: path)
        state.files[path] = stashed.fileID
    }

    /// Deletes a stashed file for good, once the change that unlinked it is durable.
    private func forget(_ stashed: StashedFile, in state: inout State) {
        unlink(stashed.path)
        state.durableLength[stashed.fileID] = nil
    }

    private func newStashPath(_ state: inout State) -> String {
        state.nextStash += 1
        return stashDirectory.appending(String(state.nextStash))
    }

    private func directory(of path: String) -> String {
        normalizedDirectory(parentDirectory(of: path))
    }

    /// The directory's path without trailing slashes, so "d/" and "d" name the same directory.
    private func normalizedDirectory(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}

private typealias CrashState = CrashSimulatingFileSystem.State

/// A writable handle that checks it outlived no crash, counts its operations and records what `sync` made durable.
private final class CrashWritableFile: WritableFile {
    private let base: any WritableFile
    private let fileSystem: CrashSimulatingFileSystem
    private let fileID: Int
    private let epoch: Int

    init(base: any WritableFile, fileSystem: CrashSimulatingFileSystem, fileID: Int, epoch: Int) {
        self.base = base
        self.fileSystem = fileSystem
        self.fileID = fileID
        self.epoch = epoch
    }

    var path: String { base.path }
    var size: UInt64 { base.size }

    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) {
        try fileSystem.live(epoch: epoch, path: path) { (state: inout CrashState) throws(LSMError) in
            if let fault = state.fire(.write) {
                if fault.shortWrite { try base.append(UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count / 2)])) }
                throw fault.error(path: path)
            }
            try base.append(bytes)
        }
    }

    func sync() throws(LSMError) {
        try fileSystem.live(epoch: epoch, path: path) { (state: inout CrashState) throws(LSMError) in
            try state.check(.sync, path: path)
            try base.sync()
            state.durableLength[fileID] = base.size
        }
    }

    func close() throws(LSMError) {
        do throws(LSMError) {
            try fileSystem.live(epoch: epoch, path: path) { (_: inout CrashState) throws(LSMError) in }
        } catch {
            try? base.close()
            throw error
        }
        try base.close()
    }
}

/// A readable handle that checks it outlived no crash and counts its reads.
private final class CrashReadableFile: ReadableFile {
    private let base: any ReadableFile
    private let fileSystem: CrashSimulatingFileSystem
    private let epoch: Int

    init(base: any ReadableFile, fileSystem: CrashSimulatingFileSystem, epoch: Int) {
        self.base = base
        self.fileSystem = fileSystem
        self.epoch = epoch
    }

    var path: String { base.path }
    var size: UInt64 { base.size }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LSMError) -> Int {
        try fileSystem.live(epoch: epoch, path: path) { (state: inout CrashState) throws(LSMError) in
            try state.check(.read, path: path)
            return try base.read(at: offset, into: buffer)
        }
    }
}

/// A lock that a crash releases, since the process holding it would be gone.
private final class CrashFileLock: FileLock {
    private let base: any FileLock

    init(base: any FileLock) { self.base = base }

    func unlock() { base.unlock() }
}
