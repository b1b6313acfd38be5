import Foundation
import Synchronization
import Testing
@testable import LSMTools

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tests that run `lsm serve` and drive it with real Redis clients. Serialized: each starts a server and loads
/// it from other processes, which on a small machine is enough at a time.
@Suite(.serialized) enum ServeTests {}

/// A child process that a thread of its own feeds, reads and reaps, so that a test waits for it with a deadline
/// and kills it when the deadline passes. `ChildProcess` alone would block the test in a write or in `finish()`
/// for as long as the child (a hung server, or a client of one) does not cooperate, and a server whose log
/// nobody reads would block once the pipe is full.
final class WatchedProcess: Sendable {
    private struct State {
        var pid: pid_t?
        var spawnFailure: String?
        var output: [UInt8] = []
        var errorText = ""
        var ending: ChildProcess.Ending?
    }

    /// The command line, for messages.
    let commandLine: String
    private let state = Mutex(State())

    /// Starts `executable` with `arguments`; with `input`, its standard input is those bytes, then end-of-file,
    /// otherwise /dev/null.
    init(_ executable: String, _ arguments: [String], input: [UInt8]? = nil) throws {
        ignoreBrokenPipes
        commandLine = ([executable] + arguments).joined(separator: " ")
        Thread.detachNewThread { [self] in watch(executable, arguments, input: input) }
        let started = waitUntil(seconds: 10) { $0.pid != nil || $0.spawnFailure != nil }
        if let failure = state.withLock({ $0.spawnFailure }) { throw ToolsTestError(failure) }
        guard started else { throw ToolsTestError("\(commandLine) did not start within 10 s") }
    }

    /// The watching thread's work: spawn, write the input, collect the output until both streams end, reap.
    private func watch(_ executable: String, _ arguments: [String], input: [UInt8]?) {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable, arguments: arguments, streams: .pipes(input: input != nil))
        } catch {
            state.withLock { $0.spawnFailure = "cannot start \(commandLine): \(error)" }
            return
        }
        state.withLock { $0.pid = child.pid }
        if let input {
            // A child that exits or is killed before reading all of it makes the write fail, which is its business.
            child.write(input)
            child.closeInput()
        }
        while !child.outputClosed {
            let output = child.readOutput(waitingUpTo: 100)
            let errorText = child.errorText
            state.withLock {
                $0.output += output
                $0.errorText = errorText
            }
        }
        let ending = child.finish()
        let output = child.readOutput(waitingUpTo: 0)
        let errorText = child.errorText
        state.withLock {
            $0.output += output
            $0.errorText = errorText
            $0.ending = ending
        }
    }

    var pid: pid_t { state.withLock { $0.pid ?? 0 } }
    /// What the child wrote to standard output so far.
    var output: [UInt8] { state.withLock { $0.output } }
    /// What the child wrote to standard error so far.
    var errorText: String { state.withLock { $0.errorText } }
    /// How the child ended; nil while it runs.
    var ending: ChildProcess.Ending? { state.withLock { $0.ending } }

    /// Sends `signal` to the child unless it has already been reaped (then its pid may be another process's).
    func send(_ signal: Int32) {
        state.withLock { state in
            guard state.ending == nil, let pid = state.pid else { return }
            _ = kill(pid, signal)
        }
    }

    /// Waits up to `seconds` for the child to end; nil if it still runs.
    func waitForEnding(seconds: Double) -> ChildProcess.Ending? {
        _ = waitUntil(seconds: seconds) { $0.ending != nil }
        return ending
    }

    /// Waits up to `seconds` for `condition` on what the child printed (output, error text) to hold, or for the
    /// child to end; returns whether the condition held.
    func waitForOutput(seconds: Double, _ condition: ([UInt8], String) -> Bool) -> Bool {
        var held = false
        _ = waitUntil(seconds: seconds) { state in
            held = condition(state.output, state.errorText)
            return held || state.ending != nil
        }
        return held
    }

    /// Polls `condition` on the state until it holds or `seconds` have passed; returns whether it held.
    private func waitUntil(seconds: Double, _ condition: (State) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if state.withLock({ condition($0) }) { return true }
            if Date() >= deadline { return false }
            usleep(10_000)
        }
    }
}

/// What a client program printed and how it ended.
struct ClientRun: CustomStringConvertible {
    var output: [UInt8]
    var err: String
    var status: Int32

    var out: String { String(decoding: output, as: UTF8.self) }

    var description: String { "exit status \(status); standard output:\n\(out)\nstandard error:\n\(err)" }
}

/// Runs `executable` with `arguments` and `input` (nil: /dev/null) to its end; kills it and throws when it runs
/// longer than `seconds`. The status is 128 + the signal's number when a signal ended it, as a shell says.
func runClient(_ executable: String, _ arguments: [String], input: [UInt8]? = nil, seconds: Double = 60) throws
    -> ClientRun
{
    let process = try WatchedProcess(executable, arguments, input: input)
    guard let ending = process.waitForEnding(seconds: seconds) else {
        process.send(SIGKILL)
        _ = process.waitForEnding(seconds: 10)
        throw ToolsTestError(
            "\(process.commandLine) did not finish within \(Int(seconds)) s; it printed:\n"
                + String(decoding: process.output, as: UTF8.self) + "\n" + process.errorText)
    }
    return ClientRun(output: process.output, err: process.errorText, status: ending.shellStatus)
}
