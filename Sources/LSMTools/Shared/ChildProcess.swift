#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// A child process whose standard streams the parent talks to: the crash cycles' writer, and the `lsm` processes
/// the tests run (through pipes, or through a pseudo-terminal for the line editor).
///
/// Every descriptor the parent keeps is close-on-exec, so the only holders of the child's ends are the child
/// itself: once it exits or is killed, reads reach end-of-file and the parent never hangs on them.
final class ChildProcess {
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

    /// Where the child's standard input, output and error go.
    enum Streams {
        /// Output and error into pipes the parent reads; input from /dev/null, or, when `input` is true, from a
        /// pipe that ``write(_:)`` fills and ``closeInput()`` ends.
        case pipes(input: Bool)
        /// All three on `secondary`, a pseudo-terminal's device, whose `primary` side the parent reads and writes
        /// (``write(_:)`` types, the output is what the terminal shows). The caller keeps and closes both
        /// descriptors; the process works on a duplicate of `primary`.
        case terminal(primary: Int32, secondary: Int32)
    }

    let pid: pid_t
    private var inputFD: Int32
    private var outputFD: Int32
    private var errorFD: Int32
    private var pendingOutput: [UInt8] = []
    private var errorBytes: [UInt8] = []
    private var ending: Ending?

    private init(pid: pid_t, inputFD: Int32, outputFD: Int32, errorFD: Int32) {
        self.pid = pid
        self.inputFD = inputFD
        self.outputFD = outputFD
        self.errorFD = errorFD
    }

