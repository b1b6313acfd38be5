/// Matching errors by their code in `catch` clauses and `switch` cases.
///
/// A code is a pattern that matches any ``LSMError`` of that code, and ``LSMError`` has a static member named after
/// each code, so errors are caught by kind without binding and testing `code`:
///
/// ```swift
/// do {
///     try db.put("key", "value", sync: true)
/// } catch LSMError.noSpace {
///     // free some space, then retry
/// } catch LSMError.corruption, LSMError.ioError {
///     // report the damaged file
/// }
///
/// do throws(LSMError) {
///     try db.write(batch)
/// } catch .keyTooLarge {
///     // under typed throws the type can be left out
/// }
/// ```
///
/// An error of another type, or of another code, does not match. New codes added later get a member here too.
extension LSMError.Code {
    /// Whether `error` is an ``LSMError`` of this code.
    public static func ~= (pattern: LSMError.Code, error: any Error) -> Bool {
        (error as? LSMError)?.code == pattern
    }

    /// Whether `error` is of this code.
    public static func ~= (pattern: LSMError.Code, error: LSMError) -> Bool {
        error.code == pattern
    }
}

extension LSMError {
    /// Matches errors of code ``Code/corruption``.
    public static let corruption = Code.corruption
    /// Matches errors of code ``Code/ioError``.
    public static let ioError = Code.ioError
    /// Matches errors of code ``Code/notADatabase``.
    public static let notADatabase = Code.notADatabase
    /// Matches errors of code ``Code/unsupportedFormat``.
    public static let unsupportedFormat = Code.unsupportedFormat
    /// Matches errors of code ``Code/databaseLocked``.
    public static let databaseLocked = Code.databaseLocked
    /// Matches errors of code ``Code/databaseClosed``.
    public static let databaseClosed = Code.databaseClosed
    /// Matches errors of code ``Code/invalidArgument``.
    public static let invalidArgument = Code.invalidArgument
    /// Matches errors of code ``Code/keyTooLarge``.
    public static let keyTooLarge = Code.keyTooLarge
    /// Matches errors of code ``Code/valueTooLarge``.
    public static let valueTooLarge = Code.valueTooLarge
    /// Matches errors of code ``Code/batchTooLarge``.
    public static let batchTooLarge = Code.batchTooLarge
    /// Matches errors of code ``Code/backgroundError``.
    public static let backgroundError = Code.backgroundError
    /// Matches errors of code ``Code/noSpace``.
    public static let noSpace = Code.noSpace
    /// Matches errors of code ``Code/readOnly``.
    public static let readOnly = Code.readOnly
    /// Matches errors of code ``Code/sequenceExhausted``.
    public static let sequenceExhausted = Code.sequenceExhausted
    /// Matches errors of code ``Code/cancelled``.
    public static let cancelled = Code.cancelled
}
