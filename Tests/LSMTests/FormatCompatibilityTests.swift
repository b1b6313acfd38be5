import Foundation
import Testing
@testable import LSM

/// Databases written by earlier storage format versions, committed under Fixtures/, still open: read-only as they
/// are, and for writing, which upgrades them to the current format without losing a key.
@Suite struct FormatCompatibilityTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// A copy of fixture `name`'s database in a fresh directory, and the key-value pairs it holds (from the
    /// fixture's `expected-scan.txt`, one `KEY VALUE` line per key, as `lsm cli`'s scan printed them).
    private static func copy(_ name: String) throws -> (TemporaryDirectory, [String: String]) {
        let source = fixtures.appendingPathComponent(name)
        let dir = TemporaryDirectory("fixture")
        let database = source.appendingPathComponent("database")
        for file in try FileManager.default.contentsOfDirectory(atPath: database.path) {
            try FileManager.default.copyItem(atPath: database.appendingPathComponent(file).path,
                                             toPath: dir.appending(file))
        }
        let scan = try String(contentsOf: source.appendingPathComponent("expected-scan.txt"), encoding: .utf8)
        var expected: [String: String] = [:]
        for line in scan.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            expected[String(parts[0])] = String(parts[1])
        }
        return (dir, expected)
    }

    private static func contents(_ db: Database) throws -> [String: String] {
        var result: [String: String] = [:]
        let cursor = try db.cursor()
        while let (key, value) = try cursor.next() {
            result[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
        }
        return result
    }

    @Test func aFormat1DatabaseOpensReadOnlyAndUpgradesOnItsFirstWritableOpen() throws {
        let (dir, expected) = try Self.copy("format-1")
        defer { dir.remove() }
        #expect(expected.count == 69)
        let before = try Database.info(at: dir.path)
        #expect(before.formatVersion == 1 && before.databaseID == nil)
        #expect(before.tableCount == 2 && before.logs.count == 1)
        let report = try Database.check(at: dir.path)
        #expect(report.isClean && report.warnings.isEmpty && report.logOperationCount == 5)

        var readOnly = Options()
        readOnly.readOnly = true
        let reader = try Database.open(dir.path, options: readOnly)
        #expect(try Self.contents(reader) == expected)
        #expect(try reader.get("key8") == nil && reader.get("key7") == "seven")
        try reader.close()
        #expect(try Database.info(at: dir.path) == before, "a read-only open changes nothing")

        let db = try Database.open(dir.path)
        #expect(try Self.contents(db) == expected)
        try db.put("after", "upgrade", sync: true)
        try db.close()
        let after = try Database.info(at: dir.path)
        #expect(after.formatVersion == 4 && after.databaseID != nil)
        #expect(try Database.check(at: dir.path).isClean)

        let reopened = try Database.open(dir.path)
        var upgraded = expected
        upgraded["after"] = "upgrade"
        #expect(try Self.contents(reopened) == upgraded)
        try reopened.compact()
        #expect(try Self.contents(reopened) == upgraded)
        try reopened.close()
        #expect(try Database.check(at: dir.path).isClean)
    }

    /// Format 3 tables store whole internal keys in their data blocks; a format 4 database reads them beside its
    /// tables of packed trailers until compaction rewrites them. The fixture holds a level-1 and a level-2 table (an
    /// expiring value, a range deletion, tombstones and overwrites among them) and a log, as `lsm cli` left them.
    @Test func aFormat3DatabaseOpensReadOnlyAndUpgradesOnItsFirstWritableOpen() throws {
        let (dir, expected) = try Self.copy("format-3")
        defer { dir.remove() }
        #expect(expected.count == 130 && expected["lasting"] == "forever" && expected["key105"] == nil)
        let before = try Database.info(at: dir.path)
        #expect(before.formatVersion == 3 && before.tableCount == 2 && before.logs.count == 1)
        #expect(try Database.check(at: dir.path).isClean)

        var readOnly = Options()
        readOnly.readOnly = true
        let reader = try Database.open(dir.path, options: readOnly)
        #expect(try Self.contents(reader) == expected)
        #expect(try reader.get("key003") == "new3" && reader.get("key007") == nil && reader.get("key151") == "logged151")
        try reader.close()
        #expect(try Database.info(at: dir.path) == before, "a read-only open changes nothing")

        let db = try Database.open(dir.path)
        #expect(try Self.contents(db) == expected)
        try db.put("after", "upgrade", sync: true)
        var upgraded = expected
        upgraded["after"] = "upgrade"
        try db.compact()
        #expect(try Self.contents(db) == upgraded)
        try db.close()
        let after = try Database.info(at: dir.path)
        #expect(after.formatVersion == 4 && after.tableCount > 0)
        for table in after.tables {
            #expect(try TableFile.open(dir.appending(table.name)).footer.formatVersion == 4, "\(table.name)")
        }
        #expect(try Database.check(at: dir.path).isClean)
        let reopened = try Database.open(dir.path)
        #expect(try Self.contents(reopened) == upgraded)
        try reopened.close()
    }
}
