#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process with its standard output and error read through pipes, for the crash cycles (and the tests
/// that run `lsm` itself).
///
/// The pipes are made close-on-exec, so the only writer of each is the child: once it exits or is killed, reads
/// reach end-of-file and the parent never hangs on them.
final class StressChildProcess {
    /// How a child ended.
    enum Ending: Equatable, CustomStringConvertible {
        case exited(Int32)
        case killed(signal: Int32)

        var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .killed(let signal): "killed by signal \(signal)"
            }
        }
    }

    let pid: pid_t
    private var outputFD: Int32
    private var errorFD: Int32
    private var pendingOutput: [UInt8] = []
    private var errorBytes: [UInt8] = []
    private var ending: Ending?

    private init(pid: pid_t, outputFD: Int32, errorFD: Int32) {
        self.pid = pid
        self.outputFD = outputFD
        self.errorFD = errorFD
    }

    /// Starts `executable` with `arguments` (not counting the program name), standard input from /dev/null.
    static func spawn(_ executable: String, arguments: [String]) -> Result<StressChildProcess, StressFailure> {
        var output: [Int32] = [-1, -1]
        var error: [Int32] = [-1, -1]
        guard makePipe(&output) else {
            return .failure(StressFailure("cannot make a pipe: \(SystemError.description(errno))"))
        }
        guard makePipe(&error) else {
            let code = errno
            close(output[0])
            close(output[1])
            return .failure(StressFailure("cannot make a pipe: \(SystemError.description(code))"))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, error[1], 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(output[1])
        close(error[1])
        guard result == 0 else {
            close(output[0])
            close(error[0])
            return .failure(StressFailure("cannot start \(executable): \(SystemError.description(result))"))
        }
        return .success(StressChildProcess(pid: pid, outputFD: output[0], errorFD: error[0]))
    }

    /// A pipe whose ends are closed on exec (`pipe2` is not visible from Swift): the child gets only the
    /// duplicates the spawn makes of them.
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return true
    }

    /// Whether the child's standard output has reached end-of-file.
    var outputClosed: Bool { outputFD < 0 }

    /// What the child wrote to standard error so far.
    var errorText: String { String(decoding: errorBytes, as: UTF8.self) }

    /// Waits up to `milliseconds` (0: just looks) for output and returns the complete lines that arrived.
    /// A partial last line is kept until its newline comes, and dropped at end-of-file: it was never finished.
    func readLines(waitingUpTo milliseconds: Int) -> [String] {
        var fds: [pollfd] = []
        if outputFD >= 0 { fds.append(pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)) }
        if errorFD >= 0 { fds.append(pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)) }
        guard !fds.isEmpty else { return [] }
        let ready = poll(&fds, nfds_t(fds.count), Int32(clamping: max(0, milliseconds)))
        guard ready > 0 else { return [] }
        for entry in fds where entry.revents != 0 {
            if entry.fd == outputFD {
                if !drain(outputFD, into: &pendingOutput) {
                    close(outputFD)
                    outputFD = -1
                }
            } else if entry.fd == errorFD {
                if !drain(errorFD, into: &errorBytes) {
                    close(errorFD)
                    errorFD = -1
                }
            }
        }
        var lines: [String] = []
        while let newline = pendingOutput.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pendingOutput[..<newline], as: UTF8.self))
            pendingOutput.removeSubrange(...newline)
        }
        return lines
    }

    /// Reads what one `read` returns into `bytes`; false at end-of-file or on an error.
    private func drain(_ fd: Int32, into bytes: inout [UInt8]) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            bytes.append(contentsOf: buffer[..<count])
            return true
        }
    }

    /// Sends SIGKILL.
    func kill() { _ = Glibc.kill(pid, SIGKILL) }

    /// Reads the rest of both streams to end-of-file, then reaps the child. Returns the output lines not yet
    /// returned by ``readLines(waitingUpTo:)`` and how the child ended.
    func finish() -> (lines: [String], ending: Ending) {
        var lines: [String] = []
        while outputFD >= 0 || errorFD >= 0 { lines += readLines(waitingUpTo: 1000) }
        if let ending { return (lines, ending) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The wait-status macros do not import into Swift: the low 7 bits are the signal, 0 for a normal exit.
        let signal = status & 0x7F
        let ended: Ending = signal == 0 ? .exited((status >> 8) & 0xFF) : .killed(signal: signal)
        ending = ended
        return (lines, ended)
    }

    deinit {
        if outputFD >= 0 { close(outputFD) }
        if errorFD >= 0 { close(errorFD) }
    }
}
