#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if os(Linux)
/// `lseek` whences for sparse files; Glibc's module map leaves them out (they need `_GNU_SOURCE`).
private let seekData: Int32 = 3
private let seekHole: Int32 = 4
#else
private let seekData: Int32 = SEEK_DATA
private let seekHole: Int32 = SEEK_HOLE
#endif

/// A file read with `pread`, safe to read from many threads at once (``ReadableFile``).
final class PosixReadableFile: ReadableFile {
    let path: String
    let size: UInt64
    private let fd: Int32

    /// The open file descriptor, for mapping.
    var descriptor: Int32 { fd }

    init(fd: Int32, path: String, size: UInt64) {
        self.fd = fd
        self.path = path
        self.size = size
    }

    deinit {
        closeDescriptor(fd)
    }

    /// Skips holes with `SEEK_DATA`, so a sparse file of any size is scanned in the time its data takes.
    func firstNonZeroByte(from offset: UInt64) throws(LSMError) -> UInt64? {
        var position = offset
        while position < size {
            let data = lseek(fd, off_t(position), seekData)
            if data < 0 {
                // ENXIO: only a hole remains. Any other failure (no SEEK_DATA support): read every byte instead.
                if errno == ENXIO { return nil }
                return try scanForNonZeroByte(from: position, to: size)
            }
            let dataStart = UInt64(data)
            let hole = lseek(fd, off_t(dataStart), seekHole)
            let dataEnd = hole < 0 ? size : min(size, UInt64(hole))
            if let found = try scanForNonZeroByte(from: dataStart, to: dataEnd) { return found }
            position = dataEnd
        }
        return nil
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LSMError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("read failed", path, offset: offset + UInt64(done))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}
