import LSM

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import ArgumentParser

/// Checks of paths given on the command line, made before a long run so that a bad one is refused at once with
/// the reason.
enum FileChecks {
    /// The directory a tool with a `--dir` option works in: `given`, unless `refusal` says why it cannot be used
    /// (printed on `err` after `lsm TOOL: `; exit status 2); without one, a new temporary directory named after the
    /// tool (exit status 1, the reason printed, when none can be made).
    static func workingDirectory(
        _ given: String?, tool: String, err: OutputSink, refusal: (String) -> String?
    ) -> Result<String, ExitCode> {
        if let given {
            guard let message = refusal(given) else { return .success(given) }
            err.line("lsm \(tool): \(message)")
            return .failure(ExitCode(2))
        }
        do {
            return .success(try FileTree.makeTemporaryDirectory(prefix: "lsm-\(tool)-"))
        } catch {
            err.line("lsm \(tool): \(error)")
            return .failure(ExitCode(1))
        }
    }

    /// Why files cannot be created in `path` ("is a file, not a directory", "No such file or directory"), or nil
    /// when it is a directory this process may create files in.
    static func notADirectory(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return errnoText(errno) }
        let kind: String? =
            switch status.st_mode & S_IFMT {
            case S_IFDIR: nil
            case S_IFREG: "a file"
            case S_IFIFO: "a FIFO"
            case S_IFCHR, S_IFBLK: "a device"
            case S_IFSOCK: "a socket"
            default: "an unknown kind of file"
            }
        if let kind { return "is \(kind), not a directory" }
        guard access(path, W_OK | X_OK) == 0 else {
            return "cannot create files in it: \(errnoText(errno))"
        }
        return nil
    }

    /// Why a file cannot be written at `path` ("is a directory, not a file"), or nil when, as far as can be told
    /// before writing, it can: it is a writable existing file, or a new one in a directory that takes files.
    static func notWritable(_ path: String) -> String? {
        var status = stat()
        if stat(path, &status) == 0 {
            if status.st_mode & S_IFMT == S_IFDIR { return "is a directory, not a file" }
            guard access(path, W_OK) == 0 else { return "cannot write it: \(errnoText(errno))" }
            return nil
        }
        // Not there, or a parent is not a directory: the parent says why.
        guard errno == ENOENT || errno == ENOTDIR else { return errnoText(errno) }
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let shown = folder.isEmpty ? "/" : folder
        return notADirectory(shown).map { "\(shown): \($0)" }
    }

    /// Why a directory cannot be made at `path`, missing parents included, as the engine makes it: its nearest
    /// existing ancestor is not a directory this process can create files in. Nil when it can be made.
    static func cannotCreateDirectory(_ path: String) -> String? {
        var ancestor = path
        while true {
            guard let slash = ancestor.lastIndex(of: "/") else {
                ancestor = "."
                break
            }
            ancestor = slash == ancestor.startIndex ? "/" : String(ancestor[..<slash])
            var status = stat()
            if ancestor == "/" || stat(ancestor, &status) == 0 || (errno != ENOENT && errno != ENOTDIR) { break }
        }
        return notADirectory(ancestor).map { "\(ancestor): \($0)" }
    }
}
