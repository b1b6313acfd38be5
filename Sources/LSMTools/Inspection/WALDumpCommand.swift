import ArgumentParser
import LSM

/// `lsm wal-dump FILE.wal`: every record of a write-ahead log, with its offset, sequence numbers and operations.
struct WALDumpCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-dump",
        abstract: "Print the records of a write-ahead log (NNNNNN.wal).",
        discussion: """
            Prints a header, then each record: its byte offset, and its operations (sequence number, PUT or \
            DELETE, key and value). A record holding several operations (a batch, or writers committed together) \
            is shown as a group. A torn last record (a write cut short by a crash, never acknowledged) is \
            reported and exits 0; any other damage is reported with its offset and exits 1, as does a file that \
            is not a log. A log of format version 2 starts with a header naming its database and file number, \
            printed first. An empty file is an empty log. Reads the file only.
            """
    )

    @Argument(help: "The write-ahead log file.")
    var file: String

    @Flag(help: "Print keys and values in hexadecimal.")
    var hex = false

    @Option(
        parsing: .unconditional, help: "Width in characters past which keys and values are cut (0: never cut).")
    var width = InspectionText.defaultWidth

    /// Dumps the log to `out`; reports failures as one line on `err`. Returns the exit status: 0 when the log
    /// reads to its end (a torn tail included), 1 otherwise, 2 for a bad option.
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        let refusal = OptionError.refusal(tool: "wal-dump", err: err) { () throws(OptionError) in
            try InspectionText.checkWidth(width)
        }
        if let refusal { return refusal }
        let opened = InspectionText.reading(file, err: err) { () throws(LSMError) in try LogFile.open(file) }
        guard let log = opened else { return 1 }
        // A manifest shares the log framing; its records are version edits, not write batches. Its file header
        // says so (format version 2); an older one is known by its name.
        if log.isManifest || file.split(separator: "/").last?.hasPrefix("MANIFEST-") == true {
            err.line("lsm: \(file): not a write-ahead log: the file is a manifest (a log of version edits)")
            return 1
        }
        if (try? TableFile.open(file)) != nil {
            err.line("lsm: \(file): not a write-ahead log: the file is a table (use lsm dump)")
            return 1
        }
        out.line("--- Dumping WAL: \(file) ---")
        if let databaseID = log.databaseID, let number = log.fileNumber {
            out.line("Log format 2: database \(databaseID), file number \(number)")
        }
        let text = InspectionText(hex: hex, width: width)
        var records = 0
        var operations = 0
        let read: Void? = InspectionText.reading(file, err: err) { () throws(LSMError) in
            // A failed write to `out` ends the dump: nothing more can be seen.
            while !out.hasFailed, let record = try log.next() {
                for line in describe(record, text) { out.line(line) }
                records += 1
                operations += record.operations.count
            }
        }
        if read == nil { return 1 }
        if let tear = log.tornTail {
            // Random bytes or a file of another kind read as a log whose very first record is torn.
            guard records > 0 else {
                err.line("lsm: \(file): not a write-ahead log: no intact record (\(tear.reason) at offset "
                         + "\(tear.offset))")
                return 1
            }
            out.line("Torn tail at offset \(tear.offset): \(tear.reason) (a write cut short by a crash, never "
                     + "acknowledged)")
        }
        out.line("--- \(records) \(records == 1 ? "record" : "records"), \(operations) "
                 + "\(operations == 1 ? "operation" : "operations"), \(log.size) bytes ---")
        return 0
    }

    /// A one-operation record as one line; a larger one as a heading and one indented line per operation.
    private func describe(_ record: LogFile.Record, _ text: InspectionText) -> [String] {
        func operation(_ op: LogFile.Operation) -> String {
            let key = text.cut(text.bytes(op.key))
            let kind = TerminalText.padRight("\(op.kind)", "DELETE".count)
            let expiry = op.expiresAt.map { " (expires at \($0))" } ?? ""
            switch op.kind {
            case .deletion: return "seq \(op.sequence) \(kind) \(key)"
            case .rangeDeletion: return "seq \(op.sequence) \(kind) \(key) .. \(text.cut(text.bytes(op.value)))"
            case .value, .expiringValue:
                return "seq \(op.sequence) \(kind) \(key) | \(text.cut(text.bytes(op.value)))\(expiry)"
            }
        }
        let offset = "@\(record.offset)"
        switch record.operations.count {
        case 0:
            return ["\(offset) empty batch at seq \(record.firstSequence)"]
        case 1:
            return ["\(offset) \(operation(record.operations[0]))"]
        default:
            let count = record.operations.count
            let last = record.firstSequence + UInt64(count) - 1
            return ["\(offset) batch of \(count) operations, seq \(record.firstSequence)...\(last)"]
                + record.operations.map { "    " + operation($0) }
        }
    }
}
