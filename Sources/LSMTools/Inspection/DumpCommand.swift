import ArgumentParser
import LSM

/// `lsm dump FILE.sst`: the entries of one table file, and with `--meta` its layout, index, filter and properties.
struct DumpCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the entries of a table file (NNNNNN.sst).",
        discussion: """
            Prints a header, then one KEY | VALUE row per key in key order: the key's newest entry in this table, \
            skipped when that entry is a tombstone (what a read of this table alone would return). With \
            --internal, every entry is printed, older versions and tombstones included, with its sequence number \
            and kind. Keys and values use the CLI's quoting (or hexadecimal with --hex); text longer than the \
            column is cut with "...". Reads the file only, so it works on a database another process has open. \
            Exits 1 when the file is missing, not a table, or damaged (naming the offset).
            """
    )

    @Argument(help: "The table file.")
    var file: String

    @Flag(name: .customLong("internal"), help: "Print every entry with its sequence number and kind.")
    var showsInternalKeys = false

    @Flag(help: "Print the footer, index entries, filter and block statistics before the rows.")
    var meta = false

    @Option(parsing: .unconditional, help: "Print at most this many rows.")
    var limit: Int?

    @Flag(help: "Print keys and values in hexadecimal.")
    var hex = false

    @Option(
        parsing: .unconditional,
        help: "Column width in characters; longer keys and values are cut (0: never cut).")
    var width = InspectionText.defaultWidth

    /// Dumps the table to `out`; reports failures as one line on `err`. Returns the exit status: 0, 1 when the
    /// file could not be read to the end, 2 for a bad option.
    func execute(out: OutputSink, err: OutputSink) -> Int32 {
        let refusal = OptionError.refusal(tool: "dump", err: err) { () throws(OptionError) in
            if let limit { try OptionError.check("--limit", limit, in: 0...Int.max) }
            try InspectionText.checkWidth(width)
        }
        if let refusal { return refusal }
        let opened = InspectionText.reading(file, err: err) { () throws(LSMError) in try TableFile.open(file) }
        guard let table = opened else { return 1 }
        out.line("--- Dumping SSTable: \(file) ---")
        let printed: Void? = InspectionText.reading(file, err: err) { () throws(LSMError) in
            if meta { try printMeta(table, out: out) }
            try printRows(table, out: out)
        }
        return printed == nil ? 1 : 0
    }

    /// The rows, then a line counting them.
    private func printRows(_ table: TableFile, out: OutputSink) throws(LSMError) {
        let text = InspectionText(hex: hex, width: width)
        let titles = showsInternalKeys ? ["KEY", "SEQUENCE", "KIND", "VALUE"] : ["KEY", "VALUE"]
        out.line(row(titles, text))
        let cursor = table.entries()
        let rangeDeletions = table.rangeDeletions
        var rows = 0
        var previousKey: [UInt8]?
        // A failed write to `out` ends the dump: nothing more can be seen.
        while !out.hasFailed, let entry = try cursor.next() {
            if !showsInternalKeys {
                // Entries of a key come newest first: only the first one counts, and only if it is a value that
                // none of the table's range deletions deletes.
                let isNewest = entry.key.userKey != previousKey
                previousKey = entry.key.userKey
                if !isNewest || entry.key.kind == .deletion { continue }
                let key = entry.key.userKey
                if rangeDeletions.contains(where: { deletion in
                    deletion.sequence > entry.key.sequence && !key.lexicographicallyPrecedes(deletion.start)
                        && key.lexicographicallyPrecedes(deletion.end)
                }) { continue }
            }
            if let limit, rows >= limit {
                out.line("--- \(rows) \(rows == 1 ? "row" : "rows") (limit reached) ---")
                return
            }
            let key = text.cut(text.bytes(entry.key.userKey))
            let expiry = entry.expiresAt.map { " (expires at \($0))" } ?? ""
            let value = entry.key.kind == .deletion ? "" : text.cut(text.bytes(entry.value)) + expiry
            out.line(row(showsInternalKeys ? [key, String(entry.key.sequence), "\(entry.key.kind)", value]
                                           : [key, value], text))
            rows += 1
        }
        out.line("--- \(rows) \(rows == 1 ? "row" : "rows") ---")
        guard !rangeDeletions.isEmpty else { return }
        for deletion in rangeDeletions {
            out.line("DELRANGE \(text.cut(text.bytes(deletion.start))) .. \(text.cut(text.bytes(deletion.end))) "
                     + "@\(deletion.sequence)")
        }
        out.line("--- \(rangeDeletions.count) range \(rangeDeletions.count == 1 ? "deletion" : "deletions") ---")
    }

    /// Columns joined by ` | `, each but the last padded to its width, without trailing spaces.
    private func row(_ columns: [String], _ text: InspectionText) -> String {
        var widths = [text.width]
        if showsInternalKeys { widths += ["SEQUENCE".count, "DELETE".count] }
        var line = ""
        for (index, column) in columns.enumerated() {
            if index > 0 { line += " | " }
            line += index < widths.count ? TerminalText.padRight(column, widths[index]) : column
        }
        while line.last == " " { line.removeLast() }
        return line
    }

    /// Properties, footer, filter, block statistics and the index entries.
    private func printMeta(_ table: TableFile, out: OutputSink) throws(LSMError) {
        let text = InspectionText(hex: hex, width: width)
        let p = table.properties
        let footer = table.footer
        let index = try table.indexEntries()
        func field(_ label: String, _ value: String) { out.line(TerminalText.padRight(label + ":", 20) + value) }
        field("File size", "\(p.fileSize) bytes")
        field("Format version", "\(p.formatVersion)")
        if let databaseID = p.databaseID, let number = p.fileNumber {
            field("Written by", "database \(databaseID), as file \(number)")
        }
        if let range = p.sequenceRange { field("Sequences", "\(range.lowerBound)...\(range.upperBound)") }
        field("Entries", "\(p.entryCount) (\(InspectionText.count(p.deletionCount, "tombstone")))")
        field("Raw key bytes", "\(p.rawKeyBytes)")
        field("Raw value bytes", "\(p.rawValueBytes)")
        field("Smallest key", text.key(p.smallest))
        field("Largest key", text.key(p.largest))
        field("Footer", "offset \(footer.offset), 64 bytes")
        field("  Filter block", footer.filter.map { "\($0)" } ?? "none")
        field("  Properties block", "\(footer.properties)")
        field("  Index block", "\(footer.index)")
        if let filter = table.filter {
            let perEntry = p.entryCount > 0 ? Double(filter.bitCount) / Double(p.entryCount) : 0
            field("Filter", "\(filter.bitCount) bits, \(filter.probeCount) probes, \(filter.byteCount) bytes "
                  + "(\(DecimalText.fixed(perEntry, 1)) bits per entry)")
        } else {
            field("Filter", "none")
        }
        let sizes = index.map(\.block.size)
        if let smallest = sizes.min(), let largest = sizes.max() {
            let average = sizes.reduce(0, &+) / UInt64(sizes.count)
            let compressed = index.filter { $0.compression == .lz4 }.count
            field("Data blocks", "\(p.dataBlockCount) (sizes: min \(smallest), average \(average), max \(largest) "
                  + "bytes" + (compressed > 0 ? "; \(compressed) compressed with LZ4" : "") + ")")
        } else {
            field("Data blocks", "\(p.dataBlockCount)")
        }
        field("Index entries", "\(index.count)")
        for (number, entry) in index.enumerated() where !out.hasFailed {
            let stored = switch entry.compression {
            case .none?: ""
            case .lz4?: ", lz4"
            case nil: ", unknown block type"
            }
            out.line("  #\(number) \(text.key(entry.separator)) -> \(entry.block)\(stored)")
        }
    }
}
