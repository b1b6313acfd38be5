/// The one interface through which the engine reaches files, so tests can put a faulty or crash-simulating file
/// system under it. ``PosixFileSystem`` is the real one.
protocol FileSystem: Sendable {
    /// Creates the directory and any missing parents; succeeds if it exists.
    func createDirectory(_ path: String) throws(LSMError)
    func fileExists(_ path: String) -> Bool
    func isDirectory(_ path: String) -> Bool
    /// Names (not paths) of the entries in the directory, without "." and "..".
    func listDirectory(_ path: String) throws(LSMError) -> [String]
    func fileSize(_ path: String) throws(LSMError) -> UInt64
    func removeFile(_ path: String) throws(LSMError)
    /// Removes an empty directory.
    func removeDirectory(_ path: String) throws(LSMError)
    /// Atomically replaces `to` with `from` (rename(2)).
    func renameFile(_ from: String, to: String) throws(LSMError)
    /// Makes `to`, which must not exist, a file with `from`'s contents: a hard link where the file system allows
    /// one (the same immutable file under two names), otherwise a copy. Neither is durable before the directory
    /// of `to` is synced (and, for a copy, the file).
    func linkOrCopyFile(_ from: String, to: String) throws(LSMError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(LSMError)
    /// Opens a file for appending, creating it; `truncate` empties an existing file first.
    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile
    func openReadable(_ path: String) throws(LSMError) -> any ReadableFile
    /// Opens an immutable file for reading, memory-mapped where the file system can (see
    /// ``ReadableFile/mappedContents``); tables are opened this way so reads need no system call or copy.
    func openReadableMapped(_ path: String) throws(LSMError) -> any ReadableFile
    /// Takes an advisory lock on `path`, or throws ``LSMError/Code/databaseLocked`` when another holder keeps it
    /// out. Exclusive (`shared` false): the file is created if missing. Shared: taken when the file exists or can be
    /// created; where it cannot (a read-only or full file system), no lock is taken and none is needed, since no
    /// writer can change such a directory either.
    func lockFile(_ path: String, shared: Bool) throws(LSMError) -> any FileLock
}

/// A file written by appending. Not thread-safe: one writer at a time.
protocol WritableFile: AnyObject {
    var path: String { get }
    /// Bytes in the file: what it held when opened plus what was appended.
    var size: UInt64 { get }
    /// Hands the bytes to the operating system (they survive a process crash, not a power loss).
    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError)
    /// Makes everything appended so far durable (fdatasync). May run on one thread while another appends (the log
    /// syncs beside its writes); it then covers at least what was appended before the call.
    func sync() throws(LSMError)
    /// From now on keeps disk space allocated past the data, `step` bytes at a time, so a synced append rarely
    /// changes the file's size or block map. Until ``trimReservedSpace()`` (or ``close()``) the file reads as its
    /// data followed by zeros. A hint: files that cannot reserve ignore it.
    func reserveSpaceAhead(step: UInt64)
    /// Gives back space reserved past the data, so the file's size is ``size`` again (durable after the next
    /// ``sync()``); returns whether there was any.
    func trimReservedSpace() throws(LSMError) -> Bool
    /// Closes the file; reserved space is trimmed, though not durably.
    func close() throws(LSMError)
}

extension WritableFile {
    func reserveSpaceAhead(step: UInt64) {}

    func trimReservedSpace() throws(LSMError) -> Bool { false }

    func append(_ bytes: [UInt8]) throws(LSMError) {
        try bytes.withBytes { (p: UnsafeRawBufferPointer) throws(LSMError) in try append(p) }
    }
}

/// A file read at offsets; safe to read from many threads at once.
protocol ReadableFile: AnyObject, Sendable {
    var path: String { get }
    /// The file's size when it was opened.
    var size: UInt64 { get }
    /// The whole file mapped into memory, valid while this object lives; nil when it is read with system calls.
    var mappedContents: UnsafeRawBufferPointer? { get }
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (fewer only at end of file).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LSMError) -> Int
    /// The offset of the first byte at or after `offset` that is not zero, or nil when every byte from `offset` to
    /// the end of the file is zero. Memory stays bounded however large the file is.
    func firstNonZeroByte(from offset: UInt64) throws(LSMError) -> UInt64?
}

extension ReadableFile {
    var mappedContents: UnsafeRawBufferPointer? { nil }

