/// The shape of a database's tree as its manifest records it, from ``Database/info(at:)``: the tables of each
/// level with their key ranges, sizes and entry counts, the counters, and the write-ahead logs in the directory.
public struct DatabaseInfo: Sendable, Hashable {
    /// One table as the manifest describes it.
    public struct TableInfo: Sendable, Hashable {
        public var number: UInt64
        /// The file's name in the directory (`NNNNNN.sst`).
        public var name: String
        public var size: UInt64
        public var entryCount: UInt64
        /// Range deletions the table holds (besides its entries).
        public var rangeDeletionCount: UInt64
        /// The table's first key (or the start of a range deletion before it).
        public var smallest: InspectedKey
        /// The table's last key (or the end of a range deletion after it).
        public var largest: InspectedKey
    }

    /// One level of the tree.
    public struct Level: Sendable, Hashable {
        public var level: Int
        /// Level 0 newest first (its tables may overlap); deeper levels in key order (they do not).
        public var tables: [TableInfo]

        // Sums wrap rather than trap: the sizes come from the manifest, which may be damaged.
        public var bytes: UInt64 { tables.reduce(0) { $0 &+ $1.size } }
        public var entryCount: UInt64 { tables.reduce(0) { $0 &+ $1.entryCount } }
    }

    /// A write-ahead log file found in the directory.
    public struct LogFileInfo: Sendable, Hashable {
        public var number: UInt64
        /// The file's name in the directory (`NNNNNN.wal`).
        public var name: String
        public var size: UInt64
        /// Whether the log holds writes not yet in tables: the manifest records it as live (format version 2), or
        /// its number is at or above ``DatabaseInfo/logNumber`` (format version 1). Other logs are left over and
        /// deleted at the next open.
        public var isLive: Bool
        /// The size the manifest recorded when the database closed the log and moved on to a newer one; nil for
        /// the log being appended to (and in format version 1).
        public var closedSize: UInt64?
    }

    /// The database directory.
    public var path: String
    /// The manifest `CURRENT` names (`MANIFEST-NNNNNN`).
    public var manifestName: String
    /// The storage format version of the manifest (docs/FORMAT.md, "Storage format versions"); a database of a
    /// version below ``currentFormatVersion`` is upgraded by its next writable open.
    public var formatVersion: Int
    /// The storage format version this build writes.
    public static let currentFormatVersion = Int(VersionEdit.currentFormatVersion)
    /// The database's identity, recorded in its manifest, logs and tables; nil in format version 1.
    public var databaseID: DatabaseID?
    /// Every level, level 0 first, empty ones included.
    public var levels: [Level]
    /// The sequence number of the last write the manifest records; writes still only in logs may be newer.
    public var lastSequence: UInt64
    /// Logs numbered below this are fully contained in tables.
    public var logNumber: UInt64
    /// The next file number the database will hand out.
    public var nextFileNumber: UInt64
    /// The write-ahead logs in the directory, by number.
    public var logs: [LogFileInfo]

    /// Every table, level 0 first, each level in its own order.
    public var tables: [TableInfo] { levels.flatMap(\.tables) }
    public var tableCount: Int { levels.reduce(0) { $0 + $1.tables.count } }
    public var tableBytes: UInt64 { levels.reduce(0) { $0 &+ $1.bytes } }
    public var entryCount: UInt64 { levels.reduce(0) { $0 &+ $1.entryCount } }

    /// About how many live keys the tables hold: their entries less twice their deletions, as
    /// ``Database/estimatedKeyCount()`` counts (which adds the memtables; writes still in the logs are not counted
    /// here). Reads each table's properties; throws when a table cannot be read.
    public func estimatedKeyCount() throws(LSMError) -> UInt64 {
        var entries: UInt64 = 0
        var deletions: UInt64 = 0
        for table in levels.flatMap(\.tables) {
            let properties = try TableFile.open(FileNames.path(path, table.name)).properties
            entries &+= properties.entryCount
            deletions &+= properties.deletionCount
        }
        return estimatedLiveKeys(entries: entries, deletions: deletions)
    }
    public var logBytes: UInt64 { logs.reduce(0) { $0 &+ $1.size } }
}

extension Database {
    /// The shape of the database in the directory at `path`, read from `CURRENT`, the manifest and the directory
    /// listing, without opening the database.
    ///
    /// It does not take the database's lock and changes nothing in the directory, so it works while another
    /// process (or this one) has the database open. It describes the last durable manifest state: a live writer
    /// may have flushed or compacted since, and writes still in its memtable or logs are not in the tables shown.
    ///
    /// Throws `.notADatabase` when `path` is not a directory holding a `CURRENT` file, `.corruption` naming the
    /// file and offset when `CURRENT` or the manifest is damaged, `.unsupportedFormat` for a newer format.
    public static func info(at path: String) throws(LSMError) -> DatabaseInfo {
        try info(at: path, fileSystem: PosixFileSystem())
    }

    static func info(at path: String, fileSystem: any FileSystem) throws(LSMError) -> DatabaseInfo {
        try FileNames.checkDatabaseDirectory(path, fileSystem: fileSystem)
        let state = try ManifestState.read(directory: path, fileSystem: fileSystem)
        let levels = state.version.levels.enumerated().map { level, files in
            DatabaseInfo.Level(level: level, tables: files.map { file in
                DatabaseInfo.TableInfo(
                    number: file.number, name: FileNames.table(file.number), size: file.size,
                    entryCount: file.entryCount, rangeDeletionCount: file.rangeDeletionCount,
                    smallest: InspectedKey(validated: file.smallest),
                    largest: InspectedKey(validated: file.largest))
            })
        }
        var logs: [DatabaseInfo.LogFileInfo] = []
        for name in try fileSystem.listDirectory(path) {
            guard case .wal(let number) = FileNames.parse(name),
                  let size = try? fileSystem.fileSize(FileNames.path(path, name))
            else { continue }
            let recorded = state.liveLogs.log(number: number)
            let isLive = state.formatVersion >= 2 ? recorded != nil : number >= state.logNumber
            logs.append(DatabaseInfo.LogFileInfo(number: number, name: name, size: size, isLive: isLive,
                                                 closedSize: recorded?.closedSize))
        }
        logs.sort { $0.number < $1.number }
        return DatabaseInfo(
            path: path, manifestName: state.manifestName, formatVersion: Int(state.formatVersion),
            databaseID: state.databaseID, levels: levels, lastSequence: state.lastSequence,
            logNumber: state.logNumber, nextFileNumber: state.nextFileNumber, logs: logs)
    }
}
