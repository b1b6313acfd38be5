import LSM
import Testing
@testable import LSMTools

/// `lsm checkpoint DIR DEST`: a copy that opens on its own, and one clear line when it cannot be made.
@Suite struct CheckpointCommandTests {
    @Test func theCopyOpensWithEverythingAndTheSourceIsUnchanged() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try scratch.database { db in
            for i in 0..<30 {
                try db.put("k\(i)", "v\(i)")
                if i == 19 { try db.flush() }
            }
        }
        let destination = scratch.file("backup")
        let run = try runTool(CheckpointCommand.self, [path, destination])
        #expect(run.status == 0 && run.err == "")
        #expect(run.out.hasPrefix("OK: checkpoint of \(path) written to \(destination): 2 tables ("), "the open flushed what the log held")
        #expect(run.out.hasSuffix(", 1 log (\(try Database.info(at: destination).logBytes) bytes).\n"))
        #expect(try runTool(CheckCommand.self, [destination]).status == 0)
        for directory in [path, destination] {
            let db = try Database.open(directory)
            for i in 0..<30 { #expect(try db.get("k\(i)") == "v\(i)", "\(directory)") }
            try db.close()
        }
    }

    @Test func anOccupiedDestinationOrAnOpenDatabaseExitsOne() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try scratch.database { db in try db.put("k", "v") }
        let occupied = try scratch.randomFile("occupied", bytes: 10)
        let refused = try runTool(CheckpointCommand.self, [path, occupied])
        #expect(refused.status == 1 && refused.out == "")
        #expect(refused.err.contains("a checkpoint needs a new or empty directory, and this is a file"))

        let db = try Database.open(path)
        defer { try? db.close() }
        let locked = try runTool(CheckpointCommand.self, [path, scratch.file("backup")])
        #expect(locked.status == 1 && locked.err.contains("in use"))
    }
}
