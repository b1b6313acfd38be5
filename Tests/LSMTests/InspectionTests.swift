import Testing
@testable import LSM

/// The read-only inspection API: ``TableFile``, ``LogFile``, ``Database/info(at:)`` and ``Database/check(at:)``,
/// on sound files, on files of the wrong kind and on damaged ones.
@Suite struct InspectionTests {
    // MARK: Fixtures

    /// One entry to write into a table.
    private struct Row {
        var key: String
        var sequence: UInt64
        var kind: ValueKind
        var value: String
    }

    /// Entries in internal-key order: some keys with two versions, some tombstones, values of assorted lengths.
    private static let rows: [Row] = (0..<60).flatMap { i -> [Row] in
        let key = "key" + (i < 10 ? "0" : "") + String(i)
        var result: [Row] = []
        if i % 7 == 3 { result.append(Row(key: key, sequence: UInt64(200 + i), kind: .deletion, value: "")) }
        result.append(Row(key: key, sequence: UInt64(100 + i), kind: .value,
                          value: String(repeating: "v", count: i % 13) + String(i)))
        return result
    }

    private static let fs = PosixFileSystem()

    /// Writes `rows` as a table at `path` and returns what the builder recorded.
    @discardableResult
    private static func writeTable(_ rows: [Row], at path: String, blockSize: Int = 256,
                                   bloomBitsPerKey: Int = 10) throws -> TableProperties {
        let file = try fs.openWritable(path, truncate: true)
        var options = TableOptions()
        options.blockSize = blockSize
        options.bloomBitsPerKey = bloomBitsPerKey
        var builder = TableBuilder(file: file, options: options, identity: .testing())
        for row in rows {
            let key = makeInternalKey(Array(row.key.utf8), row.sequence, row.kind)
            try key.withBytes { (k: UnsafeRawBufferPointer) throws(LSMError) in
                try Array(row.value.utf8).withBytes { (v: UnsafeRawBufferPointer) throws(LSMError) in
                    try builder.add(key: k, value: v)
                }
            }
        }
        let properties = try builder.finish()
        try file.close()
        return properties
    }

    private static func flip(_ path: String, at offset: Int) throws {
        var bytes = try fs.readWholeFile(path)
        bytes[offset] ^= 0x5A
        try fs.writeWholeFile(bytes, to: path)
    }

    /// Every file in `directory` with its contents, to show that inspection changes nothing.
    private static func contents(of directory: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for name in try fs.listDirectory(directory) {
            result[name] = try fs.readWholeFile(FileNames.path(directory, name))
        }
        return result
    }

    /// Three batches as the database writes them: put, delete, and a batch of three.
    private static func writeLog(at path: String) throws -> [UInt64] {
        let header = RecordFileHeader(kind: .writeAheadLog, databaseID: TableIdentity.testing().databaseID, fileNumber: 3)
        let writer = try RecordWriter.create(path, header: header, fileSystem: fs)
        var offsets: [UInt64] = []
        var batches = [WriteBatch(), WriteBatch(), WriteBatch()]
        batches[0].put("a", "1")
        batches[1].delete("b")
        batches[2].put("c", "3")
        batches[2].put([0, 0xFF], [])
        batches[2].delete("e")
        var sequence: UInt64 = 1
        for batch in batches {
            offsets.append(writer.size)
            try writer.addRecord(batch.logRecord(sequence: sequence))
            sequence += UInt64(batch.count)
        }
        offsets.append(writer.size)
        try writer.close()
        return offsets
    }

    /// A closed database whose 300 keys are in three level-0 tables (too few to start a compaction) and whose last
    /// five writes are only in its log.
    private static func makeDatabase(in dir: TemporaryDirectory) throws -> String {
        let path = dir.appending("db")
        var options = Options()
        options.blockSize = 256
        let db = try Database.open(path, options: options)
        for part in 0..<3 {
            for i in 0..<100 { try db.put("key\(1000 + part * 100 + i)", "value-\(i)") }
            try db.flush()
        }
        for i in 0..<5 { try db.put("late\(i)", "x") }
        try db.close()
        return path
    }

