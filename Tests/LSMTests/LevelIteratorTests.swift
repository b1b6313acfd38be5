@testable import LSM
import Testing

/// A level's tables iterated as one sequence, against a sorted model: steps across table boundaries both ways,
/// seeks into tables, between them and past either end, on tables small enough to span several blocks.
@Suite struct LevelIteratorTests {
    @Test func movesAcrossTablesLikeTheSortedModel() throws {
        let dir = TemporaryDirectory("level-iterator")
        defer { dir.remove() }
        let identity = TableIdentity.testing()
        var options = TableOptions()
        options.blockSize = 256
        // Five tables of 40 keys each, keys k0000, k0002, ... (even numbers), so odd numbers seek between entries.
        var files: [FileMetaData] = []
        var model: [[UInt8]] = []
        for table in 0..<5 {
            let memtable = MemTable()
            for i in 0..<40 {
                let key = Array("k\(String(1000 + 2 * (table * 40 + i)).dropFirst())".utf8)
                let sequence = UInt64(table * 40 + i + 1)
                key.withUnsafeBytes { k in
                    Array("v\(sequence)".utf8).withUnsafeBytes { v in
                        memtable.add(sequence: sequence, kind: .value, key: k, value: v)
                    }
                }
                model.append(makeInternalKey(key, sequence, .value))
            }
            files.append(try writeTable(
                from: memtable, number: UInt64(table + 1), databaseID: identity.databaseID,
                directory: dir.path, fileSystem: PosixFileSystem(), options: options))
        }
        let cache = TableCache(fileSystem: PosixFileSystem(), directory: dir.path, limit: .tables(2), blockCache: nil,
                               databaseID: identity.databaseID)
        let iterator = try LevelIterator(files: files, tableCache: cache)

        #expect(try iterator.entriesForward().map(\.key) == model)
        #expect(try iterator.entriesBackward().map(\.key) == model.reversed())

        var random = SplitMix64(seed: 5)
        for step in 0..<300 {
            let number = Int(random.next() % 420)
            let target = makeInternalKey(Array("k\(String(1000 + number).dropFirst())".utf8), maxSequenceNumber,
                                         .forSeek)
            try iterator.seek(target)
            var position = model.firstIndex { compareInternalKeys($0, target) >= 0 }
            for _ in 0..<Int(random.next() % 50) {
                #expect(iterator.isValid == (position != nil), "step \(step)")
                guard let index = position else { break }
                #expect(iterator.key.array == model[index], "step \(step)")
                if random.next() % 3 == 0 {
                    try iterator.prev()
                    position = index > 0 ? index - 1 : nil
                } else {
                    try iterator.next()
                    position = index + 1 < model.count ? index + 1 : nil
                }
            }
        }
    }
}
