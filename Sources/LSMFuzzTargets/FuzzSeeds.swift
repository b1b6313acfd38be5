import LSM

/// Seed inputs for each target, made from real files the engine writes (a small database with several tables,
/// deletes, values that expire, range deletions and a log, packed whole as well: just created, closed, and
/// reopened with compression, which writes tables of LZ4 blocks), from typical command lines and from clients'
/// RESP requests.
public enum FuzzSeeds {
    /// The seeds of every target, by target, each a name and its bytes. Names start with `valid-`: each is a
    /// well-formed input its target must accept.
    public static func make(in scratch: FuzzScratch) throws(LSMError) -> [FuzzTarget: [(name: String, bytes: [UInt8])]] {
        scratch.clear()
        var options = Options()
        options.blockSize = 256
        options.memtableSize = 4 << 10
        options.targetFileSize = 2 << 10
        let db = try Database.open(scratch.path, options: options)
        let created = try FuzzDirectory(packing: scratch.path).encoded
        // Fixed moments, one long past and one far ahead, so the seeds read the same whenever they are made.
        let past = Timestamp(millisecondsSinceEpoch: 1_000)
        let future = Timestamp(millisecondsSinceEpoch: 4_000_000_000_000)
        for i in 0..<120 {
            let key = Array("key\(i % 70)".utf8)
            let value = Array("value \(i) \(String(repeating: "x", count: i % 13))".utf8)
            if i % 7 == 3 {
                try db.put(key, value, expiresAt: i % 2 == 0 ? past : future)
            } else {
                try db.put(key, value)
            }
            if i % 9 == 0 { try db.delete(Array("key\(i / 2)".utf8)) }
            if i % 40 == 20 { try db.deleteRange(from: Array("key\(i / 4)".utf8), to: Array("key\(i / 4)5".utf8)) }
        }
        try db.flush()
        let flushed = try tableSeeds(in: scratch.path, prefix: "valid-flushed-table")
        let flushedManifest = try readFile(scratch.path + "/" + Database.info(at: scratch.path).manifestName)
        try db.compact()
        for i in 0..<30 { try db.put(Array("late\(i)".utf8), Array("late value \(i)".utf8), sync: i % 10 == 0) }
        var batch = WriteBatch()
        batch.put(Array("batched".utf8), Array("in one record".utf8))
        batch.delete(Array("key3".utf8))
        batch.put(Array("batched expiring".utf8), Array("until then".utf8), expiresAt: future)
        batch.deleteRange(from: Array("late2".utf8), to: Array("late4".utf8))
        try db.write(batch, sync: true)
        try db.put(Array("binary\u{0}\u{ff}".utf8), [0, 1, 2, 255], sync: true)
        try db.close()

        var seeds: [FuzzTarget: [(name: String, bytes: [UInt8])]] = [:]
        let info = try Database.info(at: scratch.path)
        seeds[.manifest] = [
            ("valid-manifest-flushed", flushedManifest),
            ("valid-manifest", try readFile(scratch.path + "/" + info.manifestName)),
        ]
        for (index, log) in info.logs.filter({ $0.size > 0 }).enumerated() {
            seeds[.wal, default: []].append(("valid-log-\(index)", try readFile(scratch.path + "/" + log.name)))
        }
        seeds[.table] = flushed + (try tableSeeds(in: scratch.path, prefix: "valid-compacted-table"))
        let lookups = ["key1", "key35", "key69", "late7", "batched", "key", "key700", "", "\u{ff}"]
            .flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        let pointReads = { (tables: [(name: String, bytes: [UInt8])]) in
            tables.map { ($0.name, $0.bytes + FuzzTarget.pointReadSeparator + lookups) }
        }
        seeds[.pointread] = pointReads(seeds[.table]!)
        seeds[.directory] = [
            ("valid-directory-created", created),
            ("valid-directory", try FuzzDirectory(packing: scratch.path).encoded),
        ]
        // Reopened with compression: the log becomes a level-0 table; more writes and a compaction leave several
        // level-1 tables, then a flush a level-0 table and the new log a few writes.
        var compressing = options
        compressing.compression = .lz4
        let reopened = try Database.open(scratch.path, options: compressing)
        for i in 0..<150 {
            try reopened.put(Array("reopened\(i % 90)".utf8), Array("after recovery \(i)".utf8))
            if i % 11 == 0 { try reopened.delete(Array("late\(i / 11)".utf8)) }
        }
        try reopened.compact()
        for i in 0..<40 { try reopened.put(Array("flushed\(i)".utf8), Array("level 0 \(i)".utf8)) }
        try reopened.flush()
        for i in 0..<5 { try reopened.put(Array("unflushed\(i)".utf8), Array("in the log \(i)".utf8)) }
        try reopened.delete(Array("key5".utf8))
        try reopened.deleteRange(from: Array("flushed1".utf8), to: Array("flushed2".utf8))
        try reopened.put(Array("unflushed expiring".utf8), Array("soon".utf8), expiresAt: past)
        try reopened.close()
        seeds[.directory]!.append(("valid-directory-reopened", try FuzzDirectory(packing: scratch.path).encoded))
        let compressedTables = try tableSeeds(in: scratch.path, prefix: "valid-compressed-table")
        seeds[.table]! += compressedTables
        seeds[.pointread]! += pointReads(compressedTables)
        // Stored LZ4 blocks, as a table holds them: of nothing, a run, text, and a whole table file.
        let text = Array(String(repeating: "set key value; get key; scan a z 10; ", count: 30).utf8)
        let plain: [(String, [UInt8])] = [
            ("empty", []), ("run", [UInt8](repeating: 0x61, count: 1000)), ("text", text),
            ("table", flushed.first?.bytes ?? []),
        ]
        seeds[.lz4] = plain.map { ("valid-lz4-\($0.0)", CompressedBlock.stored($0.1)) }
        let lines = [
            "set key value", "get \"quoted key\"", "set 'single quoted' \"esc\\x00\\n\\t\\\"\"",
            "scan a z 10", "del k1 k2 k3", "\"\"", "put \"\\xff\\xfe\" v",
        ]
        seeds[.quoting] = lines.enumerated().map { ("valid-line-\($0.offset)", Array($0.element.utf8)) }
        // Client byte streams: multibulk requests as client libraries send them (pipelined, binary, empty
        // arguments, skipped empty arrays) and inline commands as telnet users type them.
        let binary: [UInt8] = Array("*3\r\n$3\r\nSET\r\n$4\r\nbin".utf8) + [0] + Array("\r\n$6\r\n\r\n".utf8)
            + [0xFF, 0x00] + Array("ab\r\n".utf8)
        let streams = [
            "*1\r\n$4\r\nPING\r\n",
            "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
            "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
            "*0\r\n*-1\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
            "PING\r\nPING\n\r\n",
            "set \"quoted key\" 'it\\'s' \"\\x00\\xff\\n\\\"\"\r\nget\t a\"b c\" \"\"\n",
        ]
        seeds[.resp] = (streams.map { Array($0.utf8) } + [binary]).enumerated().map {
            ("valid-request-\($0.offset)", $0.element)
        }
        return seeds
    }

    /// The smallest two tables of the database in `directory`.
    private static func tableSeeds(in directory: String, prefix: String) throws(LSMError) -> [(name: String, bytes: [UInt8])] {
        let tables = try Database.info(at: directory).levels.flatMap(\.tables).sorted { $0.size < $1.size }
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (index, table) in tables.prefix(2).enumerated() {
            seeds.append(("\(prefix)-\(index)", try readFile(directory + "/" + table.name)))
        }
        return seeds
    }

    private static func readFile(_ path: String) throws(LSMError) -> [UInt8] {
        guard let bytes = FuzzScratch.load(path) else {
            throw LSMError(.ioError, "cannot read the seed file", path: path)
        }
        return bytes
    }
}
