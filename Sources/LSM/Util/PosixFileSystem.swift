#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls. `package`, so the tools in this package list directories with it.
package struct PosixFileSystem: FileSystem {
    package init() {}

    func createDirectory(_ path: String) throws(LSMError) {
        if isDirectory(path) { return }
        let parent = parentDirectory(of: path)
        if !parent.isEmpty, parent != path, !isDirectory(parent) { try createDirectory(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw posixError("cannot create directory", path) }
    }

    func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    package func listDirectory(_ path: String) throws(LSMError) -> [String] {
        guard let dir = opendir(path) else { throw posixError("cannot list directory", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    func fileSize(_ path: String) throws(LSMError) -> UInt64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw posixError("cannot stat", path) }
        return UInt64(st.st_size)
    }

    func removeFile(_ path: String) throws(LSMError) {
        if unlink(path) != 0 && errno != ENOENT { throw posixError("cannot remove", path) }
    }

    func renameFile(_ from: String, to: String) throws(LSMError) {
        if rename(from, to) != 0 { throw posixError("cannot rename to \(to)", from) }
    }

    func syncDirectory(_ path: String) throws(LSMError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("cannot open directory", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw posixError("cannot sync directory", path) }
    }

    func removeDirectory(_ path: String) throws(LSMError) {
        if rmdir(path) != 0 { throw posixError("cannot remove directory", path) }
    }

    func linkOrCopyFile(_ from: String, to: String) throws(LSMError) {
        if link(from, to) == 0 { return }
        // Across file systems, or where links are not supported: a copy.
        guard errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP else {
            throw posixError("cannot link \(from) as", to)
        }
        try copyFile(from, to: to)
    }

    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile {
        // Not O_APPEND: the file writes at its own end, so it can reserve space past it. Readable too, as `mmap`
        // requires of the mapping the file appends through.
        let flags = O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        let (fd, size) = try openRegularFile(path, flags: flags, "cannot open for writing")
        return PosixWritableFile(fd: fd, path: path, size: size)
    }

    func openReadable(_ path: String) throws(LSMError) -> any ReadableFile {
        let (fd, size) = try openRegularFile(path, flags: O_RDONLY | O_CLOEXEC, "cannot open for reading")
        return PosixReadableFile(fd: fd, path: path, size: size)
    }

    /// Opens `path` with `flags` and returns the descriptor and the file's size; anything but a regular file
    /// (a directory, FIFO, device or socket) is refused with `.invalidArgument` before it can block a reader or
    /// writer. The open itself does not block (`O_NONBLOCK`, which a regular file then ignores).
    private func openRegularFile(_ path: String, flags: Int32, _ what: String) throws(LSMError) -> (Int32, UInt64) {
        let fd = open(path, flags | O_NONBLOCK, 0o644)
        guard fd >= 0 else { throw posixError(what, path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let error = posixError("cannot stat", path)
            close(fd)
            throw error
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG else {
            close(fd)
            throw LSMError(.invalidArgument, "\(what): \(Self.describe(fileType: type)), not a regular file", path: path)
        }
        return (fd, UInt64(st.st_size))
    }

    /// What a file of type `type` (the `S_IFMT` bits) is, for messages.
    private static func describe(fileType type: mode_t) -> String {
        switch type {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "a special file"
        }
    }

    func openReadableMapped(_ path: String) throws(LSMError) -> any ReadableFile {
        let file = try openReadable(path)
        guard let posix = file as? PosixReadableFile, file.size > 0, let length = Int(exactly: file.size) else {
            return file
        }
        // A file that cannot be mapped is still readable with pread.
        guard let address = mmap(nil, length, PROT_READ, MAP_SHARED, posix.descriptor, 0), address != MAP_FAILED else {
            return file
        }
        return PosixMappedFile(file: posix, address: address, length: length)
    }

    func lockFile(_ path: String, shared: Bool) throws(LSMError) -> any FileLock {
        var fd = open(path, (shared ? O_RDONLY : O_RDWR) | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 && shared {
            // The file may exist in a directory where it cannot be created (a read-only file system).
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                let code = errno
                if code == EROFS || code == EACCES || code == EPERM || code == ENOSPC || code == ENOENT {
                    return PosixFileLock(fd: -1)
                }
                throw LSMError(.ioError, "cannot open lock file: \(errnoText(code))", path: path, errno: code)
            }
        }
        guard fd >= 0 else { throw posixError("cannot open lock file", path) }
        if flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                let holder = shared ? "another process has the database open for writing"
                                    : "the database is in use by another process, or open elsewhere in this one"
                throw LSMError(.databaseLocked, holder, path: path, errno: code)
            }
            throw LSMError(.ioError, "cannot lock: \(errnoText(code))", path: path, errno: code)
        }
        return PosixFileLock(fd: fd)
    }
}


/// close(2), by a name the file types' own `close()` methods do not hide.
@discardableResult
func closeDescriptor(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}

/// The directory part of `path` ("" when it has none).
func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

/// The operating system's words for an errno value, e.g. "No space left on device". `package`, for the tools.
package func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

/// An error for the failed call that just set `errno`.
func posixError(_ what: String, _ path: String, offset: UInt64? = nil) -> LSMError {
    let code = errno
    let kind: LSMError.Code = code == ENOSPC ? .noSpace : .ioError
    return LSMError(kind, "\(what): \(errnoText(code))", path: path, offset: offset, errno: code)
}
