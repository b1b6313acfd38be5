#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A held `flock`; a descriptor of -1 stands for no lock (a shared lock where no lock file could exist).
final class PosixFileLock: FileLock {
    private let fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { if fd >= 0 { closeDescriptor(fd) } }

    func unlock() {
        if fd >= 0 { _ = flock(fd, LOCK_UN) }
    }
}