    /// Starts `executable` with `arguments` (not counting the program name) and this process's environment with
    /// `environment` laid over it.
    static func spawn(
        _ executable: String, arguments: [String], streams: Streams = .pipes(input: false),
        environment: [String: String] = [:]
    ) throws(LSMError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let ends = try Ends(streams, actions: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts as from a shell: no signal blocked (the calling thread may block many) and every signal
        // handled by default (the caller may ignore SIGPIPE).
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigfillset(&signals)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables(overriding: environment).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        ends.child.forEach { close($0) }
        guard result == 0 else {
            ends.parent.forEach { close($0) }
            throw LSMError(.ioError, "cannot start \(executable): \(errnoText(result))")
        }
        return ChildProcess(pid: pid, inputFD: ends.input, outputFD: ends.output, errorFD: ends.error)
    }

    /// The descriptors of a child's streams: the parent's ends (-1 for none), and the child's, which the parent
    /// closes once the child has them.
    private struct Ends {
        var input: Int32 = -1
        var output: Int32 = -1
        var error: Int32 = -1
        var child: [Int32] = []

        var parent: [Int32] { [input, output, error].filter { $0 >= 0 } }

        /// Makes the ends for `streams` and adds to `actions` what puts the child's on its descriptors 0, 1 and 2.
        init(_ streams: Streams, actions: inout posix_spawn_file_actions_t) throws(LSMError) {
            switch streams {
            case .pipes(let hasInput):
                var pipes: [[Int32]] = []
                for _ in 0..<(hasInput ? 3 : 2) {
                    var fds: [Int32] = [-1, -1]
                    guard ChildProcess.makePipe(&fds) else {
                        let failure = LSMError(.ioError, "cannot make a pipe: \(errnoText(errno))")
                        pipes.joined().forEach { close($0) }
                        throw failure
                    }
                    pipes.append(fds)
                }
                (output, error) = (pipes[0][0], pipes[1][0])
                child = [pipes[0][1], pipes[1][1]]
                posix_spawn_file_actions_adddup2(&actions, pipes[0][1], 1)
                posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 2)
                if hasInput {
                    input = pipes[2][1]
                    child.append(pipes[2][0])
                    posix_spawn_file_actions_adddup2(&actions, pipes[2][0], 0)
                } else {
                    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                }
            case .terminal(let primary, let secondary):
                output = fcntl(primary, F_DUPFD_CLOEXEC, 0)
                input = fcntl(primary, F_DUPFD_CLOEXEC, 0)
                guard output >= 0, input >= 0 else {
                    let failure = LSMError(.ioError, "cannot use the terminal: \(errnoText(errno))")
                    parent.forEach { close($0) }
                    throw failure
                }
                for fd: Int32 in 0...2 { posix_spawn_file_actions_adddup2(&actions, secondary, fd) }
            }
            // Writes wait in poll(2), reading the child's output meanwhile, instead of blocking on a full pipe.
            if input >= 0 { _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK) }
        }
    }

    /// This process's environment as `NAME=value` strings, with `overrides` in place of the variables they name.
    private static func variables(overriding overrides: [String: String]) -> [String] {
        var variables: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if overrides[String(text.prefix { $0 != "=" })] == nil { variables.append(text) }
            cursor += 1
        }
        return variables + overrides.map { "\($0.key)=\($0.value)" }
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
        receive(waitingUpTo: milliseconds)
        var lines: [String] = []
        while let newline = pendingOutput.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pendingOutput[..<newline], as: UTF8.self))
            pendingOutput.removeSubrange(...newline)
        }
        return lines
    }

    /// Waits up to `milliseconds` for output and returns all that arrived and was not returned yet, whole lines or
    /// not.
    func readOutput(waitingUpTo milliseconds: Int) -> [UInt8] {
        receive(waitingUpTo: milliseconds)
        defer { pendingOutput = [] }
        return pendingOutput
    }

    /// Writes `bytes` to the child's standard input (``Streams/pipes(input:)`` with input, or the terminal),
    /// reading its output meanwhile. Returns false when the child no longer reads it; SIGPIPE must be ignored.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            guard inputFD >= 0 else { return false }
            var fds = [pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0)]
            fds += [outputFD, errorFD].filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { return false }
            if fds.dropFirst().contains(where: { $0.revents != 0 }) { receive(waitingUpTo: 0) }
            guard fds[0].revents != 0 else { continue }
            #if canImport(Glibc)
            let count = bytes[done...].withUnsafeBytes { Glibc.write(inputFD, $0.baseAddress, $0.count) }
            #else
            let count = bytes[done...].withUnsafeBytes { Darwin.write(inputFD, $0.baseAddress, $0.count) }
            #endif
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }

    /// Closes the child's standard input: it reads end-of-file (of a terminal: nothing more to type).
    func closeInput() {
        if inputFD >= 0 { close(inputFD) }
        inputFD = -1
    }

    /// The settings of the terminal the child was started on, as it left them; nil without one, or after
    /// ``closeInput()``.
    func terminalSettings() -> termios? {
        var settings = termios()
        guard inputFD >= 0, isatty(inputFD) != 0, tcgetattr(inputFD, &settings) == 0 else { return nil }
        return settings
    }

    /// Reads what has arrived on the output and error streams within `milliseconds`, closing those at their end.
    private func receive(waitingUpTo milliseconds: Int) {
        var fds = [outputFD, errorFD].filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard !fds.isEmpty else { return }
        let ready = poll(&fds, nfds_t(fds.count), Int32(clamping: max(0, milliseconds)))
        guard ready > 0 else { return }
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
    }

    /// Reads what one `read` returns into `bytes`; false at end-of-file or on an error (a terminal whose device
    /// every process closed fails with EIO).
    private func drain(_ fd: Int32, into bytes: inout [UInt8]) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            // A terminal's primary side shares the non-blocking flag of the duplicate that writes to it.
            if count < 0 && errno == EAGAIN { return true }
            guard count > 0 else { return false }
            bytes.append(contentsOf: buffer[..<count])
            return true
        }
    }

    /// Sends SIGKILL.
    func kill() {
        #if canImport(Glibc)
        _ = Glibc.kill(pid, SIGKILL)
        #else
        _ = Darwin.kill(pid, SIGKILL)
        #endif
    }

    /// Ends the child's input, reads both streams to end-of-file (what arrived stays for ``readLines(waitingUpTo:)``
    /// and ``readOutput(waitingUpTo:)``), then reaps the child. Returns how it ended.
    func finish() -> Ending {
        closeInput()
        while outputFD >= 0 || errorFD >= 0 { receive(waitingUpTo: 1000) }
        if let ending { return ending }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The wait-status macros do not import into Swift: the low 7 bits are the signal, 0 for a normal exit.
        let signal = status & 0x7F
        let ended: Ending = signal == 0 ? .exited((status >> 8) & 0xFF) : .killed(signal: signal)
        ending = ended
        return ended
    }

    deinit {
        for fd in [inputFD, outputFD, errorFD] where fd >= 0 { close(fd) }
    }
}