    /// Makes the database of ``makeDatabase(in:)`` and runs `inspection` on it, expecting the inspection to change
    /// no file; returns the database's path, its files and what the inspection returned.
    private static func inspectReadOnly<Inspection>(
        in dir: TemporaryDirectory, _ inspection: (String) throws -> Inspection,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (path: String, files: [String: [UInt8]], inspection: Inspection) {
        let path = try makeDatabase(in: dir)
        let before = try contents(of: path)
        let result = try inspection(path)
        #expect(try contents(of: path) == before, "the inspection changed files", sourceLocation: sourceLocation)
        return (path, before, result)
    }

    private static func allEntries(_ table: TableFile) throws -> [TableFile.Entry] {
        let cursor = table.entries()
        var entries: [TableFile.Entry] = []
        while let entry = try cursor.next() { entries.append(entry) }
        return entries
    }

    // MARK: TableFile

    @Test func tableFileShowsPropertiesLayoutIndexAndEntries() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000012.sst")
        let written = try Self.writeTable(Self.rows, at: path)
        let table = try TableFile.open(path)

        let p = table.properties
        #expect(p.entryCount == UInt64(Self.rows.count))
        #expect(p.deletionCount == UInt64(Self.rows.filter { $0.kind == .deletion }.count))
        #expect(p.dataBlockCount == written.dataBlockCount && p.dataBlockCount > 3)
        #expect(p.rawKeyBytes == written.rawKeyBytes && p.rawValueBytes == written.rawValueBytes)
        #expect(p.fileSize == written.fileSize && p.formatVersion == 4)
        #expect(p.databaseID == TableIdentity.testing().databaseID && p.fileNumber == 1)
        let sequences = Self.rows.map(\.sequence)
        #expect(p.sequenceRange == sequences.min().flatMap { low in sequences.max().map { low...$0 } })
        #expect(p.smallest == InspectedKey(userKey: Array("key00".utf8), sequence: 100, kind: .value))
        #expect(p.largest == InspectedKey(userKey: Array("key59".utf8), sequence: 159, kind: .value))

        #expect(table.footer.offset == written.fileSize - 64)
        let filterBlock = try #require(table.footer.filter)
        #expect(filterBlock.offset < table.footer.properties.offset)
        #expect(table.footer.properties.offset < table.footer.index.offset)
        let filter = try #require(table.filter)
        #expect(filter.probeCount == 7 && filter.bitCount == (filter.byteCount - 1) * 8)
        #expect(UInt64(filter.byteCount) == filterBlock.size)

        let entries = try Self.allEntries(table)
        #expect(entries.map { String(decoding: $0.key.userKey, as: UTF8.self) } == Self.rows.map(\.key))
        #expect(entries.map(\.key.sequence) == Self.rows.map(\.sequence))
        #expect(entries.map(\.key.kind) == Self.rows.map { $0.kind == .value ? .value : .deletion })
        #expect(entries.map { String(decoding: $0.value, as: UTF8.self) } == Self.rows.map(\.value))
        #expect(try table.entries().next() == entries.first)

        // The index covers the data blocks back to back, and each separator bounds its block's keys.
        let index = try table.indexEntries()
        #expect(UInt64(index.count) == p.dataBlockCount)
        #expect(index.first?.block.offset == 0)
        for (left, right) in zip(index, index.dropFirst()) {
            #expect(right.block.offset == left.block.offset + left.block.size + 5)
        }
        for (number, entry) in index.enumerated() {
            let inBlock = entries.filter { $0.blockOffset == entry.block.offset }
            #expect(!inBlock.isEmpty)
            let last = try #require(inBlock.last)
            #expect(compareBytes(last.key.userKey, entry.separator.userKey) <= 0, "block \(number)")
        }
        try table.verify()
    }

