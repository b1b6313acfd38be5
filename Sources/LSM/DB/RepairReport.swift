/// What ``Database/repair(at:options:)`` read, rebuilt and set aside.
public struct RepairReport: Sendable, Hashable {
    /// The database directory.
    public var path: String
    /// The identity of the rebuilt database: the manifest's when it could be read, else the one most of its files
    /// record, else a new one.
    public var databaseID: DatabaseID
    /// Tables whose every entry was read.
    public var tablesRead = 0
    /// Tables read in part: the entries of their readable data blocks were kept.
    public var tablesSalvaged = 0
    /// Write-ahead logs whose intact records were kept.
    public var logsRead = 0
    /// Intact log records kept, and the bytes of those logs that belong to no intact record.
    public var logRecordsRead = 0
    public var logBytesSkipped: UInt64 = 0
    /// Live keys in the rebuilt database (the newest version of each key that is not deleted).
    public var keyCount: UInt64 = 0
    /// Tables the rebuilt database is made of.
    public var tablesWritten = 0
    /// The sequence number of the newest write kept.
    public var lastSequence: UInt64 = 0
    /// Files moved into the `lost` folder of the directory, by name: every file the rebuilt database does not
    /// use. Nothing is deleted.
    public var movedToLost: [String] = []
    /// What could not be read, or was set aside without being read, one sentence per file.
    public var notes: [String] = []

    public init(path: String, databaseID: DatabaseID) {
        self.path = path
        self.databaseID = databaseID
    }
}
