#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLSMSupport

/// A file appended to with `pwrite(2)` at its end, synced with `fdatasync` (``WritableFile``).
///
/// Every ``writebackInterval`` bytes appended, it asks the kernel to start writing them to disk without waiting
/// (`sync_file_range`, as RocksDB's `bytes_per_sync`), so that a later sync (of a full log when it is closed, of a
/// finished table) finds little left to write. The hint promises nothing: only ``sync()`` makes bytes durable.
///
/// When asked to reserve space ahead (``reserveSpaceAhead(step:)``), it allocates the file `step` bytes at a time
/// past its data (`fallocate`), so an append lands in blocks the file already owns, within its size: the
/// `fdatasync` after it then writes the data alone, not also the inode's new size and block map, which on ext4
/// takes a third off a small synced append. Where the file system cannot, it appends without.
final class PosixWritableFile: WritableFile {
    static let writebackInterval: UInt64 = 1 << 20

    let path: String
    private(set) var size: UInt64
    private var fd: Int32
    /// Where the bytes not yet handed to the kernel's writeback begin.
    private var writebackStart: UInt64
    /// How much space to allocate at a time ahead of the data; 0 when not reserving.
    private var reservationStep: UInt64 = 0
    /// The file's size on disk: ``size`` plus the reserved space past it.
    private var reservedEnd: UInt64

    init(fd: Int32, path: String, size: UInt64) {
        self.fd = fd
        self.path = path
        self.size = size
        writebackStart = size
        reservedEnd = size
    }

    deinit {
        if fd >= 0 {
            // Not synced: whoever needs the size durable trims and syncs first.
            _ = try? trimReservedSpace()
            closeDescriptor(fd)
        }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) {
        guard fd >= 0 else { throw LSMError(.ioError, "write to a closed file", path: path) }
        let end = size + UInt64(bytes.count)
        if reservationStep > 0 && end > reservedEnd { reserve(through: end) }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(size + UInt64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("write failed", path, offset: size + UInt64(done))
            }
            done += n
        }
        size += UInt64(bytes.count)
        reservedEnd = max(reservedEnd, size)
        if size - writebackStart >= Self.writebackInterval {
            // A hint: a failure here changes nothing, and the next sync reports any real problem.
            _ = lsm_start_writeback(fd, Int64(writebackStart), Int64(size - writebackStart))
            writebackStart = size
        }
    }

    func sync() throws(LSMError) {
        guard fd >= 0 else { throw LSMError(.ioError, "sync of a closed file", path: path) }
        if fdatasync(fd) != 0 { throw posixError("fdatasync failed", path) }
    }

    func reserveSpaceAhead(step: UInt64) {
        reservationStep = step
    }

    func trimReservedSpace() throws(LSMError) -> Bool {
        guard fd >= 0, reservedEnd > size else { return false }
        guard ftruncate(fd, off_t(size)) == 0 else { throw posixError("cannot trim reserved space", path) }
        reservedEnd = size
        return true
    }

    func close() throws(LSMError) {
        guard fd >= 0 else { return }
        _ = try? trimReservedSpace()
        let result = closeDescriptor(fd)
        fd = -1
        if result != 0 { throw posixError("close failed", path) }
    }

    /// Allocates space from the end of the data through at least `end`, rounded up to a whole step. A failure
    /// (a file system without `fallocate`, or too little space for a whole step) stops the reserving: the append
    /// goes ahead and reports a real shortage itself.
    private func reserve(through end: UInt64) {
        let target = (end + reservationStep - 1) / reservationStep * reservationStep
        if lsm_reserve_space(fd, Int64(size), Int64(target - size)) == 0 {
            reservedEnd = target
        } else {
            reservationStep = 0
        }
    }
}
