import ArgumentParser
import LSM

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `lsm cli [DIR]`: a shell on a database, with a prompt at a terminal and none when commands come from a script.
struct CLICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cli",
        abstract: "Put, get, scan and inspect a database from a prompt or a script.",
        discussion: """
            At a terminal it shows a prompt, with line editing (arrows, Home, End, Ctrl-A, Ctrl-E, Ctrl-U, Ctrl-K, \
            Ctrl-W) and a history of the lines entered (up and down; kept in ~/.lsm_history); Ctrl-C clears the \
            line and Ctrl-D leaves. Otherwise it reads commands from standard input line by line, prints only the \
            replies, and exits 1 if any command failed (e.g. printf 'put a 1\\nget a\\n' | lsm cli DIR). Type help \
            for the commands.
            """
    )

    @Argument(help: "The database directory (created when missing).")
    var directory = "./lsm-data"

    @Option(parsing: .unconditional, help: "Memtable size in bytes before it is flushed to a table.")
    var memtableSize: Int?

    @Option(help: ArgumentHelp(OptionError.compressionHelp, valueName: "none|lz4"))
    var compression: String?

    @Flag(help: "Make every write durable (fdatasync) before replying OK.")
    var sync = false

    @Flag(help: "Open without writing anything (writes are refused), e.g. a database on a read-only file system.")
    var readOnly = false

    func run() throws {
        try OutputSink.runTool { out, err in
            let interactive = isatty(STDIN_FILENO) != 0
            // Line editing needs the keys as they are typed and the screen to draw on: both ends a terminal.
            let editor = isatty(STDOUT_FILENO) != 0 ? Self.terminalInput(out: out) : nil
            return execute(input: editor ?? CLILineReader(), interactive: interactive, out: out, err: err)
        }
    }

    /// The line editor on standard input, with the history in `~/.lsm_history`; nil when standard input is not a
    /// terminal.
    private static func terminalInput(out: OutputSink) -> TerminalLineReader? {
        let home = getenv("HOME").flatMap { String(validatingCString: $0) }
        let history = LineHistory(path: LineHistory.defaultPath(home: home))
        return TerminalLineReader(out: out, prompt: CLISession.prompt, history: history)
    }

    /// Checks the options and runs a session on `input`; returns the exit status (2 for a bad option).
    func execute(input: any CLIInput, interactive: Bool, out: OutputSink, err: OutputSink) -> Int32 {
        var options = Options()
        let refusal = OptionError.refusal(tool: "cli", err: err) { () throws(OptionError) in
            if let memtableSize {
                try OptionError.check("--memtable-size", memtableSize, in: OptionError.memtableSizes, unit: "bytes")
            }
            if let compression { options.compression = try OptionError.compression(compression) }
        }
        if let refusal { return refusal }
        if let memtableSize { options.memtableSize = memtableSize }
        if sync { options.syncPolicy = .always }
        options.readOnly = readOnly
        return Self.runSession(
            directory: directory, options: options, input: input, interactive: interactive, out: out, err: err)
    }

    /// Opens the database, runs a session on `input` and closes the database; returns the exit status.
    ///
    /// An interactive session shows a prompt and exits 0; a scripted one exits 1 when any command failed. Failing
    /// to open or close the database, or to read the input to its end, is reported on `err` and exits 1.
    static func runSession(
        directory: String, options: Options, input: any CLIInput, interactive: Bool, out: OutputSink,
        err: OutputSink
    ) -> Int32 {
        let database: Database
        do {
            database = try Database.open(directory, options: options)
        } catch {
            err.line("lsm: cannot open \(directory): \(error)")
            return 1
        }
        if interactive { out.line("swift-lsm database \(directory); type help for the commands, quit to leave.") }
        let prompt = interactive && !input.showsPrompt ? CLISession.prompt : nil
        let session = CLISession(database: database, input: input, out: out, prompt: prompt)
        let inputFailure = session.run()
        if let inputFailure { err.line("lsm: \(inputFailure)") }
        do {
            try database.close()
        } catch {
            err.line("lsm: closing \(directory) failed: \(error.conciseDescription)")
            return 1
        }
        if inputFailure != nil { return 1 }
        return !interactive && session.failures > 0 ? 1 : 0
    }
}
