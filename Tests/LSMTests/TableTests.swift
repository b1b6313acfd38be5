import Synchronization
import Testing
@testable import LSM


/// A file that collects appended bytes in memory.
private final class MemoryWritableFile: WritableFile {
    let path = "/memory/000007.sst"
    private(set) var bytes: [UInt8] = []
    var size: UInt64 { UInt64(bytes.count) }
    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) { self.bytes.append(contentsOf: bytes) }
    func sync() throws(LSMError) {}
    func close() throws(LSMError) {}
}

/// A readable file over bytes in memory that counts its reads; `mapped`, it also offers them as a mapping (as a
/// memory-mapped table file does).
private final class MemoryReadableFile: ReadableFile {
    let path = "/memory/000007.sst"
    let bytes: [UInt8]
    let reads = Atomic<Int>(0)
    nonisolated(unsafe) private let mapping: UnsafeMutableRawBufferPointer?

    init(_ bytes: [UInt8], mapped: Bool = false) {
        self.bytes = bytes
        guard mapped else {
            mapping = nil
            return
        }
        let mapping = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 8)
        bytes.withUnsafeBytes { mapping.copyMemory(from: $0) }
        self.mapping = mapping
    }

    deinit { mapping?.deallocate() }

    var size: UInt64 { UInt64(bytes.count) }
    var mappedContents: UnsafeRawBufferPointer? {
        mapping.map { UnsafeRawBufferPointer(rebasing: $0[..<bytes.count]) }
    }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LSMError) -> Int {
        reads.add(1, ordering: .relaxed)
        guard offset < size else { return 0 }
        let n = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(offset)..<(Int(offset) + n)]))
        }
        return n
    }
}

