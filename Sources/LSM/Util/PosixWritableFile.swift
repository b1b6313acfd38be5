#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLSMSupport
import Synchronization

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
///
/// Reserved space is also mapped into memory (`mmap`, shared, as RocksDB's `allow_mmap_writes`), and an append
/// that fits there is a copy into the page cache rather than a `pwrite` call, which costs a small record more than
/// everything else a write does. The bytes are the kernel's as soon as they are copied, exactly as after a
/// `pwrite`: they survive the process's death, and `fdatasync` writes them to disk (Linux marks a page dirtied
/// through a shared mapping as it is first written). They are copied first to last (`lsm_copy_forward`), so a
/// process killed during a copy leaves a prefix of the bytes, as a short `pwrite` would: a record cut short. Only
/// space `fallocate` has given the file is mapped, so the copies never reach past the file's end or need a block
/// the disk may not have.
///
/// While the file is synced every less than ``denseSyncSpacing`` bytes, appends use `pwrite` instead: each sync
/// write-protects the pages written through the mapping again, which costs a flush of every processor's TLB (an
/// interrupt to each), and the next copy into such a page a fault; with a sync every few records that is more
/// than the calls the mapping spares.
final class PosixWritableFile: WritableFile {
    static let writebackInterval: UInt64 = 1 << 20
    /// Syncs less than this many bytes apart are close together (see the type's documentation).
    static let denseSyncSpacing: UInt64 = 64 << 10

    let path: String
    private(set) var size: UInt64
    private var fd: Int32
    /// Where the bytes not yet handed to the kernel's writeback begin.
    private var writebackStart: UInt64
    /// How much space to allocate at a time ahead of the data; 0 when not reserving.
    private var reservationStep: UInt64 = 0
    /// The file's size on disk: ``size`` plus the reserved space past it.
    private var reservedEnd: UInt64
    /// The reserved space mapped for appends, from the page holding ``size`` to ``reservedEnd``; nil when there is
    /// none (not reserving, or `mmap` refused).
    private var mapping: (base: UnsafeMutableRawPointer, start: UInt64, end: UInt64)?
    /// Syncs that succeeded; bumped by ``sync()``, which may run beside an append, so the appending side keeps the
    /// rest of what it knows of syncs to itself and only reads this.
    private let syncCount = Atomic<Int>(0)
    /// ``syncCount`` when an append last looked at it, and ``size`` then: where the last sync it saw happened, as
    /// far as appends can tell.
    private var seenSyncCount = 0
    private var sizeAtSeenSync: UInt64
    /// Whether that sync came less than ``denseSyncSpacing`` after the one seen before it (or the opening).
    private var lastSyncWasClose = false
    /// Whether the last append was copied into the mapping rather than written: the choice the tests check.
    private(set) var lastAppendWasCopied = false

    init(fd: Int32, path: String, size: UInt64) {
        self.fd = fd
        self.path = path
        self.size = size
        writebackStart = size
        reservedEnd = size
        sizeAtSeenSync = size
    }

    /// Whether syncs are close together now: the last came soon after the one before (or the opening), and the
    /// next is not yet overdue. Notes any sync since the last look.
    private func syncsAreClose() -> Bool {
        let syncs = syncCount.load(ordering: .relaxed)
        if syncs != seenSyncCount {
            lastSyncWasClose = size - sizeAtSeenSync < Self.denseSyncSpacing
            seenSyncCount = syncs
            sizeAtSeenSync = size
        }
        return lastSyncWasClose && size - sizeAtSeenSync < Self.denseSyncSpacing
    }

    deinit {
        if fd >= 0 {
            // Not synced: whoever needs the size durable trims and syncs first.
            _ = try? trimReservedSpace()
            unmap()
            closeDescriptor(fd)
        }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) {
        guard fd >= 0 else { throw LSMError(.ioError, "write to a closed file", path: path) }
        let end = size + UInt64(bytes.count)
        if reservationStep > 0 && end > reservedEnd { reserve(through: end) }
        if let mapping, let source = bytes.baseAddress, end <= mapping.end, !syncsAreClose() {
            lsm_copy_forward(mapping.base + Int(size - mapping.start), source, bytes.count)
            lastAppendWasCopied = true
        } else {
            lastAppendWasCopied = false
            try write(bytes)
        }
        size = end
        reservedEnd = max(reservedEnd, size)
        if size - writebackStart >= Self.writebackInterval {
            // A hint: a failure here changes nothing, and the next sync reports any real problem.
            _ = lsm_start_writeback(fd, Int64(writebackStart), Int64(size - writebackStart))
            writebackStart = size
        }
    }

    /// Writes `bytes` at ``size`` with `pwrite`.
    private func write(_ bytes: UnsafeRawBufferPointer) throws(LSMError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(size + UInt64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("write failed", path, offset: size + UInt64(done))
            }
            done += n
        }
    }

    func sync() throws(LSMError) {
        guard fd >= 0 else { throw LSMError(.ioError, "sync of a closed file", path: path) }
        if fdatasync(fd) != 0 { throw posixError("fdatasync failed", path) }
        syncCount.wrappingAdd(1, ordering: .relaxed)
    }

    func reserveSpaceAhead(step: UInt64) {
        reservationStep = step
    }

    func trimReservedSpace() throws(LSMError) -> Bool {
        guard fd >= 0, reservedEnd > size else { return false }
        // First: the mapping would reach past the file's new end.
        unmap()
        guard ftruncate(fd, off_t(size)) == 0 else { throw posixError("cannot trim reserved space", path) }
        reservedEnd = size
        return true
    }

    func close() throws(LSMError) {
        guard fd >= 0 else { return }
        _ = try? trimReservedSpace()
        unmap()
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
            map(through: target)
        } else {
            reservationStep = 0
            unmap()
        }
    }

    /// Maps the file from the page holding ``size`` through `end`, in place of the mapping there was; without a
    /// mapping when `mmap` refuses (appends then use `pwrite`).
    private func map(through end: UInt64) {
        unmap()
        let start = size / Self.pageSize * Self.pageSize
        guard let base = mmap(nil, Int(end - start), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(start)),
              base != MAP_FAILED
        else { return }
        mapping = (base, start, end)
    }

    private func unmap() {
        guard let mapping else { return }
        munmap(mapping.base, Int(mapping.end - mapping.start))
        self.mapping = nil
    }

    /// The unit `mmap` maps from: offsets into the file must be multiples of it.
    private static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
}
