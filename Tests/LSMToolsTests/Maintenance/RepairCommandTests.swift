import Foundation
import LSM
import Testing
@testable import LSMTools

/// `lsm repair` rebuilds a database `lsm check` refuses, and `lsm cli --read-only` reads one without writing.
@Suite struct RepairCommandTests {
    /// A database whose 30 synced puts are in three flushed tables, closed.
    private static func makeDatabase(in scratch: Scratch) throws -> String {
        try scratch.database { db in
            for i in 0..<30 {
                try db.put("k\(i)", "v\(i)", sync: true)
                if i % 10 == 9 { try db.flush() }
            }
        }
    }

    @Test func repairRebuildsWhatCheckRefuses() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try Self.makeDatabase(in: scratch)
        let manifest = path + "/" + (try Database.info(at: path)).manifestName
        try Scratch.write(Array(try Scratch.read(manifest).prefix(60)), to: manifest)
        #expect(try runTool(CheckCommand.self, [path]).status == 1)

        let repair = try runTool(RepairCommand.self, [path])
        #expect(repair.status == 0 && repair.err == "")
        #expect(repair.out.hasPrefix("Repairing database: \(path) (database "))
        #expect(repair.out.contains("\nWrote 30 keys into 1 table, up to sequence 30.\n"))
        #expect(repair.out.contains("into \(path)/lost/: "))
        #expect(repair.out.hasSuffix("OK: repaired.\n"))
        #expect(try runTool(CheckCommand.self, [path]).status == 0)
        let db = try Database.open(path)
        for i in 0..<30 { #expect(try db.get("k\(i)") == "v\(i)") }
        try db.close()
    }

    @Test func repairOfNothingOrOfAnOpenDatabaseExitsOne() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let empty = scratch.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let nothing = try runTool(RepairCommand.self, [empty])
        #expect(nothing.status == 1 && nothing.out == "")
        #expect(nothing.err == "lsm: \(empty): not a database: the directory holds no database file to repair\n")

        let path = try Self.makeDatabase(in: scratch)
        let db = try Database.open(path)
        let locked = try runTool(RepairCommand.self, [path])
        #expect(locked.status == 1 && locked.err.contains("database locked"))
        try db.close()
    }

    @Test func readOnlySessionsReadAndRefuseWrites() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try Self.makeDatabase(in: scratch)
        let before = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        let command = try CLICommand.parse([path, "--read-only"])
        let session = ToolRun { out, err in
            command.execute(input: CLILineReader(bytes: Array("get k7\nput x 1\nflush\n".utf8)), interactive: false,
                            out: out, err: err)
        }
        #expect(session.status == 1)
        #expect(session.out == """
            v7
            (error) read-only: the database was opened read-only (Options.readOnly) (file \(path))
            (error) read-only: the database was opened read-only (Options.readOnly) (file \(path))

            """)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == before)
    }
}