    func firstNonZeroByte(from offset: UInt64) throws(LSMError) -> UInt64? {
        try scanForNonZeroByte(from: offset, to: size)
    }

    /// ``firstNonZeroByte(from:)`` over `offset ..< end`, reading 64 KiB at a time.
    func scanForNonZeroByte(from offset: UInt64, to end: UInt64) throws(LSMError) -> UInt64? {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var position = offset
        while position < end {
            let wanted = Int(min(UInt64(chunk.count), end - position))
            let count = try chunk.withMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws(LSMError) -> Int in
                try read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
            }
            if let index = chunk[..<count].firstIndex(where: { $0 != 0 }) { return position + UInt64(index) }
            if count < wanted { return nil }
            position += UInt64(count)
        }
        return nil
    }

    /// Exactly `count` bytes at `offset`, or a corruption error naming the file when it ends first.
    func readExactly(at offset: UInt64, count: Int) throws(LSMError) -> [UInt8] {
        if count == 0 { return [] }
        var result = [UInt8](repeating: 0, count: count)
        let n = try result.withMutableBytes { (p: UnsafeMutableRawBufferPointer) throws(LSMError) in
            try read(at: offset, into: p)
        }
        guard n == count else {
            throw LSMError.corruption("file ends after \(n) of \(count) bytes to read", path: path, offset: offset)
        }
        return result
    }
}

/// A held lock; released by ``unlock()`` or when the object goes away.
protocol FileLock: AnyObject, Sendable {
    func unlock()
}

extension FileSystem {
    /// Without mapping support, a plain readable file.
    func openReadableMapped(_ path: String) throws(LSMError) -> any ReadableFile {
        try openReadable(path)
    }

    /// Copies the first `count` bytes of `from` (all of it when nil) into a new file `to`, which must not exist,
    /// and syncs it; a failed copy is removed.
    func copyFile(_ from: String, to: String, count: UInt64? = nil) throws(LSMError) {
        let source = try openReadable(from)
        let total = min(count ?? source.size, source.size)
        try writeSyncedFile(to) { (destination) throws(LSMError) in
            var buffer = [UInt8](repeating: 0, count: Int(min(total, 1 << 20)))
            var offset: UInt64 = 0
            while offset < total {
                let chunk = Int(min(UInt64(buffer.count), total - offset))
                let read = try buffer.withMutableBytes { (bytes: UnsafeMutableRawBufferPointer) throws(LSMError) in
                    try source.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: bytes[..<chunk]))
                }
                guard read == chunk else {
                    throw LSMError(.ioError, "file ended at \(offset + UInt64(read)) bytes while being copied",
                                   path: from)
                }
                try buffer.withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in
                    try destination.append(UnsafeRawBufferPointer(rebasing: bytes[..<chunk]))
                }
                offset += UInt64(chunk)
            }
        }
    }

    /// Creates (or empties) `path`, lets `write` fill it, then syncs and closes it; on failure the file is removed.
    func writeSyncedFile(_ path: String, _ write: (any WritableFile) throws(LSMError) -> Void) throws(LSMError) {
        let file = try openWritable(path, truncate: true)
        do throws(LSMError) {
            try write(file)
            try file.sync()
            try file.close()
        } catch {
            try? file.close()
            try? removeFile(path)
            throw error
        }
    }

    /// The default for file systems without hard links: a copy.
    func linkOrCopyFile(_ from: String, to: String) throws(LSMError) {
        try copyFile(from, to: to)
    }

    /// Writes `contents` to `path` durably and atomically: a temporary file, fsync, rename, directory fsync.
    func writeFileAtomically(_ path: String, contents: [UInt8], directory: String) throws(LSMError) {
        let temporary = path + ".tmp"
        try writeSyncedFile(temporary) { (file) throws(LSMError) in try file.append(contents) }
        try renameFile(temporary, to: path)
        try syncDirectory(directory)
    }

    /// The contents of a small file (such as `CURRENT`): a file larger than `limit` bytes is corruption, so a
    /// damaged or hostile file can never make the caller allocate by its size.
    func readSmallFile(_ path: String, limit: Int) throws(LSMError) -> [UInt8] {
        let file = try openReadable(path)
        guard file.size <= UInt64(limit) else {
            throw LSMError.corruption("file is \(file.size) bytes, more than the \(limit) this file can hold",
                                      path: path, offset: UInt64(limit))
        }
        return try file.readExactly(at: 0, count: Int(file.size))
    }
}
