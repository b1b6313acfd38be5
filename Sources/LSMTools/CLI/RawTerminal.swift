#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A terminal switched into raw mode while a line is edited, and back to its own settings on every way out: after
/// the line, on an error, and on a signal that ends the process.
///
/// Raw mode passes each key to the editor as it is typed, unechoed, Ctrl-C and Ctrl-D included. Output processing
/// stays on, so that replies printed between lines end their rows as usual.
final class RawTerminal {
    private let fileDescriptor: Int32
    /// The terminal's settings before raw mode.
    private let original: termios

    /// The terminal on `fileDescriptor`, or nil when it is not one.
    init?(fileDescriptor: Int32) {
        var settings = termios()
        guard isatty(fileDescriptor) != 0, tcgetattr(fileDescriptor, &settings) == 0 else { return nil }
        self.fileDescriptor = fileDescriptor
        original = settings
    }

    /// Switches to raw mode until ``restore()``; returns the errno when the terminal refuses.
    func enter() -> Int32? {
        var raw = original
        // No break, parity check, stripping, CR-to-NL or flow control on input; 8-bit characters; no echo,
        // line editing, signals from keys or extended keys. Keys already typed stay to be read (TCSANOW, not
        // TCSAFLUSH): the rest of a paste is the next lines.
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { characters in
            characters[Int(VMIN)] = 1
            characters[Int(VTIME)] = 0
        }
        SignalRestorer.arm(fileDescriptor: fileDescriptor, settings: original)
        guard tcsetattr(fileDescriptor, TCSANOW, &raw) == 0 else {
            let failure = errno
            SignalRestorer.disarm()
            return failure
        }
        return nil
    }

    /// Puts the terminal's own settings back.
    func restore() {
        var settings = original
        _ = tcsetattr(fileDescriptor, TCSANOW, &settings)
        SignalRestorer.disarm()
    }

    /// The width in columns of the terminal on `fileDescriptor`, or nil when it does not say.
    static func columns(of fileDescriptor: Int32) -> Int? {
        var size = winsize()
        #if canImport(Glibc)
        let request = UInt(TIOCGWINSZ)
        #else
        let request = TIOCGWINSZ
        #endif
        guard ioctl(fileDescriptor, request, &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}

/// While a terminal is in raw mode, catches the signals that would end the process (from `kill`, a closed
/// terminal, or a crash), puts the terminal's settings back and delivers the signal again to what the process had
/// for it before; a signal the process ignores stays ignored.
private enum SignalRestorer {
    static let signals = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP]

    /// The state the handler reads: set before a handler is installed, so the handler finds it complete; only the
    /// thread editing a line changes it, and only while no handler of its own is installed.
    nonisolated(unsafe) private static var terminal: (fileDescriptor: Int32, settings: termios)?
    nonisolated(unsafe) private static var previous = Array<sigaction>(repeating: sigaction(), count: 65)

    static func arm(fileDescriptor: Int32, settings: termios) {
        terminal = (fileDescriptor, settings)
        for signal in signals {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0, !isIgnored(current) else { continue }
            previous[Int(signal)] = current
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = handle
            #else
            action.__sigaction_u.__sa_handler = handle
            #endif
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    static func disarm() {
        for signal in signals {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0, !isIgnored(current) else { continue }
            sigaction(signal, &previous[Int(signal)], nil)
        }
        terminal = nil
    }

    private static func isIgnored(_ action: sigaction) -> Bool {
        #if canImport(Glibc)
        let handler = action.__sigaction_handler.sa_handler
        #else
        let handler = action.__sigaction_u.__sa_handler
        #endif
        return unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// The handler: only async-signal-safe calls (tcsetattr, sigaction, raise).
    private static let handle: @convention(c) (Int32) -> Void = { signal in
        if var saved = SignalRestorer.terminal {
            _ = tcsetattr(saved.fileDescriptor, TCSANOW, &saved.settings)
        }
        var action = SignalRestorer.previous[Int(signal)]
        sigaction(signal, &action, nil)
        raise(signal)
    }
}
