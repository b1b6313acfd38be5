import LSM
import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `lsm` command: tools for looking inside and exercising swift-lsm databases.
public struct LSMCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lsm",
        abstract: "Tools for swift-lsm databases.",
        version: "swift-lsm 0.1.0 (storage format 4; reads 1 to 3)",
        subcommands: [CLICommand.self, DumpCommand.self, WALDumpCommand.self, InfoCommand.self, CheckCommand.self,
                      RepairCommand.self, CheckpointCommand.self, StressCommand.self,
                      BenchCommand.self, ServeCommand.self]
    )

    public init() {}

    /// Runs this process's command line as `main()` does, after two guards it lacks: a closed standard input,
    /// output or error is held by a descriptor that fails every read and write, and an argument that is not valid
    /// UTF-8 is refused (exit status 2).
    public static func mainGuarded() {
        ProcessGuards.holdClosedStandardDescriptors()
        ProcessGuards.checkStandardOutputAtExit()
        let arguments = (1..<Int(CommandLine.argc)).map { index in
            CommandLine.unsafeArgv[index].map { Array(UnsafeBufferPointer(start: $0, count: strlen($0))) } ?? []
        }
        if let message = ProcessGuards.invalidArgumentMessage(arguments.map { $0.map { UInt8(bitPattern: $0) } }) {
            OutputSink.standardError().line(message)
            exit(withError: ExitCode(2))
        }
        main()
    }
}

/// What the `lsm` process checks before parsing its command line.
enum ProcessGuards {
    /// Opens /dev/null on each of descriptors 0, 1 and 2 that is closed (`lsm cli DIR >&-`), the wrong way round
    /// (write-only for input, read-only for output) so that reads and writes still fail with EBADF as on a closed
    /// descriptor. Otherwise the first file the database opens would get the number and the tool's output would be
    /// written into it.
    static func holdClosedStandardDescriptors() {
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) < 0 && errno == EBADF {
            // open(2) takes the lowest free number, which is `fd`: the lower ones are open by now.
            _ = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY)
        }
    }

    /// Makes the process exit 1 when what the argument parser printed through stdio (help, version) cannot be
    /// flushed: stdio flushes at exit and ignores the failure. The tools write with write(2) and are checked by
    /// ``OutputSink``; a closed pipe stays quiet as there.
    static func checkStandardOutputAtExit() {
        atexit {
            // nil flushes every stream; standard output is the only one the tools write through stdio.
            guard fflush(nil) != 0 else { return }
            let code = errno
            if code != EPIPE {
                let reason = errnoText(code)
                OutputSink.standardError().line("lsm: cannot write to standard output: \(reason)")
            }
            _exit(1)
        }
    }

    /// The message refusing the first of `arguments` (the raw bytes of argv[1...]) that is not valid UTF-8, or nil
    /// when all are. Swift's `CommandLine.arguments` repairs such an argument with U+FFFD, which would make the tool
    /// work on another path than the one given; the argument is shown with the CLI's escapes.
    static func invalidArgumentMessage(_ arguments: [[UInt8]]) -> String? {
        for (index, bytes) in arguments.enumerated() where String(validating: bytes, as: UTF8.self) == nil {
            return "lsm: argument \(index + 1) is not valid UTF-8: \(Quoting.excerpt(bytes)) "
                + "(arguments must be UTF-8, so that no byte of a path or value is replaced)"
        }
        return nil
    }
}