/// Entries in internal-key order: `userKeys` keys, each with 1...`maxVersions` versions (some tombstones), values
/// of assorted lengths including empty and longer than a block.
private func makeModel(userKeys: Int, maxVersions: Int, seed: UInt64) -> [ModelEntry] {
    var rng = SplitMix64(seed: seed)
    var entries: [ModelEntry] = []
    var sequence: SequenceNumber = 1
    for i in 0..<userKeys {
        let user = Array("user-\(100_000_000 + i * 2)".utf8)
        let versions = Int.random(in: 1...maxVersions, using: &rng)
        var group: [ModelEntry] = []
        for _ in 0..<versions {
            let deleted = Int.random(in: 0..<5, using: &rng) == 0
            let length = Int.random(in: 0..<50, using: &rng) == 0 ? 5000 : Int.random(in: 0...40, using: &rng)
            let value = deleted ? [] : (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            group.append(ModelEntry(userKey: user, sequence: sequence, kind: deleted ? .deletion : .value, value: value))
            sequence += UInt64.random(in: 1...3, using: &rng)
        }
        entries.append(contentsOf: group.reversed())
    }
    return entries
}

/// What a table holding `entries` must answer for `user` at `sequence`.
private func modelGet(_ entries: [ModelEntry], _ user: [UInt8], _ sequence: SequenceNumber) -> LookupResult {
    modelGet(entries.filter { $0.userKey == user }, sequence)
}

/// The answer among `versions` (one user key's entries, newest first) at `sequence`.
private func modelGet(_ versions: [ModelEntry], _ sequence: SequenceNumber) -> LookupResult {
    guard let entry = versions.first(where: { $0.sequence <= sequence }) else { return .notFound }
    return entry.kind == .value ? .found(entry.value) : .deleted
}

private func buildTable(_ entries: [ModelEntry], options: TableOptions = TableOptions()) throws
    -> (bytes: [UInt8], properties: TableProperties) {
    let file = MemoryWritableFile()
    var builder = TableBuilder(file: file, options: options, identity: .testing())
    for entry in entries {
        try entry.internalKey.withBytes { (k: UnsafeRawBufferPointer) throws(LSMError) in
            try entry.value.withBytes { (v: UnsafeRawBufferPointer) throws(LSMError) in try builder.add(key: k, value: v) }
        }
    }
    #expect(builder.entryCount == entries.count)
    let properties = try builder.finish()
    #expect(properties.fileSize == UInt64(file.bytes.count))
    return (file.bytes, properties)
}

private func get(_ table: Table, _ user: [UInt8], _ sequence: SequenceNumber) throws(LSMError) -> LookupResult {
    try user.withBytes { (u: UnsafeRawBufferPointer) throws(LSMError) in try table.get(u, sequence: sequence) }
}

private func matches(_ got: [IteratedEntry], _ entries: [ModelEntry]) -> Bool {
    got.count == entries.count && zip(got, entries).allSatisfy { $0.0 == $1.internalKey && $0.1 == $1.value }
}

/// Checks a whole table against the model: properties, iteration both ways, seeks and gets at many sequences
/// (including absent keys that fall between present ones).
private func checkTable(_ table: Table, _ entries: [ModelEntry], getStride: Int = 1) throws {
    let iterator = table.makeIterator()
    #expect(matches(try iterator.entriesForward(), entries))
    #expect(matches(try iterator.entriesBackward(), entries.reversed()))
    let maxSequence = entries.map(\.sequence).max() ?? 0
    let versions = Dictionary(grouping: entries, by: \.userKey)
    var rng = SplitMix64(seed: 99)
    for (i, entry) in entries.enumerated() where i % getStride == 0 {
        try iterator.seek(entry.internalKey)
        #expect(iterator.isValid && iterator.key.array == entry.internalKey)
        let sequences: [SequenceNumber] = [entry.sequence, entry.sequence - 1, maxSequence,
                                           SequenceNumber.random(in: 0...maxSequence, using: &rng)]
        for sequence in sequences {
            #expect(try get(table, entry.userKey, sequence) == modelGet(versions[entry.userKey] ?? [], sequence))
        }
        // A user key just above this one, below the next: it has no entries.
        let absent = entry.userKey + [0x00]
        #expect(try get(table, absent, maxSequence) == .notFound)
        try iterator.seek(makeInternalKey(absent, maxSequence, .value))
        let following = entries[i...].first { compareBytes($0.userKey, absent) > 0 }
        #expect(iterator.isValid == (following != nil))
        if let following { #expect(iterator.key.array == following.internalKey) }
    }
    #expect(try get(table, Array("A".utf8), maxSequence) == .notFound)
    #expect(try get(table, Array("zzz".utf8), maxSequence) == .notFound)
}

/// Opens, iterates, gets every key and (unless `mapped`) verifies; returns nil on success or the error. A `mapped`
/// table is left to its reads alone to find damage, and iterated a second time, when its blocks are verified.
private func tryEverything(_ bytes: [UInt8], _ entries: [ModelEntry], mapped: Bool = false) -> LSMError? {
    do throws(LSMError) {
        let table = try Table(file: MemoryReadableFile(bytes, mapped: mapped), fileNumber: 7, blockCache: nil)
        var got = try table.makeIterator().entriesForward()
        let maxSequence = entries.map(\.sequence).max() ?? 0
        var answers: [LookupResult] = []
        for entry in entries { answers.append(try get(table, entry.userKey, maxSequence)) }
        if mapped { got = try table.makeIterator().entriesForward() } else { try table.verify() }
        #expect(matches(got, entries), "iteration returned wrong data without an error")
        #expect(answers == entries.map { modelGet(entries, $0.userKey, maxSequence) }, "get returned a wrong answer")
        return nil
    } catch {
        return error
    }
}

@Suite struct TableTests {
    @Test func emptyTableIsRefused() throws {
        var builder = TableBuilder(file: MemoryWritableFile(), options: TableOptions(), identity: .testing())
        #expect(builder.entryCount == 0)
        #expect(throws: LSMError(.invalidArgument, "a table must hold at least one entry or range deletion",
                                 path: "/memory/000007.sst")) {
            try builder.finish()
        }
    }

    @Test func keysMustBeInternalKeys() throws {
        var builder = TableBuilder(file: MemoryWritableFile(), options: TableOptions(), identity: .testing())
        let error = #expect(throws: LSMError.self) {
            try [UInt8]([1, 2]).withBytes { (k: UnsafeRawBufferPointer) throws(LSMError) in try builder.add(key: k, value: k) }
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test func singleEntryTable() throws {
        let entries = [ModelEntry(userKey: Array("only".utf8), sequence: 42, kind: .value, value: Array("v".utf8))]
        let (bytes, properties) = try buildTable(entries)
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
        #expect(table.properties == properties)
        #expect(properties.entryCount == 1 && properties.dataBlockCount == 1 && properties.deletionCount == 0)
        #expect(properties.smallestKey == entries[0].internalKey && properties.largestKey == entries[0].internalKey)
        #expect(try get(table, Array("only".utf8), 42) == .found(Array("v".utf8)))
        #expect(try get(table, Array("only".utf8), 41) == .notFound)
        #expect(try get(table, Array("onl".utf8), 100) == .notFound)
        #expect(try get(table, Array("only!".utf8), 100) == .notFound)
        #expect(Array(bytes.suffix(8)) == Array("LSMTABLE".utf8))
        try checkTable(table, entries)
        try table.verify()
    }

    @Test func hundredEntriesWithVersionsAndTombstones() throws {
        let entries = makeModel(userKeys: 40, maxVersions: 5, seed: 1)
        for options in [TableOptions(), TableOptions(blockSize: 128, restartInterval: 3, bloomBitsPerKey: 4),
                        TableOptions(blockSize: 1, restartInterval: 1, bloomBitsPerKey: 0)] {
            let (bytes, properties) = try buildTable(entries, options: options)
            let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
            #expect(table.properties == properties)
            #expect(properties.entryCount == UInt64(entries.count))
            #expect(properties.deletionCount == UInt64(entries.filter { $0.kind == .deletion }.count))
            #expect(properties.rawKeyBytes == UInt64(entries.reduce(0) { $0 + $1.internalKey.count }))
            #expect(properties.rawValueBytes == UInt64(entries.reduce(0) { $0 + $1.value.count }))
            if options.blockSize == 1 { #expect(properties.dataBlockCount == UInt64(entries.count)) }
            try checkTable(table, entries)
            try table.verify()
        }
    }

    @Test func twentyThousandEntries() throws {
        let entries = makeModel(userKeys: 10_000, maxVersions: 3, seed: 2)
        #expect(entries.count > 18_000)
        let (bytes, properties) = try buildTable(Array(entries.prefix(20_000)))
        let model = Array(entries.prefix(20_000))
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
        #expect(properties.dataBlockCount > 50)
        let index = try table.indexEntries()
        #expect(index.count == Int(properties.dataBlockCount))
        try checkTable(table, model, getStride: 23)
        try table.verify()
    }

    @Test func indexSeparatorsBoundTheirBlocks() throws {
        let entries = makeModel(userKeys: 300, maxVersions: 3, seed: 3)
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 256))
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
        var previousLast: [UInt8]?
        for (separator, handle) in try table.indexEntries() {
            let keys = try table.dataBlock(handle).makeIterator(order: table.dataKeyOrder).entriesForward().map(\.0)
            let first = try #require(keys.first)
            let last = try #require(keys.last)
            #expect(compareInternalKeys(last, separator) <= 0)
            if let previousLast { #expect(compareInternalKeys(previousLast, first) < 0) }
            previousLast = last
        }
        #expect(previousLast == entries.last?.internalKey)
    }

    @Test func separatorsAreShortWhenPossible() {
        func separator(_ last: String, _ next: String?) -> [UInt8] {
            let lastKey = makeInternalKey(Array(last.utf8), 5, .value)
            let nextKey = next.map { makeInternalKey(Array($0.utf8), 9, .value) }
            return lastKey.withUnsafeBytes { l in
                guard let nextKey else { return TableBuilder.separator(after: l, before: nil) }
                return nextKey.withUnsafeBytes { n in TableBuilder.separator(after: l, before: n) }
            }
        }
        #expect(separator("apple-pie", "apricot") == makeInternalKey(Array("apq".utf8), maxSequenceNumber, .value))
        #expect(separator("abc", "abd") == makeInternalKey(Array("abc".utf8), 5, .value))
        #expect(separator("ab", "abc") == makeInternalKey(Array("ab".utf8), 5, .value))
        #expect(separator("same", "same") == makeInternalKey(Array("same".utf8), 5, .value))
        #expect(separator("hello", nil) == makeInternalKey(Array("i".utf8), maxSequenceNumber, .value))
        let allHigh = makeInternalKey([0xFF, 0xFF], 5, .value)
        let high = allHigh.withUnsafeBytes { TableBuilder.separator(after: $0, before: nil) }
        #expect(high == allHigh)
    }

    @Test func versionsOfOneKeySpanBlockBoundaries() throws {
        var entries: [ModelEntry] = [ModelEntry(userKey: Array("a".utf8), sequence: 1, kind: .value, value: [1])]
        for sequence in stride(from: 600, to: 0, by: -3) {
            entries.append(ModelEntry(userKey: Array("hot".utf8), sequence: SequenceNumber(sequence),
                                      kind: sequence % 9 == 0 ? .deletion : .value,
                                      value: Array(repeating: UInt8(sequence % 251), count: 20)))
        }
        entries.append(ModelEntry(userKey: Array("z".utf8), sequence: 2, kind: .value, value: [2]))
        let (bytes, properties) = try buildTable(entries, options: TableOptions(blockSize: 200, restartInterval: 4))
        #expect(properties.dataBlockCount > 10)
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
        for sequence in 0...605 {
            let answer = try get(table, Array("hot".utf8), SequenceNumber(sequence))
            #expect(answer == modelGet(entries, Array("hot".utf8), SequenceNumber(sequence)), "sequence \(sequence)")
        }
        try checkTable(table, entries)
    }

    @Test func blockCacheServesRepeatedReads() throws {
        let entries = makeModel(userKeys: 500, maxVersions: 2, seed: 4)
        let (bytes, properties) = try buildTable(entries, options: TableOptions(blockSize: 512))
        let file = MemoryReadableFile(bytes)
        let cache = LRUCache<Block>(capacity: 1 << 22)
        let table = try Table(file: file, fileNumber: 7, blockCache: cache)
        let readsAfterOpen = file.reads.load(ordering: .relaxed)
        #expect(matches(try table.makeIterator().entriesForward(), entries))
        #expect(cache.count == Int(properties.dataBlockCount))
        let readsAfterFirstPass = file.reads.load(ordering: .relaxed)
        #expect(readsAfterFirstPass - readsAfterOpen == Int(properties.dataBlockCount))
        #expect(matches(try table.makeIterator().entriesBackward(), entries.reversed()))
        for entry in entries { #expect(try get(table, entry.userKey, entry.sequence) == modelGet(entries, entry.userKey, entry.sequence)) }
        #expect(file.reads.load(ordering: .relaxed) == readsAfterFirstPass)
        // Without a cache every pass reads again.
        let uncached = try Table(file: file, fileNumber: 8, blockCache: nil)
        let before = file.reads.load(ordering: .relaxed)
        _ = try uncached.makeIterator().entriesForward()
        _ = try uncached.makeIterator().entriesForward()
        #expect(file.reads.load(ordering: .relaxed) - before == 2 * Int(properties.dataBlockCount))
    }

    @Test func aMappedTableIsReadInPlaceAndADamagedBlockFailsEveryRead() throws {
        let entries = makeModel(userKeys: 300, maxVersions: 2, seed: 12)
        let (bytes, properties) = try buildTable(entries, options: TableOptions(blockSize: 256))
        #expect(properties.dataBlockCount > 8)
        let cache = LRUCache<Block>(capacity: 1 << 22)
        let table = try Table(file: MemoryReadableFile(bytes, mapped: true), fileNumber: 7, blockCache: cache)
        for _ in 0..<2 {
            #expect(matches(try table.makeIterator().entriesForward(), entries))
            #expect(matches(try table.makeIterator().entriesBackward(), entries.reversed()))
        }
        #expect(cache.count == 0, "a mapped table's blocks are not cached again")

        // A byte of the third data block's contents is damaged before any read of it: that block fails every time
        // it is read (a failed check is not remembered as a pass), while the blocks before it still read.
        let handles = try table.indexEntries().map(\.handle)
        var damaged = bytes
        damaged[Int(handles[2].offset) + 1] ^= 0x40
        let damagedTable = try Table(file: MemoryReadableFile(damaged, mapped: true), fileNumber: 7, blockCache: nil)
        for attempt in 0..<3 {
            let error = #expect(throws: LSMError.self, "read \(attempt)") {
                try damagedTable.makeIterator().entriesForward()
            }
            #expect(error?.code == .corruption && error?.offset == handles[2].offset, "\(String(describing: error))")
        }
        let firstKey = try #require(entries.first)
        #expect(try get(damagedTable, firstKey.userKey, firstKey.sequence) == modelGet(entries, firstKey.userKey,
                                                                                      firstKey.sequence))
    }

    @Test func concurrentReadersShareOneTable() async throws {
        let entries = makeModel(userKeys: 400, maxVersions: 2, seed: 9)
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 256))
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: LRUCache(capacity: 4096))
        let versions = Dictionary(grouping: entries, by: \.userKey)
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for reader in 0..<4 {
                group.addTask {
                    var wrong = 0
                    for entry in entries where entry.sequence % 4 == UInt64(reader) {
                        let answer = try? get(table, entry.userKey, entry.sequence)
                        if answer != modelGet(versions[entry.userKey] ?? [], entry.sequence) { wrong += 1 }
                    }
                    if (try? table.makeIterator().entriesForward().count) != entries.count { wrong += 1 }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: [false, true])
    func everyFlippedByteIsDetected(mapped: Bool) throws {
        let entries = makeModel(userKeys: 12, maxVersions: 2, seed: 5).map { entry in
            var small = entry
            small.value = Array(small.value.prefix(6))
            return small
        }
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 100, restartInterval: 2))
        #expect(tryEverything(bytes, entries, mapped: mapped) == nil)
        for position in bytes.indices {
            var flipped = bytes
            flipped[position] ^= 0xFF
            let error = tryEverything(flipped, entries, mapped: mapped)
            // Every byte of a table is covered by a block checksum, the footer checksum or the magic number.
            #expect(error != nil, "flip at \(position) went unnoticed")
            if let error {
                #expect(error.code == .corruption || error.code == .unsupportedFormat, "\(error)")
                #expect(error.path == "/memory/000007.sst" && error.offset != nil, "\(error)")
            }
        }
    }

    @Test func everyTruncationIsRejected() throws {
        let entries = makeModel(userKeys: 10, maxVersions: 2, seed: 6)
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 100))
        for length in 0..<bytes.count {
            let error = #expect(throws: LSMError.self) {
                try Table(file: MemoryReadableFile(Array(bytes.prefix(length))), fileNumber: 7, blockCache: nil)
            }
            #expect(error?.code == .corruption && error?.path == "/memory/000007.sst", "length \(length)")
        }
    }

    @Test func unknownVersionsAndBlockTypesAreUnsupported() throws {
        let entries = makeModel(userKeys: 10, maxVersions: 1, seed: 7)
        let (bytes, _) = try buildTable(entries)
        let footerStart = bytes.count - Footer.encodedLength
        let footer = try bytes.suffix(Footer.encodedLength).withBytes { (b: UnsafeRawBufferPointer) throws(LSMError) in
            try Footer.decode(b, path: "t", fileSize: UInt64(bytes.count))
        }
        var future = footer
        future.formatVersion = Footer.currentFormatVersion + 1
        let newer = Array(bytes.prefix(footerStart)) + future.encoded
        let versionError = #expect(throws: LSMError.self) {
            try Table(file: MemoryReadableFile(newer), fileNumber: 7, blockCache: nil)
        }
        #expect(versionError?.code == .unsupportedFormat)

        // An index block whose type byte is one no version writes yet, with a checksum that matches.
        var typed = bytes
        let typeOffset = Int(footer.indexHandle.offset + footer.indexHandle.size)
        typed[typeOffset] = 2
        var crc: [UInt8] = []
        crc.appendFixed32(CRC32C.mask(CRC32C.checksum(Array(typed[Int(footer.indexHandle.offset)...typeOffset]))))
        typed.replaceSubrange((typeOffset + 1)...(typeOffset + 4), with: crc)
        let typeError = #expect(throws: LSMError.self) {
            try Table(file: MemoryReadableFile(typed), fileNumber: 7, blockCache: nil)
        }
        #expect(typeError?.code == .unsupportedFormat && typeError?.offset == footer.indexHandle.offset)

        let notATable = [UInt8](repeating: 0x41, count: 200)
        let magicError = #expect(throws: LSMError.self) {
            try Table(file: MemoryReadableFile(notATable), fileNumber: 7, blockCache: nil)
        }
        #expect(magicError?.code == .corruption && magicError?.message.contains("not an SSTable") == true)
    }

    /// Over the POSIX file system tables are memory-mapped and read in place, never cached; over one that cannot
    /// map (the crash-simulating one reads with calls), their blocks go through the block cache.
    @Test(arguments: [false, true])
    func tableCacheKeepsTablesOpenAndEvicts(mapped: Bool) throws {
        let fs: any FileSystem = mapped ? PosixFileSystem() : CrashSimulatingFileSystem()
        let scratch = TemporaryDirectory("table-cache")
        defer { scratch.remove() }
        let directory = scratch.path
        let entries = makeModel(userKeys: 200, maxVersions: 2, seed: 8)
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 256))
        for number: UInt64 in 1...3 {
            try fs.writeWholeFile(bytes, to: FileNames.path(directory, FileNames.table(number)))
        }
        let blockCache = LRUCache<Block>(capacity: 1 << 22)
        let cache = TableCache(fileSystem: fs, directory: directory, limit: .tables(2), blockCache: blockCache,
                               databaseID: nil)
        let one = try cache.table(number: 1)
        #expect(one.fileNumber == 1 && one.path.hasSuffix("/000001.sst"))
        #expect(try cache.table(number: 1) === one)
        _ = try one.makeIterator().entriesForward()
        #expect(mapped ? blockCache.count == 0 : blockCache.count > 0)
        cache.evict(number: 1)
        #expect(blockCache.count == 0)
        let reopened = try cache.table(number: 1)
        #expect(reopened !== one)
        #expect(matches(try reopened.makeIterator().entriesForward(), entries))
        // Capacity 2: opening two more tables pushes out the least recently used.
        _ = try cache.table(number: 2)
        _ = try cache.table(number: 3)
        #expect(try cache.table(number: 1) !== reopened)
        let missing = #expect(throws: LSMError.self) { try cache.table(number: 99) }
        #expect(missing?.code == .ioError)
    }
}

