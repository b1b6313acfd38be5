import Testing
@testable import LSM

/// `Options.compression` at the database level: what flushes and compactions write, tables of both kinds read
/// together, the setting changed between opens, and `check` reading compressed blocks.
@Suite struct CompressionTests {
    /// Values of the kinds a database holds, in stretches of 100 keys: text that compresses, and random bytes that
    /// do not.
    private static func value(_ index: Int, random: inout SplitMix64) -> [UInt8] {
        if (index % 1_500 / 100) % 2 == 1 { return (0..<80).map { _ in UInt8.random(in: 0...255, using: &random) } }
        return Array("value \(index) of a key, in words that repeat: of a key, of a key".utf8)
    }

    private static func options(_ compression: Compression) -> Options {
        var options = Options()
        options.compression = compression
        options.blockSize = 512
        options.memtableSize = 32 << 10
        return options
    }

    /// The type byte of every data block of every table in `directory`, by table file name.
    private static func blockTypes(in directory: String) throws -> [String: [UInt8]] {
        let fileSystem = PosixFileSystem()
        var result: [String: [UInt8]] = [:]
        for name in try fileSystem.listDirectory(directory) where name.hasSuffix(".sst") {
            let path = directory + "/" + name
            let bytes = try fileSystem.readWholeFile(path)
            let handles = try TableFile.open(path).table.indexEntries().map(\.handle)
            result[name] = handles.map { bytes[Int($0.offset + $0.size)] }
        }
        return result
    }

    /// Bytes of every table in `directory`.
    private static func tableBytes(in directory: String) throws -> UInt64 {
        let fileSystem = PosixFileSystem()
        return try fileSystem.listDirectory(directory).filter { $0.hasSuffix(".sst") }.reduce(0) { total, name in
            total + (try fileSystem.openReadable(directory + "/" + name).size)
        }
    }

    private static func counts(_ types: [String: [UInt8]]) -> (raw: Int, lz4: Int) {
        let all = types.values.flatMap { $0 }
        return (all.filter { $0 == Block.uncompressedType }.count, all.filter { $0 == Block.lz4Type }.count)
    }

    @Test func tablesWrittenWithAndWithoutCompressionReadAndCompactTogether() throws {
        let dir = TemporaryDirectory("compression")
        defer { dir.remove() }
        var random = SplitMix64(seed: 31)
        var model: ModelState = [:]
        func write(_ db: Database, _ range: Range<Int>) throws {
            for i in range {
                let key = Array("key-\(10_000 + i % 1_500)".utf8)
                let value = Self.value(i, random: &random)
                try db.put(key, value)
                model[key] = value
            }
            try db.flush()
        }

        var db = try Database.open(dir.path, options: Self.options(.lz4))
        try write(db, 0..<1_000)
        try db.close()
        let compressed = Self.counts(try Self.blockTypes(in: dir.path))
        #expect(compressed.lz4 > 0 && compressed.raw > 0, "text blocks compressed, random ones raw: \(compressed)")

        // Reopened without compression: the compressed tables read, new tables are raw, and compaction merges both.
        db = try Database.open(dir.path, options: Self.options(.none))
        #expect(try databaseContents(db) == model)
        try write(db, 1_000..<2_000)
        db.waitForBackgroundWork()
        #expect(Self.counts(try Self.blockTypes(in: dir.path)).raw > compressed.raw, "flushes wrote raw blocks")
        try db.compact()
        #expect(try databaseContents(db) == model)
        try db.close()
        #expect(Self.counts(try Self.blockTypes(in: dir.path)).lz4 == 0, "compaction rewrote every table raw")
        let rawBytes = try Self.tableBytes(in: dir.path)

        // And back: compaction compresses everything again.
        db = try Database.open(dir.path, options: Self.options(.lz4))
        #expect(try databaseContents(db) == model)
        try write(db, 2_000..<2_500)
        try db.compact()
        #expect(try databaseContents(db) == model)
        try db.close()
        // The same keys, their text values compressed: each half of the blocks compressed or raw by its values.
        let recompressed = Self.counts(try Self.blockTypes(in: dir.path))
        #expect(recompressed.lz4 > 0 && recompressed.raw > 0, "\(recompressed)")
        #expect(try Self.tableBytes(in: dir.path) < rawBytes)
        #expect(try Database.check(at: dir.path).isClean)
    }

    @Test func checkReadsCompressedBlocksAndReportsOneThatDoesNotDecompress() throws {
        let dir = TemporaryDirectory("compression-check")
        defer { dir.remove() }
        let db = try Database.open(dir.path, options: Self.options(.lz4))
        for i in 0..<400 { try db.put(Array("key-\(i)".utf8), Array("a value that compresses well, \(i % 5)".utf8)) }
        try db.flush()
        try db.close()
        let report = try Database.check(at: dir.path)
        #expect(report.isClean && report.tableCount == 1 && report.entryCount == 400)

        // The first compressed block declares one byte more than it holds, behind a checksum that matches.
        let fileSystem = PosixFileSystem()
        let name = try #require(try Self.blockTypes(in: dir.path).keys.first)
        let path = dir.appending(name)
        var bytes = try fileSystem.readWholeFile(path)
        let handle = try #require(try TableFile.open(path).table.indexEntries().map(\.handle)
            .first { bytes[Int($0.offset + $0.size)] == Block.lz4Type })
        let start = Int(handle.offset)
        let typeOffset = start + Int(handle.size)
        bytes[start] &+= 1
        var checksum: [UInt8] = []
        checksum.appendFixed32(CRC32C.mask(CRC32C.checksum(Array(bytes[start...typeOffset]))))
        bytes.replaceSubrange((typeOffset + 1)...(typeOffset + 4), with: checksum)
        try fileSystem.writeWholeFile(bytes, to: path)

        let damaged = try Database.check(at: dir.path)
        let problem = try #require(damaged.problems.first)
        #expect(problem.path == path && problem.offset == handle.offset, "\(problem)")
        #expect(problem.message.hasPrefix("corruption: LZ4"), "\(problem)")
    }
}
