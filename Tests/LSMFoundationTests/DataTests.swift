import Foundation
import LSM
import LSMFoundation
import Testing

/// Foundation's `Data` as keys, values and results, from the separate LSMFoundation library.
@Suite struct DataTests {
    /// A fresh database in a temporary directory, closed and removed after `body`.
    private func withDatabase(_ body: (Database) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-lsm-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try await Database.open(path)
        try await body(db)
        try await db.close()
    }

    @Test func dataKeysAndValuesRoundTrip() async throws {
        try await withDatabase { db in
            let key = Data("user:1".utf8)
            let value = Data([0x00, 0xFF, 0x7B, 0x7D])
            try db.put(key, value, sync: true)
            #expect(try db.get(key, as: Data.self) == value)
            #expect(try db.get("user:1", as: Data.self) == value)
            #expect(try db.get(key) == [0x00, 0xFF, 0x7B, 0x7D])
            try db.delete(key)
            #expect(try db.get(key, as: Data.self) == nil)
        }
    }

    @Test func aSliceOfDataLendsOnlyItsBytes() async throws {
        try await withDatabase { db in
            let buffer = Data("xxkeyyy".utf8)
            let key = buffer[2..<5]
            try db.put(key, Data("value".utf8))
            #expect(try db.get("key", as: String.self) == "value")
        }
    }

    @Test func dataInBatchesCursorsAndAsyncCalls() async throws {
        try await withDatabase { db in
            var batch = WriteBatch()
            for i in 0..<5 { batch.put(Data("d\(i)".utf8), Data(repeating: UInt8(i), count: i)) }
            try await db.write(batch)
            let entries = try Array(db.cursor(from: Data("d1".utf8), to: Data("d4".utf8)))
            #expect(entries.map(\.key) == [Array("d1".utf8), Array("d2".utf8), Array("d3".utf8)])
            #expect(try await db.get(Data("d3".utf8), as: Data.self) == Data([3, 3, 3]))
            var reversed: [Data] = []
            for try await (key, _) in db.entries(prefix: Data("d".utf8), reverse: true) { reversed.append(Data(key)) }
            #expect(reversed == (0..<5).reversed().map { Data("d\($0)".utf8) })
        }
    }

    /// The core library stays free of Foundation: only this small library imports it.
    @Test func theLSMLibraryDoesNotImportFoundation() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources/LSM")
        let files = FileManager.default.enumerator(atPath: sources.path)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 50)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            let imports = text.split(separator: "\n").filter { $0.hasPrefix("import ") || $0.hasPrefix("@_exported ") }
            #expect(!imports.contains { $0.contains("Foundation") }, "\(file) imports Foundation")
        }
    }
}