/// Entries whose values come in stretches of 60 keys: text that LZ4 shrinks well, then random bytes it cannot
/// shrink by an eighth, so a table written with compression holds both kinds of block.
private func mixedCompressibilityModel(userKeys: Int, seed: UInt64) -> [ModelEntry] {
    var rng = SplitMix64(seed: seed)
    return (0..<userKeys).map { i in
        let value: [UInt8] = (i / 60) % 2 == 0
            ? Array("value \(i % 7) of the key, repeated: value \(i % 7) of the key".utf8)
            : (0..<60).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return ModelEntry(userKey: Array("user-\(100_000 + i)".utf8), sequence: UInt64(i + 1),
                          kind: i % 11 == 0 ? .deletion : .value, value: i % 11 == 0 ? [] : value)
    }
}

/// The type byte of each data block of the table in `bytes` (0 raw, 1 LZ4).
private func dataBlockTypes(_ bytes: [UInt8]) throws -> [UInt8] {
    let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
    return try table.indexEntries().map { bytes[Int($0.handle.offset + $0.handle.size)] }
}

/// `bytes` with the checksum of the block at `handle` recomputed over its (changed) contents and type byte.
private func fixingChecksum(_ bytes: [UInt8], of handle: BlockHandle) -> [UInt8] {
    var fixed = bytes
    let start = Int(handle.offset)
    let typeOffset = start + Int(handle.size)
    var crc: [UInt8] = []
    crc.appendFixed32(CRC32C.mask(CRC32C.checksum(Array(fixed[start...typeOffset]))))
    fixed.replaceSubrange((typeOffset + 1)...(typeOffset + 4), with: crc)
    return fixed
}