    @Test func tableWithoutFilterHasNone() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("table.sst")
        try Self.writeTable(Array(Self.rows.prefix(3)), at: path, bloomBitsPerKey: 0)
        let table = try TableFile.open(path)
        #expect(table.filter == nil && table.footer.filter == nil)
        #expect(try Self.allEntries(table).count == 3)
        try table.verify()
    }

    @Test func tableFileRejectsWhatIsNotATable() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        #expect(throws: LSMError.self) { try TableFile.open(dir.appending("missing.sst")) }
        do {
            _ = try TableFile.open(dir.path)
            Issue.record("a directory opened as a table")
        } catch {
            #expect(error.code == .invalidArgument && error.path == dir.path)
        }
        var random = SystemRandomNumberGenerator()
        let candidates: [(String, [UInt8])] = [
            ("empty", []),
            ("short", Array("hello".utf8)),
            ("random", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }),
        ]
        for (name, bytes) in candidates {
            let path = dir.appending(name)
            try Self.fs.writeWholeFile(bytes, to: path)
            do {
                _ = try TableFile.open(path)
                Issue.record("\(name) opened as a table")
            } catch {
                #expect(error.code == .corruption && error.path == path && error.message.hasPrefix("not an SSTable"))
            }
        }
        let log = dir.appending("000003.wal")
        _ = try Self.writeLog(at: log)
        let error = #expect(throws: LSMError.self) { try TableFile.open(log) }
        #expect(error?.message.hasPrefix("not an SSTable") == true)
    }

    @Test func damagedDataBlockIsReportedWithPathAndBlockOffset() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000005.sst")
        try Self.writeTable(Self.rows, at: path)
        let index = try TableFile.open(path).indexEntries()
        let damaged = index[2].block
        try Self.flip(path, at: Int(damaged.offset) + 3)

        let table = try TableFile.open(path)
        let cursor = table.entries()
        var seen = 0
        do {
            while try cursor.next() != nil { seen += 1 }
            Issue.record("a damaged table read to its end")
        } catch {
            #expect(error.code == .corruption && error.path == path && error.offset == damaged.offset)
        }
        #expect(seen > 0)
        #expect(try cursor.next() == nil)
        let error = #expect(throws: LSMError.self) { try table.verify() }
        #expect(error?.offset == damaged.offset && error?.path == path)
    }

    @Test func pointLookupAnswersAsOfASequence() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000007.sst")
        try Self.writeTable(Self.rows, at: path)
        let table = try TableFile.open(path)
        for (index, row) in Self.rows.enumerated() {
            let key = Array(row.key.utf8)
            let expected: TableFile.Lookup = row.kind == .value ? .value(Array(row.value.utf8)) : .deleted
            #expect(try table.get(key, sequence: row.sequence) == expected, "\(row.key)@\(row.sequence)")
            // Below a tombstone the older value (the next row) shows again; below a key's oldest put, nothing.
            let older: TableFile.Lookup =
                row.kind == .deletion ? .value(Array(Self.rows[index + 1].value.utf8)) : .absent
            #expect(try table.get(key, sequence: row.sequence - 1) == older, "\(row.key)@\(row.sequence - 1)")
        }
        #expect(try table.get(Array("key03".utf8)) == .deleted)
        #expect(try table.get(Array("key04".utf8)) == .value(Array("vvvv4".utf8)))
        for absent in ["", "key", "key045", "key60", "zzz"] {
            #expect(try table.get(Array(absent.utf8)) == .absent, "\(absent)")
        }

        let unfiltered = dir.appending("000008.sst")
        try Self.writeTable(Self.rows, at: unfiltered, bloomBitsPerKey: 0)
        #expect(try TableFile.open(unfiltered).get(Array("key58".utf8)) == .value(Array("vvvvvv58".utf8)))
    }

    @Test func pointLookupProbesTheFilterBeforeReadingADamagedBlock() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000006.sst")
        try Self.writeTable(Self.rows, at: path)
        let damaged = try TableFile.open(path).indexEntries()[0].block
        try Self.flip(path, at: Int(damaged.offset) + 3)
        let table = try TableFile.open(path)
        let error = #expect(throws: LSMError.self) { try table.get(Array("key00".utf8)) }
        #expect(error?.code == .corruption && error?.offset == damaged.offset && error?.path == path)
        // A key the filter rules out (below every key, so its seek would land in the damaged block) is absent
        // without a block read.
        let ruledOut = try #require((0..<1000).lazy.map { Array("a\($0)".utf8) }.first { key in
            !key.withUnsafeBytes { table.table.mayContain($0) }
        })
        #expect(try table.get(ruledOut) == .absent)
    }

    /// Every byte of a table is covered by a checksum or the footer's checks: damage anywhere fails open or
    /// verification, and never crashes.
    @Test func everyFlippedByteIsCaught() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000009.sst")
        let good = dir.appending("good.sst")
        try Self.writeTable(Array(Self.rows.prefix(12)), at: good, blockSize: 64)
        let bytes = try Self.fs.readWholeFile(good)
        for offset in 0..<bytes.count {
            var damaged = bytes
            damaged[offset] ^= 0x01
            try Self.fs.writeWholeFile(damaged, to: path)
            var caught = false
            do {
                let table = try TableFile.open(path)
                try table.verify()
            } catch {
                caught = error.path == path
            }
            #expect(caught, "flip at \(offset)")
        }
    }

    // MARK: LogFile

    @Test func logFileDecodesRecordsAndOperations() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000003.wal")
        let offsets = try Self.writeLog(at: path)
        let log = try LogFile.open(path)
        #expect(log.size == offsets[3])
        var records: [LogFile.Record] = []
        while let record = try log.next() { records.append(record) }
        #expect(log.tornTail == nil)
        #expect(records.map(\.offset) == Array(offsets.prefix(3)))
        #expect(records.map { UInt64($0.byteCount) } == zip(offsets.dropFirst(), offsets).map { $0 - $1 })
        #expect(records.map(\.firstSequence) == [1, 2, 3])
        #expect(records[0].operations == [LogFile.Operation(sequence: 1, kind: .value, key: Array("a".utf8),
                                                            value: Array("1".utf8))])
        #expect(records[1].operations == [LogFile.Operation(sequence: 2, kind: .deletion, key: Array("b".utf8),
                                                            value: [])])
        #expect(records[2].operations.map(\.sequence) == [3, 4, 5])
        #expect(records[2].operations.map(\.kind) == [.value, .value, .deletion])
        #expect(records[2].operations[1].key == [0, 0xFF] && records[2].operations[1].value == [])
        #expect(try log.next() == nil)
    }

    @Test func logFileReportsTornTailAndMidLogCorruption() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000003.wal")
        let offsets = try Self.writeLog(at: path)
        let bytes = try Self.fs.readWholeFile(path)

        // Every cut inside the last record is a torn tail at its start.
        for cut in Int(offsets[2]) + 1..<bytes.count {
            try Self.fs.writeWholeFile(Array(bytes[..<cut]), to: path)
            let log = try LogFile.open(path)
            var count = 0
            while try log.next() != nil { count += 1 }
            #expect(count == 2 && log.tornTail?.offset == offsets[2], "cut at \(cut)")
        }

        // Damage to the first or second record's payload, with records after it, is corruption at its offset.
        for record in 0..<2 {
            var damaged = bytes
            damaged[Int(offsets[record]) + 12] ^= 0x40
            try Self.fs.writeWholeFile(damaged, to: path)
            let log = try LogFile.open(path)
            var count = 0
            do {
                while try log.next() != nil { count += 1 }
                Issue.record("damage in record \(record) went unnoticed")
            } catch {
                #expect(error.code == .corruption && error.path == path && error.offset == offsets[record])
            }
            #expect(count == record)
            #expect(try log.next() == nil)
        }
    }

    @Test func logFileRejectsBadBatchesDirectoriesAndMissingFiles() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = dir.appending("000004.wal")
        let header = RecordFileHeader(kind: .writeAheadLog, databaseID: TableIdentity.testing().databaseID, fileNumber: 4)
        let writer = try RecordWriter.create(path, header: header, fileSystem: Self.fs)
        var batch = WriteBatch()
        batch.put("k", "v")
        try writer.addRecord(batch.logRecord(sequence: 7))
        let second = writer.size
        try writer.addRecord([1, 2, 3])
        try writer.close()
        let log = try LogFile.open(path)
        #expect(try log.next()?.firstSequence == 7)
        let error = #expect(throws: LSMError.self) { try log.next() }
        #expect(error?.code == .corruption && error?.path == path && error?.offset == second)

        let empty = dir.appending("000005.wal")
        try Self.fs.writeWholeFile([], to: empty)
        let emptyLog = try LogFile.open(empty)
        #expect(try emptyLog.next() == nil && emptyLog.tornTail == nil)
        #expect(#expect(throws: LSMError.self) { try LogFile.open(dir.path) }?.code == .invalidArgument)
        #expect(#expect(throws: LSMError.self) { try LogFile.open(dir.appending("none.wal")) }?.code == .ioError)
    }

    // MARK: Database.info

    @Test func infoDescribesTheTreeWithoutChangingIt() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let (path, before, info) = try Self.inspectReadOnly(in: dir) { try Database.info(at: $0) }

        #expect(info.path == path && info.levels.count == 7)
        #expect(info.manifestName.hasPrefix("MANIFEST-") && before[info.manifestName] != nil)
        #expect(info.tableCount > 1 && info.entryCount == 300)
        #expect(info.lastSequence >= 300 && info.lastSequence <= 305)
        #expect(info.nextFileNumber > info.logNumber)
        for level in info.levels {
            for table in level.tables {
                #expect(table.name == FileNames.table(table.number))
                let file = try TableFile.open(FileNames.path(path, table.name))
                #expect(file.properties.fileSize == table.size && UInt64(before[table.name]?.count ?? 0) == table.size)
                #expect(file.properties.entryCount == table.entryCount)
                #expect(file.properties.smallest == table.smallest && file.properties.largest == table.largest)
                #expect(table.number < info.nextFileNumber)
            }
        }
        let live = info.logs.filter(\.isLive)
        #expect(live.count == 1 && live[0].number == info.logNumber && live[0].size > 0)
        #expect(info.logBytes == info.logs.reduce(0) { $0 + $1.size })
    }

    @Test func infoAndCheckWorkWhileTheDatabaseIsOpen() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = try Self.makeDatabase(in: dir)
        let db = try Database.open(path)
        try db.put("while-open", "1")
        let info = try Database.info(at: path)
        #expect(info.entryCount >= 300)
        let report = try Database.check(at: path)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.tableCount == info.tableCount)
        #expect(try db.get("while-open") == "1")
        try db.close()
    }

    @Test func infoAndCheckRejectWhatIsNotADatabase() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let file = dir.appending("plain")
        try Self.fs.writeWholeFile(Array("text".utf8), to: file)
        for path in [dir.appending("missing"), file, dir.path] {
            #expect(#expect(throws: LSMError.self) { try Database.info(at: path) }?.code == .notADatabase)
            #expect(#expect(throws: LSMError.self) { try Database.check(at: path) }?.code == .notADatabase)
        }
        try Self.fs.writeWholeFile(Array("garbage".utf8), to: dir.appending("CURRENT"))
        let error = #expect(throws: LSMError.self) { try Database.info(at: dir.path) }
        #expect(error?.code == .corruption && error?.path == dir.appending("CURRENT"))
        let report = try Database.check(at: dir.path)
        #expect(report.problems.map(\.path) == [dir.appending("CURRENT")])
    }

    // MARK: Database.check

    @Test func checkPassesASoundDatabaseAndChangesNothing() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let (path, _, report) = try Self.inspectReadOnly(in: dir) { try Database.check(at: $0) }
        #expect(report.isClean && report.problems.isEmpty && report.warnings.isEmpty, "\(report)")
        let info = try Database.info(at: path)
        #expect(report.tableCount == info.tableCount && report.entryCount == 300)
        #expect(report.tableBytes == info.tableBytes)
        #expect(report.logCount == 1 && report.logRecordCount == 5 && report.logOperationCount == 5)
        #expect(report.logBytes == info.logs.filter(\.isLive).reduce(0) { $0 + $1.size })
    }

    @Test func checkNamesADamagedTableAndOffset() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = try Self.makeDatabase(in: dir)
        let table = try #require(try Database.info(at: path).levels.flatMap(\.tables).last)
        let tablePath = FileNames.path(path, table.name)
        let block = try TableFile.open(tablePath).indexEntries()[0].block
        try Self.flip(tablePath, at: Int(block.offset) + 1)
        let report = try Database.check(at: path)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.path == tablePath && report.problems.first?.offset == block.offset)
        #expect(report.problems.first?.message == "corruption: block checksum mismatch")
    }

    @Test func checkNamesDamageInTheMiddleOfALogAndWarnsOfATornTail() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = try Self.makeDatabase(in: dir)
        let log = try #require(try Database.info(at: path).logs.last)
        let logPath = FileNames.path(path, log.name)
        let reader = try LogFile.open(logPath)
        var offsets: [UInt64] = []
        while let record = try reader.next() { offsets.append(record.offset) }
        #expect(offsets.count == 5)
        let bytes = try Self.fs.readWholeFile(logPath)

        try Self.fs.writeWholeFile(Array(bytes.dropLast(2)), to: logPath)
        let torn = try Database.check(at: path)
        #expect(torn.isClean && torn.logRecordCount == 4)
        #expect(torn.warnings.map(\.path) == [logPath] && torn.warnings.first?.offset == offsets[4])

        var damaged = bytes
        damaged[Int(offsets[2]) + 14] ^= 0x10
        try Self.fs.writeWholeFile(damaged, to: logPath)
        let report = try Database.check(at: path)
        #expect(!report.isClean && report.problems.count == 1)
        #expect(report.problems.first?.path == logPath && report.problems.first?.offset == offsets[2])
    }

    @Test func checkComparesTablesWithTheManifest() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = try Self.makeDatabase(in: dir)
        let tables = try Database.info(at: path).levels.flatMap(\.tables)
        try #require(tables.count >= 3)
        let first = FileNames.path(path, tables[0].name)
        let second = FileNames.path(path, tables[1].name)
        let third = FileNames.path(path, tables[2].name)

        // A file the manifest does not know is a warning.
        let stray = FileNames.path(path, FileNames.table(999_999))
        try Self.fs.writeWholeFile(try Self.fs.readWholeFile(first), to: stray)
        let withStray = try Database.check(at: path)
        #expect(withStray.isClean && withStray.warnings.map(\.path) == [stray])

        // Two tables swapped: keys (and likely sizes) disagree with the manifest for both.
        let firstBytes = try Self.fs.readWholeFile(first)
        try Self.fs.writeWholeFile(try Self.fs.readWholeFile(second), to: first)
        try Self.fs.writeWholeFile(firstBytes, to: second)
        // A missing table.
        try Self.fs.removeFile(third)
        let report = try Database.check(at: path)
        let places = Set(report.problems.compactMap(\.path))
        #expect(places == [first, second, third])
        #expect(report.problems.contains { $0.path == first && $0.message.hasPrefix("first key") })
        #expect(report.problems.contains { $0.path == second && $0.message.hasPrefix("last key") })
        #expect(report.problems.contains { $0.path == third && $0.message.contains("missing") })
    }

    @Test func checkReadsTablesOnTheirOwnWhenTheManifestIsDamaged() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let path = try Self.makeDatabase(in: dir)
        let info = try Database.info(at: path)
        let manifest = FileNames.path(path, info.manifestName)
        let size = try Self.fs.fileSize(manifest)
        // Damage to the first record of a manifest that has more is corruption, not a torn tail.
        let reader = try RecordReader(file: try Self.fs.openReadable(manifest), tailRule: .lastRecordMayBeTorn)
        var records = 0
        while try reader.next() != nil { records += 1 }
        try #require(records > 1 && size > 20)
        try Self.flip(manifest, at: 15)
        let report = try Database.check(at: path)
        #expect(report.problems.count == 1 && report.problems.first?.path == manifest)
        #expect(report.problems.first?.offset == 0)
        #expect(report.tableCount == info.tableCount && report.entryCount == 300)
    }

    @Test func checkReportsOverlappingTablesInASortedLevel() throws {
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        var edit = VersionEdit()
        edit.formatVersion = VersionEdit.currentFormatVersion
        edit.logNumber = 0
        edit.nextFileNumber = 10
        edit.lastSequence = 9
        func file(_ number: UInt64, _ low: String, _ high: String) -> FileMetaData {
            FileMetaData(number: number, size: 100, smallest: makeInternalKey(Array(low.utf8), 1, .value),
                         largest: makeInternalKey(Array(high.utf8), 2, .value), entryCount: 2)
        }
        edit.addFile(level: 1, file(5, "a", "m"))
        edit.addFile(level: 1, file(6, "k", "z"))
        edit.databaseID = TableIdentity.testing().databaseID
        let header = RecordFileHeader(kind: .manifest, databaseID: TableIdentity.testing().databaseID, fileNumber: 1)
        let writer = try RecordWriter.create(dir.appending("MANIFEST-000001"), header: header, fileSystem: Self.fs)
        try writer.addRecord(edit.encode())
        try writer.close()
        try Self.fs.writeWholeFile(Array("MANIFEST-000001\n".utf8), to: dir.appending("CURRENT"))
        let report = try Database.check(at: dir.path)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.message.contains("overlap") == true)
        #expect(report.problems.first?.path == dir.appending("MANIFEST-000001"))
    }
}
