@testable import LSM

/// A test file system that passes every call through to the real one, except the calls its type implements itself
/// (to fail, hold or refuse them).
protocol ForwardingFileSystem: FileSystem {
    var base: PosixFileSystem { get }
}

extension ForwardingFileSystem {
    func createDirectory(_ path: String) throws(LSMError) { try base.createDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func listDirectory(_ path: String) throws(LSMError) -> [String] { try base.listDirectory(path) }
    func fileSize(_ path: String) throws(LSMError) -> UInt64 { try base.fileSize(path) }
    func removeFile(_ path: String) throws(LSMError) { try base.removeFile(path) }
    func removeDirectory(_ path: String) throws(LSMError) { try base.removeDirectory(path) }
    func linkOrCopyFile(_ from: String, to: String) throws(LSMError) { try base.linkOrCopyFile(from, to: to) }
    func renameFile(_ from: String, to: String) throws(LSMError) { try base.renameFile(from, to: to) }
    func syncDirectory(_ path: String) throws(LSMError) { try base.syncDirectory(path) }
    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile {
        try base.openWritable(path, truncate: truncate)
    }
    func openReadable(_ path: String) throws(LSMError) -> any ReadableFile { try base.openReadable(path) }
    func openReadableMapped(_ path: String) throws(LSMError) -> any ReadableFile { try base.openReadableMapped(path) }
    func lockFile(_ path: String, shared: Bool) throws(LSMError) -> any FileLock {
        try base.lockFile(path, shared: shared)
    }
}
