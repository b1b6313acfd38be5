import ArgumentParser
import LSM

/// `lsm info DIR`: the shape of a database's tree, from its manifest, without opening the database.
struct InfoCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a database's levels, tables, key ranges, counters and logs.",
        discussion: """
            Reads CURRENT and the manifest without taking the database's lock, so it works while another process \
            has the database open; it then shows the last state that process made durable in the manifest (writes \
            still in its memtable and logs are not in the tables shown). Exits 1 when DIR is not a database or its \
            manifest is damaged.
            """
    )

    @Argument(help: "The database directory.")
    var directory: String

    @Flag(help: "Print keys in hexadecimal.")
    var hex = false

    /// Prints the database's shape to `out`, or one line on `err` when it cannot be read. Returns the exit status.
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        let read = InspectionText.reading(directory, err: err) { () throws(LSMError) in
            try Database.info(at: directory)
        }
        guard let info = read else { return 1 }
        let text = InspectionText(hex: hex)
        out.line("Database: \(info.path)")
        out.line("Manifest: \(info.manifestName)")
        let upgrade = info.formatVersion < DatabaseInfo.currentFormatVersion ? " (upgraded by the next open)" : ""
        out.line("Storage format: \(info.formatVersion)" + upgrade)
        if let databaseID = info.databaseID { out.line("Database identity: \(databaseID)") }
        out.line("Last sequence: \(info.lastSequence)")
        out.line("Log number: \(info.logNumber)")
        out.line("Next file number: \(info.nextFileNumber)")
        for level in info.levels {
            guard !level.tables.isEmpty else {
                out.line("Level \(level.level): empty")
                continue
            }
            out.line("Level \(level.level): \(InspectionText.count(level.tables.count, "table")), "
                     + "\(InspectionText.size(level.bytes)), \(Self.entries(level.entryCount))")
            for table in level.tables {
                let rangeDeletions = table.rangeDeletionCount == 0 ? ""
                    : "  " + InspectionText.count(table.rangeDeletionCount, "range deletion")
                out.line("  \(table.name)  \(table.size) bytes  \(Self.entries(table.entryCount))\(rangeDeletions)  "
                         + "\(text.key(table.smallest)) .. \(text.key(table.largest))")
            }
        }
        out.line("Logs: \(InspectionText.count(info.logs.count, "file")), \(InspectionText.size(info.logBytes))")
        for log in info.logs {
            let state = !log.isLive ? "obsolete (deleted at the next open)"
                : log.closedSize.map { "live, closed at \($0) bytes" } ?? "live, open"
            out.line("  \(log.name)  \(log.size) bytes  \(state)")
        }
        out.line("Total: \(InspectionText.count(info.tableCount, "table")), \(InspectionText.size(info.tableBytes)), "
                 + "\(Self.entries(info.entryCount))")
        out.line("Estimated live keys: " + Self.estimatedKeys(info))
        out.line("(Read from the manifest without the database's lock: a process that has the database open may have "
                 + "moved on.)")
        return 0
    }

    private static func entries(_ n: UInt64) -> String { InspectionText.count(n, "entry", "entries") }

    /// The estimated live keys of the tables, or why there is none when a table cannot be read.
    private static func estimatedKeys(_ info: DatabaseInfo) -> String {
        do {
            return "\(try info.estimatedKeyCount()) (the tables' entries less twice their deletions; writes in the "
                + "logs not counted)"
        } catch {
            return "unknown (\(error.conciseDescription))"
        }
    }
}
