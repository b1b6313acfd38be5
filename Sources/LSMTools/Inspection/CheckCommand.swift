import ArgumentParser
import LSM

/// `lsm check DIR`: reads every live file of a database end to end and reports damage and inconsistencies.
struct CheckCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify a database: every checksum, key order, and the manifest's agreement with the files.",
        discussion: """
            Reads the manifest, every table it lists (checksums, key order inside and across tables, keys and \
            sizes against the manifest) and every live write-ahead log. Prints each problem and warning with its \
            file and offset, then a summary. Exits 0 when no problem was found (warnings, such as a torn last log \
            record left by a crash, are allowed) and 1 otherwise. Takes no lock and writes nothing, so it can run \
            while another process has the database open.
            """
    )

    @Argument(help: "The database directory.")
    var directory: String

    /// Checks the database, printing findings and a summary to `out` (or one line on `err` when there is no
    /// database to check). Returns the exit status: 0 when clean, 1 otherwise.
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        let checked = InspectionText.reading(directory, err: err) { () throws(LSMError) in
            try Database.check(at: directory)
        }
        guard let report = checked else { return 1 }
        out.line("Checking database: \(report.path)")
        for problem in report.problems { out.line("problem: \(problem)") }
        for warning in report.warnings { out.line("warning: \(warning)") }
        out.line("Checked \(InspectionText.count(report.tableCount, "table")) "
                 + "(\(InspectionText.count(report.entryCount, "entry", "entries")), \(report.tableBytes) bytes) and "
                 + "\(InspectionText.count(report.logCount, "log")) "
                 + "(\(InspectionText.count(report.logRecordCount, "record")), "
                 + "\(InspectionText.count(report.logOperationCount, "operation")), \(report.logBytes) bytes).")
        let warnings = InspectionText.count(report.warnings.count, "warning")
        if report.isClean {
            out.line("OK: no problems, \(warnings).")
            return 0
        }
        out.line("FAILED: \(InspectionText.count(report.problems.count, "problem")), \(warnings).")
        return 1
    }
}
