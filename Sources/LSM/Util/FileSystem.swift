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
    /// Atomically replaces `to` with `from` (rename(2)).
    func renameFile(_ from: String, to: String) throws(LSMError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(LSMError)
    /// Opens a file for appending, creating it; `truncate` empties an existing file first.
    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile
    func openReadable(_ path: String) throws(LSMError) -> any ReadableFile
    /// Opens an immutable file for reading, memory-mapped where the file system can (see
    /// ``ReadableFile/mappedContents``); tables are opened this way so reads need no system call or copy.
    func openReadableMapped(_ path: String) throws(LSMError) -> any ReadableFile
    /// Takes an exclusive advisory lock on `path` (created if missing), or throws ``LSMError/Code/databaseLocked``.
    func lockFile(_ path: String) throws(LSMError) -> any FileLock
}

/// A file written by appending. Not thread-safe: one writer at a time.
protocol WritableFile: AnyObject {
    var path: String { get }
    /// Bytes in the file: what it held when opened plus what was appended.
    var size: UInt64 { get }
    /// Hands the bytes to the operating system (they survive a process crash, not a power loss).
    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError)
    /// Makes everything appended so far durable (fdatasync).
    func sync() throws(LSMError)
    func close() throws(LSMError)
}

extension WritableFile {
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
}

extension ReadableFile {
    var mappedContents: UnsafeRawBufferPointer? { nil }

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

    /// Writes `contents` to `path` durably and atomically: a temporary file, fsync, rename, directory fsync.
    func writeFileAtomically(_ path: String, contents: [UInt8], directory: String) throws(LSMError) {
        let temporary = path + ".tmp"
        let file = try openWritable(temporary, truncate: true)
        do {
            try file.append(contents)
            try file.sync()
            try file.close()
        } catch {
            try? file.close()
            try? removeFile(temporary)
            throw error
        }
        try renameFile(temporary, to: path)
        try syncDirectory(directory)
    }

    /// The whole file's contents.
    func readWholeFile(_ path: String) throws(LSMError) -> [UInt8] {
        let file = try openReadable(path)
        return try file.readExactly(at: 0, count: Int(file.size))
    }
}