@Suite struct CompressedTableTests {
    private static let lz4 = TableOptions(blockSize: 512, compression: .lz4)

    @Test(arguments: [false, true])
    func aTableOfCompressedAndRawBlocksReadsLikeARawOne(mapped: Bool) throws {
        let entries = mixedCompressibilityModel(userKeys: 600, seed: 21)
        let (compressed, properties) = try buildTable(entries, options: Self.lz4)
        let (raw, _) = try buildTable(entries, options: TableOptions(blockSize: 512))
        let types = try dataBlockTypes(compressed)
        #expect(types.count == Int(properties.dataBlockCount))
        #expect(types.filter { $0 == Block.lz4Type }.count > types.count / 4, "text blocks are compressed")
        #expect(types.filter { $0 == Block.uncompressedType }.count > types.count / 4, "random blocks stay raw")
        #expect(try dataBlockTypes(raw).allSatisfy { $0 == Block.uncompressedType })
        #expect(compressed.count < raw.count * 3 / 4)
        let table = try Table(file: MemoryReadableFile(compressed, mapped: mapped), fileNumber: 7,
                              blockCache: LRUCache(capacity: 1 << 20))
        #expect(table.properties == properties)
        try checkTable(table, entries, getStride: 3)
        try table.verify()
    }

    @Test(arguments: [false, true])
    func decompressedBlocksAreCachedAndReadOnce(mapped: Bool) throws {
        let entries = mixedCompressibilityModel(userKeys: 600, seed: 22)
        let (bytes, properties) = try buildTable(entries, options: Self.lz4)
        let compressedBlocks = try dataBlockTypes(bytes).filter { $0 == Block.lz4Type }.count
        let file = MemoryReadableFile(bytes, mapped: mapped)
        let cache = LRUCache<Block>(capacity: 1 << 22)
        let table = try Table(file: file, fileNumber: 7, blockCache: cache)
        #expect(matches(try table.makeIterator().entriesForward(), entries))
        // A mapped table caches only what it had to decompress; another table caches every block it read.
        #expect(cache.count == (mapped ? compressedBlocks : Int(properties.dataBlockCount)))
        let cached = cache.count
        let reads = file.reads.load(ordering: .relaxed)
        for entry in entries {
            #expect(try get(table, entry.userKey, entry.sequence) == modelGet([entry], entry.sequence))
        }
        #expect(matches(try table.makeIterator().entriesBackward(), entries.reversed()))
        #expect(cache.count == cached && file.reads.load(ordering: .relaxed) == reads, "served from the cache")
    }

