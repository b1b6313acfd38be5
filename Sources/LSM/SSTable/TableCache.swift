/// Keeps a bounded number of tables open, so reads do not reopen a file and reparse its footer, index, filter
/// and properties each time. Thread-safe.
///
/// Tables live in an ``LRUCache``; the least recently used is closed (when its last reader lets go) once the
/// open ones pass the ``Limit``. Two threads missing on the same table at once may both open it; one copy wins the
/// cache and the other is released after use.
final class TableCache: Sendable {
    /// How many tables may stay open.
    enum Limit {
        /// At most this many, memory-mapped where the file system allows.
        case tables(Int)
        /// As many as fit in this many bytes of index, filter and properties blocks (``Table/metadataBytes``),
        /// read with system calls so their data is held only in the block cache (``Options/memoryBudget``).
        case bytes(Int)
    }

    private let fileSystem: any FileSystem
    private let directory: String
    private let tables: LRUCache<Table>
    private let blockCache: LRUCache<Block>?
    private let databaseID: DatabaseID?
    private let countsBytes: Bool

    /// A limit below 1 is treated as 1. Tables that record an identity must be `databaseID`'s.
    init(fileSystem: any FileSystem, directory: String, limit: Limit, blockCache: LRUCache<Block>?,
         databaseID: DatabaseID?) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.databaseID = databaseID
        switch limit {
        case .tables(let count):
            let capacity = max(1, count)
            // Few shards, so each keeps a useful share of a small capacity.
            tables = LRUCache(capacity: capacity, shardCount: max(1, min(16, capacity / 32)))
            countsBytes = false
        case .bytes(let bytes):
            // Few shards, so one shard's share still holds tables of a few hundred KiB of blocks.
            tables = LRUCache(capacity: max(1, bytes), shardCount: max(1, min(16, bytes / (4 << 20))))
            countsBytes = true
        }
        self.blockCache = blockCache
    }

    /// The open table numbered `number`, opening `FileNames.table(number)` in the directory on a miss.
    func table(number: UInt64) throws(LSMError) -> Table {
        let key = CacheKey(fileNumber: number, offset: 0)
        if let table = tables.value(for: key) { return table }
        let path = FileNames.path(directory, FileNames.table(number))
        let file = countsBytes ? try fileSystem.openReadable(path) : try fileSystem.openReadableMapped(path)
        let table = try Table(file: file, fileNumber: number, blockCache: blockCache, databaseID: databaseID)
        tables.insert(table, for: key, cost: countsBytes ? table.metadataBytes : 1)
        return table
    }

    /// Open tables, and the bytes of their index, filter and properties blocks (counted only under a byte limit;
    /// 0 otherwise).
    var usage: (tables: Int, metadataBytes: Int) {
        (tables.count, countsBytes ? tables.totalCost : 0)
    }

    /// Forgets table `number` and its cached blocks, as when its file is deleted.
    func evict(number: UInt64) {
        tables.remove(CacheKey(fileNumber: number, offset: 0))
        blockCache?.removeAll(fileNumber: number)
    }
}
