import ArgumentParser
import Foundation
import LSM
import Testing
@testable import LSMTools

/// `lsm dump`: exact output for a known table in each mode, and a one-line error with exit 1 for every kind of bad
/// file.
@Suite struct DumpCommandTests {
    /// A table holding six entries written in this order (sequences 1...6): three puts, a put of "with space",
    /// the deletion of banana, and a put of a binary key with an empty value.
    private static func makeTable(in scratch: Scratch) throws -> String {
        let path = try scratch.database { db in
            try db.put("apple", "red")
            try db.put("banana", "yellow")
            try db.put("cherry", String(repeating: "0123456789", count: 6))
            try db.put("with space", "x y")
            try db.delete("banana")
            try db.put([0x00, 0xFF], [])
            try db.flush()
        }
        let tables = try Database.info(at: path).levels.flatMap(\.tables)
        try #require(tables.count == 1)
        return path + "/" + tables[0].name
    }

    private func dump(_ arguments: [String]) throws -> ToolRun { try runTool(DumpCommand.self, arguments) }

    @Test func printsTheNewestValueOfEachKey() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let table = try Self.makeTable(in: scratch)
        let run = try dump([table])
        #expect(run.status == 0 && run.err == "")
        #expect(run.out == """
            --- Dumping SSTable: \(table) ---
            KEY                                      | VALUE
            "\\x00\\xff"                               | ""
            apple                                    | red
            cherry                                   | 0123456789012345678901234567890123456...
            "with space"                             | "x y"
            --- 4 rows ---

            """)
    }

    /// UTF-8 keys and values print as text, in columns as wide as they show; what would not show is escaped.
    @Test func utf8KeysAndValuesPrintAsText() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try scratch.database { db in
            try db.put("café", "crème brûlée")
            try db.put("中文", "😀")
            try db.put("k\u{7}", "\u{202E}x")
            try db.flush()
        }
        let table = path + "/" + (try #require(try Database.info(at: path).tables.first)).name
        let run = try dump([table, "--width", "8"])
        #expect(run.status == 0 && run.err == "")
        #expect(run.out == #"""
            --- Dumping SSTable: \#(table) ---
            KEY      | VALUE
            café     | "crèm...
            "k\x07"  | "\xe2...
            中文     | 😀
            --- 3 rows ---

            """#)
    }

    @Test func internalShowsEveryEntryWithSequenceAndKind() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let table = try Self.makeTable(in: scratch)
        let run = try dump([table, "--internal", "--width", "12"])
        #expect(run.status == 0 && run.err == "")
        #expect(run.out == """
            --- Dumping SSTable: \(table) ---
            KEY          | SEQUENCE | KIND   | VALUE
            "\\x00\\xff"   | 6        | PUT    | ""
            apple        | 1        | PUT    | red
            banana       | 5        | DELETE |
            banana       | 2        | PUT    | yellow
            cherry       | 3        | PUT    | 012345678...
            "with space" | 4        | PUT    | "x y"
            --- 6 rows ---

            """)
    }

    @Test func limitHexAndUncutColumns() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let table = try Self.makeTable(in: scratch)
        let limited = try dump([table, "--limit", "2", "--hex", "--width", "0"])
        #expect(limited.status == 0)
        #expect(limited.out == """
            --- Dumping SSTable: \(table) ---
            KEY | VALUE
            00ff | ""
            6170706c65 | 726564
            --- 2 rows (limit reached) ---

