#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLSMSupport

/// A file appended to with `write(2)`, synced with `fdatasync` (``WritableFile``).
///
/// Every ``writebackInterval`` bytes appended, it asks the kernel to start writing them to disk without waiting
/// (`sync_file_range`, as RocksDB's `bytes_per_sync`), so that a later sync (of a full log when it is closed, of a
/// finished table) finds little left to write. The hint promises nothing: only ``sync()`` makes bytes durable.
final class PosixWritableFile: WritableFile {
    static let writebackInterval: UInt64 = 1 << 20

    let path: String
    private(set) var size: UInt64
    private var fd: Int32
    /// Where the bytes not yet handed to the kernel's writeback begin.
    private var writebackStart: UInt64

    init(fd: Int32, path: String, size: UInt64) {
        self.fd = fd
        self.path = path
        self.size = size
        writebackStart = size
    }

    deinit {
        if fd >= 0 { closeDescriptor(fd) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) {
        guard fd >= 0 else { throw LSMError(.ioError, "write to a closed file", path: path) }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("write failed", path, offset: size + UInt64(done))
            }
            done += n
        }
        size += UInt64(bytes.count)
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

    func close() throws(LSMError) {
        guard fd >= 0 else { return }
        let result = closeDescriptor(fd)
        fd = -1
        if result != 0 { throw posixError("close failed", path) }
    }
}
