/// Keeps a bounded number of tables open, so reads do not reopen a file and reparse its footer, index, filter
/// and properties each time. Thread-safe.
///
/// Tables live in an ``LRUCache`` with cost 1 each; the least recently used is closed (when its last reader lets
/// go) once more than `maxOpenTables` are open. Two threads missing on the same table at once may both open it;
/// one copy wins the cache and the other is released after use.
final class TableCache: Sendable {
    private let fileSystem: any FileSystem
    private let directory: String
    private let tables: LRUCache<Table>
    private let blockCache: LRUCache<Block>?
    private let databaseID: DatabaseID?

    /// `maxOpenTables` below 1 is treated as 1. Tables that record an identity must be `databaseID`'s.
    init(fileSystem: any FileSystem, directory: String, maxOpenTables: Int, blockCache: LRUCache<Block>?,
         databaseID: DatabaseID?) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.databaseID = databaseID
        let capacity = max(1, maxOpenTables)
        // Few shards, so each keeps a useful share of a small capacity.
        self.tables = LRUCache(capacity: capacity, shardCount: max(1, min(16, capacity / 32)))
        self.blockCache = blockCache
    }

    /// The open table numbered `number`, opening `FileNames.table(number)` in the directory on a miss.
    func table(number: UInt64) throws(LSMError) -> Table {
        let key = CacheKey(fileNumber: number, offset: 0)
        if let table = tables.value(for: key) { return table }
        let file = try fileSystem.openReadableMapped(FileNames.path(directory, FileNames.table(number)))
        let table = try Table(file: file, fileNumber: number, blockCache: blockCache, databaseID: databaseID)
        tables.insert(table, for: key, cost: 1)
        return table
    }

    /// Forgets table `number` and its cached blocks, as when its file is deleted.
    func evict(number: UInt64) {
        tables.remove(CacheKey(fileNumber: number, offset: 0))
        blockCache?.removeAll(fileNumber: number)
    }
}
