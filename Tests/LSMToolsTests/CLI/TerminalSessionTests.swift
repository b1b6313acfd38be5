#if canImport(Glibc)
import Glibc
import LSM
import Testing
@testable import LSMTools

/// `lsm cli` as a person uses it: the built binary on a pseudo-terminal, typed at key by key.
@Suite struct TerminalSessionTests {
    /// The `lsm cli` process on a new pseudo-terminal of 80 columns, with `HOME` in `scratch`.
    private final class Session {
        let child: ChildProcess
        /// What the terminal showed and has not been waited for yet.
        private(set) var screen = ""
        /// The terminal's settings once the process closed it.
        private(set) var finalSettings: termios?

        init(_ scratch: Scratch, arguments: [String] = []) throws {
            var primary: Int32 = -1
            var secondary: Int32 = -1
            var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
            try #require(openpty(&primary, &secondary, nil, nil, &size) == 0)
            // Other tests start processes meanwhile: none of them may keep this terminal open.
            _ = fcntl(primary, F_SETFD, FD_CLOEXEC)
            _ = fcntl(secondary, F_SETFD, FD_CLOEXEC)
            defer {
                close(primary)
                close(secondary)
            }
            child = try ChildProcess.spawn(
                try lsmBinary(), arguments: ["cli", scratch.file("db")] + arguments,
                streams: .terminal(primary: primary, secondary: secondary), environment: ["HOME": scratch.path])
        }

        /// Reads what the terminal shows until `text` has appeared (after what earlier waits found), for at most a
        /// minute; false when it did not.
        func wait(for text: String) -> Bool {
            let deadline = MonotonicClock.nanoseconds() + 60_000_000_000
            while MonotonicClock.nanoseconds() < deadline {
                if let found = screen.range(of: text) {
                    screen = String(screen[found.upperBound...])
                    return true
                }
                if child.outputClosed { return false }
                screen += String(decoding: child.readOutput(waitingUpTo: 100), as: UTF8.self)
            }
            return false
        }

        /// Waits for the next prompt (keys typed before it would meet the terminal's own line editing), types
        /// `keys`, then waits for `reply`.
        func type(_ keys: String, expecting reply: String) -> Bool {
            guard wait(for: "lsm> ") else { return false }
            child.write(Array(keys.utf8))
            return wait(for: reply)
        }

        /// Reads until the process closes the terminal (or kills it after a minute), notes the terminal's settings
        /// then, and returns how the process ended.
        func end() -> ChildProcess.Ending {
            let deadline = MonotonicClock.nanoseconds() + 60_000_000_000
            while !child.outputClosed && MonotonicClock.nanoseconds() < deadline {
                screen += String(decoding: child.readOutput(waitingUpTo: 100), as: UTF8.self)
            }
            if !child.outputClosed { child.kill() }
            finalSettings = child.terminalSettings()
            return child.finish()
        }
    }

    private static func isRaw(_ settings: termios?) -> Bool? {
        settings.map { $0.c_lflag & tcflag_t(ICANON | ECHO) == 0 }
    }

    @Test func editsRecallsAndLeavesTheTerminalAsItWas() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let session = try Session(scratch)
        #expect(session.wait(for: "type help for the commands, quit to leave.\r\n"))
        #expect(session.type("put a 1\r", expecting: "\r\nOK\r\n"))
        // Left, backspace and a UTF-8 character make `put b €1`; Home, Delete and `P` make it `Put`.
        #expect(session.type("put b x1\u{1B}[D\u{7F}€\u{1B}[H\u{1B}[3~P\r", expecting: "\r\nOK\r\n"))
        #expect(session.type("get b\r", expecting: "\r\n€1\r\n"))
        // Ctrl-C abandons a line; up twice brings back `Put b €1`, corrected after Ctrl-A and extended after Ctrl-E.
        #expect(session.type("scan junk\u{3}", expecting: "^C"))
        #expect(session.type("\u{1B}[A\u{1B}[A\u{1}\u{1B}[3~p\u{5}2\r", expecting: "\r\nOK\r\n"))
        #expect(session.type("get b\r", expecting: "\r\n€12\r\n"))
        #expect(session.wait(for: "lsm> "))
        #expect(Self.isRaw(session.child.terminalSettings()) == true, "raw while a line is typed")
        session.child.write([0x04])
        #expect(session.end() == .exited(0))
        #expect(Self.isRaw(session.finalSettings) == false, "the terminal's own settings are back")
        let history = String(decoding: try Scratch.read(scratch.file(".lsm_history")), as: UTF8.self)
        #expect(history == "put a 1\nPut b €1\nget b\nput b €12\nget b\n")
    }

    @Test func aSignalWhileALineIsTypedRestoresTheTerminal() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let session = try Session(scratch)
        #expect(session.type("put a", expecting: "put a"))
        #expect(Self.isRaw(session.child.terminalSettings()) == true)
        kill(session.child.pid, SIGTERM)
        #expect(session.end() == .killed(signal: SIGTERM))
        #expect(Self.isRaw(session.finalSettings) == false)
    }
}
#endif
