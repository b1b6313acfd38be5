import LSM
import NIOCore

/// One command the server knows: how it is called, what it touches, and the function that runs it.
///
/// The table entries follow Redis's COMMAND INFO: `arity` counts the name (negative: at least that many), keys
/// are the arguments from `firstKey` to `lastKey` (−1: the last argument) every `keyStep`. A class, so that every
/// request that finds one holds a reference, not a copy of its strings, flags and closure.
final class Command: Sendable {
    /// Lowercase.
    let name: String
    let arity: Int
    /// COMMAND INFO's flags: `write`, `readonly`, `fast`, `admin`, `noauth`, `loading`, `stale`...
    let flags: [String]
    let firstKey: Int
    let lastKey: Int
    let keyStep: Int
    /// What the command does, one line (COMMAND DOCS' summary).
    let summary: String
    /// Runs the command; its reply, or the error the client gets (a ``CommandError``; untyped so that the table's
    /// closures need not spell their error type).
    let run: @Sendable (inout CommandContext) throws -> RESPReply
    /// Whether the command writes keys (flag `write`): its batch runs on the write thread.
    let writes: Bool
    /// Whether the command may run on the connection's event loop: a fast read (flag `fast`, not `write`), which
    /// never waits for a disk or scans.
    let runsOnEventLoop: Bool
    /// Whether the command is allowed before the connection has authenticated (flag `noauth`).
    let allowedWithoutAuthentication: Bool
    /// Whether a request (its arguments, the name first) writes without reading anything first, so that it can
    /// run anywhere and leave its write to be applied later (``CommandContext/defersWrites``); nil: never.
    /// It may say no to a request that would not read, never yes to one that would.
    let writesBlindly: (@Sendable ([ByteBuffer]) -> Bool)?

    init(
        _ name: String, arity: Int, flags: [String], keys: (first: Int, last: Int, step: Int) = (0, 0, 0),
        summary: String, writesBlindly: (@Sendable ([ByteBuffer]) -> Bool)? = nil,
        run: @escaping @Sendable (inout CommandContext) throws -> RESPReply
    ) {
        self.name = name
        self.arity = arity
        self.flags = flags
        firstKey = keys.first
        lastKey = keys.last
        keyStep = keys.step
        self.summary = summary
        self.writesBlindly = writesBlindly
        self.run = run
        // Worked out once: the connection asks for each request.
        writes = flags.contains("write")
        runsOnEventLoop = flags.contains("fast") && !writes
        allowedWithoutAuthentication = flags.contains("noauth")
    }

    /// Whether the argument count fits the arity (the name included).
    func accepts(argumentCount: Int) -> Bool {
        arity >= 0 ? argumentCount == arity : argumentCount >= -arity
    }
}
