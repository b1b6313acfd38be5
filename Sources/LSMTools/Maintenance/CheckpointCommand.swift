import ArgumentParser
import LSM

/// `lsm checkpoint DIR DEST`: a consistent, openable copy of a database in another directory.
struct CheckpointCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Copy a database into a new directory, consistently, as a backup that opens on its own.",
        discussion: """
            Opens the database in DIR (recovering it as any open does) and makes DEST, which must not exist or \
            be empty, a copy of it: tables hard-linked where DEST is on the same file system (copied otherwise), \
            the log copied, a new manifest. The copy shares no file the database will change, and opens on its \
            own. A database another process has open cannot be opened here: a program that has it open calls \
            Database.checkpoint(to:) instead. Exits 0 when the checkpoint is written, 1 otherwise.
            """
    )

    @Argument(help: "The database directory.")
    var directory: String

    @Argument(help: "The directory to write the checkpoint into (new or empty).")
    var destination: String

    /// Writes the checkpoint, printing one line on `out` (or on `err` on failure). Returns the exit status.
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        let written = InspectionText.reading(directory, err: err) { () throws(LSMError) -> DatabaseInfo in
            let db = try Database.open(directory)
            do throws(LSMError) {
                try db.checkpoint(to: destination)
            } catch {
                try? db.close()
                throw error
            }
            try db.close()
            return try Database.info(at: destination)
        }
        guard let info = written else { return 1 }
        out.line("OK: checkpoint of \(directory) written to \(destination): "
                 + "\(InspectionText.count(info.tableCount, "table")) (\(InspectionText.size(info.tableBytes))), "
                 + "\(InspectionText.count(info.logs.count, "log")) (\(InspectionText.size(info.logBytes))).")
        return 0
    }
}
