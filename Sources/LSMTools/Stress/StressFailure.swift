import LSM

/// Why a stress run failed: the one line printed after `lsm stress: `.
struct StressFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    /// The engine's error behind the failure, or nil for a mismatch or a usage error.
    var cause: LSMError?
    init(_ message: String, cause: LSMError? = nil) {
        self.message = message
        self.cause = cause
    }
    var description: String { message }
}

/// How a stress run ended: its exit status, and whether its database is worth keeping.
enum StressEnding: Equatable {
    /// Every check passed.
    case passed
    /// The run could not be carried out (the engine failed, the report or the output could not be written): the
    /// database shows nothing a person needs to see.
    case failed
    /// The database did not hold what it must (a mismatch, a lost write, a failed check): kept to be examined.
    case mismatch

    var status: Int32 { self == .passed ? 0 : 1 }
}
