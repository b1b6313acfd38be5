/// The one error type the `LSM` library throws.
///
/// Like swift-nio's errors it is a struct with an extensible ``Code``, so new kinds of failure can be added without
/// breaking callers that switch over the codes they know. Every error says what went wrong and, where it is known,
/// which file and which byte offset.
public struct LSMError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case corruption, ioError, notADatabase, unsupportedFormat, databaseLocked, databaseClosed
            case invalidArgument, keyTooLarge, valueTooLarge, batchTooLarge, backgroundError, noSpace
            case readOnly, sequenceExhausted, cancelled
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Stored bytes failed a checksum or do not parse: the file and offset say where.
        public static let corruption = Code(.corruption)
        /// The operating system reported an I/O failure; ``LSMError/errno`` holds its code.
        public static let ioError = Code(.ioError)
        /// The directory holds files, but not a database this library wrote.
        public static let notADatabase = Code(.notADatabase)
        /// The database or file was written in a format version this build does not read.
        public static let unsupportedFormat = Code(.unsupportedFormat)
        /// Another process (or another open in this process) holds the database's lock file.
        public static let databaseLocked = Code(.databaseLocked)
        /// The database was closed; open it again to use it.
        public static let databaseClosed = Code(.databaseClosed)
        /// An argument is outside what the API accepts.
        public static let invalidArgument = Code(.invalidArgument)
        /// A key is longer than ``Limits/maxKeySize``.
        public static let keyTooLarge = Code(.keyTooLarge)
        /// A value is longer than ``Limits/maxValueSize``.
        public static let valueTooLarge = Code(.valueTooLarge)
        /// A write batch encodes to more than ``Limits/maxBatchSize`` bytes.
        public static let batchTooLarge = Code(.batchTooLarge)
        /// Background work (flush or compaction) failed earlier; writes are refused until the database is reopened.
        public static let backgroundError = Code(.backgroundError)
        /// The file system is full (ENOSPC).
        public static let noSpace = Code(.noSpace)
        /// The database was opened with ``Options/readOnly``, so it refuses writes, flushes and compactions.
        public static let readOnly = Code(.readOnly)
        /// Every sequence number up to the largest (2^56 - 1) has been used; the database accepts no more writes
        /// but stays readable and openable.
        public static let sequenceExhausted = Code(.sequenceExhausted)
        /// The task awaiting an `async` call was cancelled: the call did not start (or, for a flush or compaction,
        /// the task stopped waiting for it).
        public static let cancelled = Code(.cancelled)

        public var description: String {
            switch base {
            case .corruption: "corruption"
            case .ioError: "I/O error"
            case .notADatabase: "not a database"
            case .unsupportedFormat: "unsupported format"
            case .databaseLocked: "database locked"
            case .databaseClosed: "database closed"
            case .invalidArgument: "invalid argument"
            case .keyTooLarge: "key too large"
            case .valueTooLarge: "value too large"
            case .batchTooLarge: "batch too large"
            case .backgroundError: "background error"
            case .noSpace: "no space left on device"
            case .readOnly: "read-only"
            case .sequenceExhausted: "sequence numbers exhausted"
            case .cancelled: "cancelled"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code {
        get { box.fields.code }
        set { update { $0.code = newValue } }
    }
    /// A sentence saying what went wrong.
    public var message: String {
        get { box.fields.message }
        set { update { $0.message = newValue } }
    }
    /// The file involved, when there is one.
    public var path: String? {
        get { box.fields.path }
        set { update { $0.path = newValue } }
    }
    /// The byte offset in ``path`` where the problem was found, when known.
    public var offset: UInt64? {
        get { box.fields.offset }
        set { update { $0.offset = newValue } }
    }
    /// The operating system's error number, for I/O errors.
    public var errno: Int32? {
        get { box.fields.errno }
        set { update { $0.errno = newValue } }
    }

    private struct Fields: Hashable, Sendable {
        var code: Code
        var message: String
        var path: String?
        var offset: UInt64?
        var errno: Int32?
    }

    /// The fields, boxed and immutable, so an error is one reference: the engine checks, stores and clears
    /// `LSMError?` values on every write (a failed log, a background error, a writer's outcome), and a reference
    /// costs a retain or release there where five fields cost a call through the type's metadata.
    private final class Box: Sendable {
        let fields: Fields

        init(_ fields: Fields) {
            self.fields = fields
        }
    }

    private var box: Box

    public init(_ code: Code, _ message: String, path: String? = nil, offset: UInt64? = nil, errno: Int32? = nil) {
        box = Box(Fields(code: code, message: message, path: path, offset: offset, errno: errno))
    }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = box.fields
        change(&fields)
        box = Box(fields)
    }

    public static func == (lhs: LSMError, rhs: LSMError) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(box.fields)
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let path { text += " (file \(path)" + (offset.map { " at offset \($0)" } ?? "") + ")" }
        if let errno { text += " [errno \(errno)]" }
        return text
    }

    static func corruption(_ message: String, path: String? = nil, offset: UInt64? = nil) -> LSMError {
        LSMError(.corruption, message, path: path, offset: offset)
    }

    /// An error of kind `code` saying `context` was caused by this one: its message carries this error's kind and
    /// message, and its file, offset and errno are this error's (so a description names them once).
    func wrapped(_ code: Code, _ context: String) -> LSMError {
        LSMError(code, "\(context): \(self.code): \(message)", path: path, offset: offset, errno: errno)
    }

    /// The same error with `note` added to its message.
    func appending(_ note: String) -> LSMError {
        var copy = self
        copy.message += " " + note
        return copy
    }

    /// The same error, naming `path` (and `offset`) if it did not name a file yet.
    func located(path: String, offset: UInt64? = nil) -> LSMError {
        var copy = self
        if copy.path == nil {
            copy.path = path
            if copy.offset == nil { copy.offset = offset }
        }
        return copy
    }

    /// The same error, for damage found in a block's decompressed contents: an offset it carries is one in those
    /// contents, which has no place in the file, so it moves into the message, and
    /// ``locatedInBlock(path:blockOffset:)`` names the block's own offset.
    func inDecompressedContents() -> LSMError {
        guard path == nil, let offset else { return self }
        var copy = self
        copy.message += " (at byte \(offset) of the block's decompressed contents)"
        copy.offset = nil
        return copy
    }

    /// The same error placed in the block at `blockOffset` of `path`, if it did not name a file yet: an offset it
    /// carries is relative to the block (as the block parser reports them) and becomes one in the file.
    func locatedInBlock(path: String, blockOffset: UInt64) -> LSMError {
        guard self.path == nil else { return self }
        var copy = self
        copy.path = path
        copy.offset = blockOffset &+ (offset ?? 0)
        return copy
    }
}