            """)
        let none = try dump([table, "--limit", "0"])
        #expect(none.out.hasSuffix("| VALUE\n--- 0 rows (limit reached) ---\n"))
        let exact = try dump([table, "--limit", "4"])
        #expect(exact.out.hasSuffix("--- 4 rows ---\n"))
        let full = try dump([table, "--width", "0"])
        #expect(full.out.contains("cherry | " + String(repeating: "0123456789", count: 6) + "\n"))
    }

    @Test func metaPrintsFooterIndexFilterAndBlocks() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let table = try Self.makeTable(in: scratch)
        let file = try TableFile.open(table)
        #expect(file.filter?.bitCount == 64)
        let index = try file.indexEntries()
        try #require(index.count == 1)
        let run = try dump([table, "--meta", "--limit", "0"])
        #expect(run.status == 0 && run.err == "")
        let size = file.properties.fileSize
        let footer = file.footer
        let block = index[0].block
        #expect(run.out == """
            --- Dumping SSTable: \(table) ---
            File size:          \(size) bytes
            Format version:     4
            Written by:         database \(try #require(file.properties.databaseID)), as file \(try #require(file.properties.fileNumber))
            Sequences:          1...6
            Entries:            6 (1 tombstone)
            Raw key bytes:      \(file.properties.rawKeyBytes)
            Raw value bytes:    \(file.properties.rawValueBytes)
            Smallest key:       "\\x00\\xff" @6 PUT
            Largest key:        "with space" @4 PUT
            Footer:             offset \(size - 64), 64 bytes
              Filter block:     offset \(footer.filter?.offset ?? 0), size \(footer.filter?.size ?? 0)
              Properties block: offset \(footer.properties.offset), size \(footer.properties.size)
              Index block:      offset \(footer.index.offset), size \(footer.index.size)
            Filter:             64 bits, 7 probes, 9 bytes (10.7 bits per entry)
            Data blocks:        1 (sizes: min \(block.size), average \(block.size), max \(block.size) bytes)
            Index entries:      1
              #0 x @max PUT -> offset 0, size \(block.size)
            KEY                                      | VALUE
            --- 0 rows (limit reached) ---

            """)
    }

    @Test func aCompressedTableDumpsAndItsMetaCountsItsLZ4Blocks() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var options = Options()
        options.compression = .lz4
        options.blockSize = 256
        let path = try scratch.database(options: options) { db in
            for i in 0..<60 { try db.put("key\(100 + i)", "a value that repeats, a value that repeats \(i % 3)") }
            for i in 60..<120 {
                try db.put("key\(100 + i)", (0..<5).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }
                    .joined())
            }
            try db.flush()
        }
        let table = path + "/" + (try #require(try Database.info(at: path).levels.flatMap(\.tables).first)).name
        let index = try TableFile.open(table).indexEntries()
        let compressed = index.filter { $0.compression == .lz4 }.count
        #expect(compressed > 0 && compressed < index.count, "\(index.map(\.compression))")
        let rows = try dump([table, "--limit", "200"])
        #expect(rows.status == 0 && rows.err == "" && rows.out.hasSuffix("--- 120 rows ---\n"))
        let meta = try dump([table, "--meta", "--limit", "0"])
        #expect(meta.out.contains("; \(compressed) compressed with LZ4)\n"))
        #expect(meta.out.split(separator: "\n").filter { $0.hasSuffix(", lz4") }.count == compressed)
    }

    @Test func badFilesGiveOneLineAndExitOne() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let table = try Self.makeTable(in: scratch)
        let missing = scratch.file("missing.sst")
        let empty = scratch.file("empty.sst")
        try Scratch.write([], to: empty)
        let random = try scratch.randomFile("random.sst", bytes: 3000)
        let db = try scratch.database { try $0.put("x", String(repeating: "y", count: 100)) }
        let wal = try #require(try Database.info(at: db).logs.last).name

        let expectations: [(String, String)] = [
            (missing, "lsm: \(missing): I/O error: cannot open for reading: No such file or directory"),
            (scratch.path, "lsm: \(scratch.path): invalid argument: is a directory, not an SSTable"),
            (empty, "lsm: \(empty): corruption: not an SSTable (0 bytes is shorter than a table footer) at offset 0"),
        ]
        for (path, message) in expectations { expectFailure(try dump([path]), message) }
        for path in [random, scratch.file("db/" + wal)] {
            let run = try dump([path])
            #expect(run.status == 1 && run.out == "")
            #expect(run.err.hasPrefix("lsm: \(path): corruption: not an SSTable (no table magic number"))
            #expect(run.err.filter { $0 == "\n" }.count == 1)
        }

        // Damage in the data block: the rows before it may be printed, then the error with the block's offset.
        try Scratch.flip(table, at: 2)
        let damaged = try dump([table])
        #expect(damaged.status == 1)
        #expect(damaged.err == "lsm: \(table): corruption: block checksum mismatch at offset 0\n")
        #expect(damaged.out.hasPrefix("--- Dumping SSTable: \(table) ---\n"))
    }

    /// Damage anywhere in a table makes dump fail with one line, never crash.
    @Test func everyFlippedByteFailsCleanly() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let table = try Self.makeTable(in: scratch)
        let bytes = try Scratch.read(table)
        let copy = scratch.file("copy.sst")
        for offset in 0..<bytes.count {
            var damaged = bytes
            damaged[offset] ^= 0x20
            try Scratch.write(damaged, to: copy)
            let run = try dump([copy, "--meta"])
            #expect(run.status == 1, "flip at \(offset)")
            #expect(run.err.hasPrefix("lsm: \(copy): "), "flip at \(offset)")
            #expect(run.err.filter { $0 == "\n" }.count == 1, "flip at \(offset)")
        }
    }

    @Test func usageErrorsAreRejectedByTheParser() {
        for arguments in [[], ["a.sst", "--limit"], ["a.sst", "--width", "wide"], ["a.sst", "--bogus"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try DumpCommand.parse(arguments) }
        }
    }

    /// Numbers out of range, negative ones included (which the parser would take for options), are refused before
    /// the file is opened, naming the option, the allowed values and the value; a huge width once trapped.
    @Test(arguments: [
        (["--width", "9223372036854775807"], "--width must be 0 or 4...262146, got 9223372036854775807"),
        (["--width", "3"], "--width must be 0 or 4...262146, got 3"),
        (["--width", "-1"], "--width must be 0 or 4...262146, got -1"),
        (["--limit", "-5"], "--limit must be at least 0, got -5"),
        (["--limit", "-9223372036854775808"], "--limit must be at least 0, got -9223372036854775808"),
    ])
    func outOfRangeOptionsExitTwo(arguments: [String], message: String) throws {
        let run = try dump(["/nonexistent/000001.sst"] + arguments)
        #expect(run.status == 2)
        #expect(run.out == "")
        #expect(run.err == "lsm dump: \(message)\n")
    }

    /// The widest column allowed pads without trouble.
    @Test func widestColumnPads() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let table = try Self.makeTable(in: scratch)
        let run = try dump([table, "--width", "\(InspectionText.maxWidth)", "--limit", "1"])
        #expect(run.status == 0)
        #expect(run.out.split(separator: "\n")[1] == "KEY" + String(repeating: " ", count: InspectionText.maxWidth - 2)
            + "| VALUE")
    }
}
