import ArgumentParser
import LSM

/// `lsm repair DIR`: rebuilds a database that cannot be opened from the tables and logs it finds.
struct RepairCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Rebuild a damaged database from the tables and logs in its directory.",
        discussion: """
            For a database that open or check refuses (a damaged or missing manifest or CURRENT, a missing, \
            damaged or foreign table or log). Reads every table (the readable blocks of a damaged one) and every \
            intact log record, keeps the newest readable write of each key, writes them into new tables listed by \
            a new manifest, and moves every file it no longer uses into DIR/lost/. Nothing is deleted. Lost for \
            good: entries in damaged blocks and records, unreadable tables and files of another database (set \
            aside in DIR/lost/). The database must not be open. Prints what it did; exits 0 when the database was \
            rebuilt, 1 otherwise.
            """
    )

    @Argument(help: "The database directory.")
    var directory: String

    /// Repairs the database, printing what was done to `out` (or one line on `err` on failure). Returns the exit
    /// status.
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        let repaired = InspectionText.reading(directory, err: err) { () throws(LSMError) in
            try Database.repair(at: directory)
        }
        guard let report = repaired else { return 1 }
        out.line("Repairing database: \(report.path) (database \(report.databaseID))")
        for note in report.notes { out.line("note: \(note)") }
        out.line("Read \(InspectionText.count(report.tablesRead, "table")) whole and salvaged "
                 + "\(InspectionText.count(report.tablesSalvaged, "damaged table")); read "
                 + "\(InspectionText.count(report.logRecordsRead, "record")) from "
                 + "\(InspectionText.count(report.logsRead, "log")) (\(report.logBytesSkipped) bytes skipped).")
        out.line("Wrote \(InspectionText.count(report.keyCount, "key")) into "
                 + "\(InspectionText.count(report.tablesWritten, "table")), up to sequence \(report.lastSequence).")
        if !report.movedToLost.isEmpty {
            out.line("Moved \(InspectionText.count(report.movedToLost.count, "file")) into "
                     + "\(directory)/lost/: \(report.movedToLost.joined(separator: " "))")
        }
        out.line("OK: repaired.")
        return 0
    }
}
