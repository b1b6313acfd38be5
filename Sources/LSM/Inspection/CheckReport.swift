/// What ``Database/check(at:)`` found: problems (damage or inconsistency: the database is not sound), warnings
/// (traces of a crash or of an interrupted cleanup, which the next open repairs) and what was read.
public struct CheckReport: Sendable, Hashable {
    /// One thing found, placed in a file (and at a byte offset in it) where that is known.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        public var path: String?
        public var offset: UInt64?
        public var message: String

        public init(path: String?, offset: UInt64? = nil, message: String) {
            self.path = path
            self.offset = offset
            self.message = message
        }

        /// The error's file, offset, and its code and message.
        init(_ error: LSMError) {
            self.init(path: error.path, offset: error.offset, message: "\(error.code): \(error.message)")
        }

        /// `PATH at offset N: MESSAGE`, leaving out what is unknown.
        public var description: String {
            var place = path ?? ""
            if let offset { place += place.isEmpty ? "at offset \(offset)" : " at offset \(offset)" }
            return place.isEmpty ? message : "\(place): \(message)"
        }
    }

    /// The database directory.
    public var path: String
    /// Damage and inconsistencies; the database is sound only when there are none.
    public var problems: [Finding] = []
    /// Things a crash or an interrupted cleanup leaves behind, which do not lose acknowledged data.
    public var warnings: [Finding] = []
    /// Tables read end to end.
    public var tableCount = 0
    /// Entries in those tables (values and tombstones).
    public var entryCount: UInt64 = 0
    /// Bytes of those tables.
    public var tableBytes: UInt64 = 0
    /// Live write-ahead logs read end to end.
    public var logCount = 0
    /// Intact records in those logs.
    public var logRecordCount = 0
    /// Puts and deletes in those records.
    public var logOperationCount = 0
    /// Bytes of those logs through their last intact record (an open log's space reserved past it is not counted).
    public var logBytes: UInt64 = 0

    public init(path: String) {
        self.path = path
    }

    /// Whether no problem was found (warnings allowed).
    public var isClean: Bool { problems.isEmpty }
}
