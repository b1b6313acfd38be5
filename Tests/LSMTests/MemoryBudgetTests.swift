import Testing
@testable import LSM

/// `Options.memoryBudget`: one bound divided among memtables, block cache and open tables, which the statistics
/// show each part keeping to under load.
@Suite struct MemoryBudgetTests {
    @Test func theBudgetSizesEachPartAndIsChecked() throws {
        var options = Options()
        options.memoryBudget = 12 << 20
        options.maxImmutableMemtables = 2
        let resolved = options.resolvingMemoryBudget
        #expect(resolved.memtableSize == 1 << 20, "a quarter, shared by the active memtable and two waiting")
        #expect(resolved.blockCacheBytes == 6 << 20 && resolved.openTableBytes == 3 << 20)
        #expect(Options().resolvingMemoryBudget == Options() && Options().openTableBytes == nil)

        let dir = TemporaryDirectory("budget-options")
        defer { dir.remove() }
        let db = try Database.open(dir.path, options: options)
        #expect(db.options.memtableSize == 1 << 20 && db.options.blockCacheBytes == 6 << 20)
        try db.close()

        var tiny = Options()
        tiny.memoryBudget = 1000
        let error = #expect(throws: LSMError.self) { try Database.open(dir.path, options: tiny) }
        #expect(error?.code == .invalidArgument && error?.message.contains("memoryBudget") == true)
    }

    @Test func eachPartStaysWithinItsShareUnderLoad() throws {
        let dir = TemporaryDirectory("budget-load")
        defer { dir.remove() }
        let budget = 1 << 20
        var options = Options()
        options.memoryBudget = budget
        options.targetFileSize = 16 << 10
        options.level1MaxBytes = 128 << 10
        let db = try Database.open(dir.path, options: options)
        let value = String(repeating: "v", count: 200)
        var peak = 0
        func sample() throws {
            let statistics = try db.statistics()
            // A memtable may pass its size by one write; a flush in progress holds one more memtable's worth.
            #expect(statistics.memtablesBytes <= budget / 4 + (budget / 4) / 3 + 4096)
            #expect(statistics.blockCacheBytes <= budget / 2)
            #expect(statistics.openTableMetadataBytes <= budget / 4)
            peak = max(peak, statistics.memoryBytes)
        }
        for i in 0..<30_000 {
            try db.put("key-\(i)", value)
            if i % 1000 == 0 { try sample() }
        }
        db.waitForBackgroundWork()
        var random = SplitMix64(seed: 7)
        for n in 0..<20_000 {
            let i = Int(random.next() % 30_000)
            #expect(try db.get("key-\(i)") == value)
            if n % 1000 == 0 { try sample() }
        }
        var scanned = 0
        let cursor = try db.cursor()
        while try cursor.next() != nil { scanned += 1 }
        #expect(scanned == 30_000)
        try sample()
        let statistics = try db.statistics()
        #expect(statistics.levelFileCounts.reduce(0, +) > 20, "more tables than the budget holds open at once")
        #expect(statistics.openTables < statistics.levelFileCounts.reduce(0, +))
        #expect(statistics.blockCacheBytes > 0 && statistics.openTableMetadataBytes > 0)
        #expect(peak <= budget + (budget / 4) / 3 + 4096)
        try db.close()
    }

    /// A compaction reads whole tables once and deletes them: with tables read through the block cache (as a memory
    /// budget reads them), it leaves the cache as it found it, and reads fill it.
    @Test func compactionReadsDoNotFillTheBlockCache() throws {
        let dir = TemporaryDirectory("budget-compaction")
        defer { dir.remove() }
        var options = Options()
        options.memoryBudget = 16 << 20
        let db = try Database.open(dir.path, options: options)
        for round in 0..<4 {
            for i in 0..<2000 { try db.put("key-\(i)", "value \(round) \(i)") }
            try db.flush()
        }
        #expect(try db.statistics().blockCacheBytes == 0)
        // A cursor, not yet read, keeps the compaction's input tables (and whatever the cache holds of them) alive.
        let statistics = try withExtendedLifetime(try db.cursor()) {
            try db.compact()
            return try db.statistics()
        }
        #expect(statistics.compactionBytesRead > 0, "the compaction read the tables")
        #expect(statistics.blockCacheBytes == 0, "and cached none of their blocks")
        #expect(try db.get("key-7") == "value 3 7")
        #expect(try db.statistics().blockCacheBytes > 0, "a read caches the block it reads")
        try db.close()
    }
}