    @Test(arguments: [false, true])
    func aDamagedCompressedBlockIsCorruptionNamingIt(mapped: Bool) throws {
        let entries = mixedCompressibilityModel(userKeys: 600, seed: 23)
        let (bytes, _) = try buildTable(entries, options: Self.lz4)
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
        let handle = try #require(try table.indexEntries().map(\.handle).first { bytes[Int($0.offset + $0.size)] == 1 })
        let start = Int(handle.offset)
        var sizeLength = 1
        while bytes[start + sizeLength - 1] & 0x80 != 0 { sizeLength += 1 }
        func damaged(_ change: (inout [UInt8]) -> Void, fixingChecksum fix: Bool) -> [UInt8] {
            var copy = bytes
            change(&copy)
            return fix ? fixingChecksum(copy, of: handle) : copy
        }
        let end = Int(handle.offset + handle.size)
        // Each damage but the first comes with a checksum that matches it. Sizes are written over the block's first
        // bytes, so the block keeps its length.
        let cases: [(String, [UInt8], String)] = [
            ("a flipped byte", damaged({ $0[start + sizeLength + 3] ^= 0x10 }, fixingChecksum: false), "checksum"),
            ("a size of 4 GiB",
             damaged({ $0.replaceSubrange(start..<(start + 5), with: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) },
                     fixingChecksum: true), "declares"),
            ("a size of 64 MiB", damaged({ $0.replaceSubrange(start..<(start + 4), with: [0x80, 0x80, 0x80, 0x20]) },
                                         fixingChecksum: true), "declares"),
            ("a size one larger", damaged({ $0[start] &+= 1 }, fixingChecksum: true), "LZ4"),
            ("a size that does not end", damaged({ for i in start..<end { $0[i] = 0x80 } }, fixingChecksum: true),
             "uncompressed size"),
            // A first sequence without literals: its match has nothing to copy from.
            ("a match before the start", damaged({ $0[start + sizeLength] = 0x0F }, fixingChecksum: true), "LZ4 match"),
        ]
        for (name, damagedBytes, message) in cases {
            let damagedTable = try Table(file: MemoryReadableFile(damagedBytes, mapped: mapped), fileNumber: 7,
                                         blockCache: nil)
            for attempt in ["scan", "verify"] {
                let error = #expect(throws: LSMError.self, "\(name), \(attempt)") {
                    if attempt == "scan" { _ = try damagedTable.makeIterator().entriesForward() } else {
                        try damagedTable.verify()
                    }
                }
                let described = "\(name): \(String(describing: error))"
                #expect(error?.code == .corruption && error?.offset == handle.offset, "\(described)")
                #expect(error?.path == "/memory/000007.sst" && error?.message.contains(message) == true, "\(described)")
            }
        }
    }

    /// Damage that a block's checksum does not catch (it was recomputed) reaches the entry decoder, packed trailers
    /// and restart array included: a scan each way, a point read of every key and a verify each read or fail with
    /// corruption naming a place in the block, whether the table is mapped (its blocks read in place) or not.
    @Test(arguments: [false, true])
    func everyByteOfARawBlockDamagedBehindAGoodChecksumFailsCleanlyOrReads(mapped: Bool) throws {
        let entries = makeModel(userKeys: 40, maxVersions: 2, seed: 25)
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 256))
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
        let handle = try #require(try table.indexEntries().map(\.handle).dropFirst().first)
        let blockRange = handle.offset..<(handle.offset + handle.size)
        var failures = 0
        for position in Int(handle.offset)..<Int(handle.offset + handle.size) {
            for pattern: UInt8 in [0x01, 0x80, 0xFF] {
                var flipped = bytes
                flipped[position] ^= pattern
                let damaged = try Table(file: MemoryReadableFile(fixingChecksum(flipped, of: handle), mapped: mapped),
                                        fileNumber: 7, blockCache: nil)
                for read in 0..<4 {
                    do throws(LSMError) {
                        switch read {
                        case 0: _ = try damaged.makeIterator().entriesForward()
                        case 1: _ = try damaged.makeIterator().entriesBackward()
                        case 2: for entry in entries { _ = try get(damaged, entry.userKey, entry.sequence) }
                        default: try damaged.verify()
                        }
                    } catch {
                        failures += 1
                        // Reads name the damaged entry's place in the block; verify may instead name the
                        // properties block, whose counts the damage contradicts.
                        let inBlock = error.offset.map(blockRange.contains) ?? false
                        #expect(error.code == .corruption && error.path != nil
                                    && (inBlock || (read == 3 && error.offset == damaged.footer.propertiesHandle.offset)),
                                "byte \(position) ^ \(pattern), read \(read): \(error)")
                    }
                }
            }
        }
        #expect(failures > 0)
    }

    @Test func everyByteOfACompressedBlockDamagedBehindAGoodChecksumFailsCleanlyOrReads() throws {
        let entries = mixedCompressibilityModel(userKeys: 120, seed: 24)
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 256, compression: .lz4))
        let table = try Table(file: MemoryReadableFile(bytes), fileNumber: 7, blockCache: nil)
        let handle = try #require(try table.indexEntries().map(\.handle).first { bytes[Int($0.offset + $0.size)] == 1 })
        var failures = 0
        for position in Int(handle.offset)..<Int(handle.offset + handle.size) {
            var flipped = bytes
            flipped[position] ^= 0x41
            let damaged = fixingChecksum(flipped, of: handle)
            do {
                let damagedTable = try Table(file: MemoryReadableFile(damaged, mapped: true), fileNumber: 7,
                                             blockCache: nil)
                _ = try damagedTable.makeIterator().entriesForward()
            } catch {
                failures += 1
                #expect(error.code == .corruption && error.offset == handle.offset && error.path != nil, "\(error)")
            }
        }
        #expect(failures > 0)
    }
}
