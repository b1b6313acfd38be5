import LSM

/// A command's failure, as the error line the client gets: its code first (`ERR`, `WRONGTYPE`, `NOAUTH`...), then
/// the message, in Redis's words where Redis has them.
struct CommandError: Error, Sendable, Hashable {
    /// The error line without the leading `-`: `ERR syntax error`.
    var line: String

    init(_ line: String) {
        self.line = line
    }

    /// An engine failure on a read: `ERR` and the engine's message.
    init(_ error: LSMError) {
        line = "ERR \(error.message)"
    }

    /// An engine failure on a write. A write the engine refuses because it cannot persist (a failed log, a full
    /// disk, a background error) is `MISCONF`, as Redis answers writes it cannot persist; reads keep working.
    init(writing error: LSMError) {
        switch error.code {
        case .backgroundError, .noSpace, .ioError:
            line = "MISCONF Errors writing to the database; writes are refused until the cause is fixed: "
                + error.message
        default:
            line = "ERR \(error.message)"
        }
    }

    static let syntax = CommandError("ERR syntax error")
    static let wrongType = CommandError("WRONGTYPE Operation against a key holding the wrong kind of value")
    static let notInteger = CommandError("ERR value is not an integer or out of range")
    static let notFloat = CommandError("ERR value is not a valid float")
    static let overflow = CommandError("ERR increment or decrement would overflow")
    static let noSuchKey = CommandError("ERR no such key")
    static let noAuth = CommandError("NOAUTH Authentication required.")
    static let invalidExpireTime = CommandError("ERR invalid expire time in 'set' command")
    static let damagedRecord = CommandError("ERR the key's record in the database is damaged (unknown type byte)")
    static let stringTooLong = CommandError(
        "ERR string exceeds maximum allowed size (\(Limits.maxValueSize - 1) bytes, the engine's value limit)")

    /// `ERR wrong number of arguments for 'get' command`.
    static func wrongArity(_ name: String) -> CommandError {
        CommandError("ERR wrong number of arguments for '\(name)' command")
    }

    /// An invalid expire time in the command `name`.
    static func invalidExpireTime(in name: String) -> CommandError {
        CommandError("ERR invalid expire time in '\(name)' command")
    }
}
