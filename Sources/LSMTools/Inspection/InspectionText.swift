import ArgumentParser
import LSM

/// Text helpers shared by `dump`, `wal-dump`, `info` and `check`: how bytes, keys, sizes and errors are shown.
struct InspectionText {
    /// Characters a key or value column gets before it is cut.
    static let defaultWidth = 40

    /// The widest column `--width` allows: four times the longest key, so any key can be shown whole (each byte
    /// takes at most 4 characters, `\xHH`), while padding stays far from overflowing.
    static let maxWidth = 4 * Limits.maxKeySize + 2

    /// Refuses a `--width` that is neither 0 (never cut) nor 4 (room for one character and "...") to
    /// ``maxWidth``.
    static func checkWidth(_ width: Int) throws(OptionError) {
        try OptionError.check("--width", width, in: 4...maxWidth, orSpecial: 0)
    }

    /// Show bytes in hexadecimal instead of the CLI's quoting.
    var hex = false
    /// Column width; text longer than this is cut with "...". 0 never cuts.
    var width = InspectionText.defaultWidth

    /// `bytes` in the CLI's quoting, or lowercase hexadecimal (`""` for none).
    func bytes(_ bytes: [UInt8]) -> String {
        guard hex else { return Quoting.format(bytes) }
        if bytes.isEmpty { return "\"\"" }
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes { Quoting.appendHex(byte, to: &text) }
        return text
    }

    /// `text` cut to ``width`` columns, its end replaced by "...", when wider.
    func cut(_ text: String) -> String {
        width > 0 ? TerminalText.cut(text, width) : text
    }

    /// An internal key as `KEY @SEQUENCE KIND`; the highest sequence (index separators) is shown as `max`.
    func key(_ key: InspectedKey) -> String {
        let sequence = key.sequence == InspectedKey.maxSequence ? "max" : String(key.sequence)
        return "\(cut(bytes(key.userKey))) @\(sequence) \(key.kind)"
    }

    /// `n noun`, with the plural when `n` is not 1.
    static func count(_ n: some BinaryInteger, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    /// `n bytes`, followed by the size in KiB, MiB or GiB once it reaches 1 KiB.
    static func size(_ bytes: UInt64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = -1
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit < 0 ? "\(bytes) bytes" : "\(bytes) bytes (\(DecimalText.fixed(value, 1)) \(units[unit]))"
    }

    /// The one line a tool prints for a failure: `lsm: FILE: KIND: MESSAGE at offset N`, naming the file the error
    /// names (else `file`).
    static func errorLine(_ error: LSMError, file: String) -> String {
        var line = "lsm: \(error.path ?? file): \(error.code): \(error.message)"
        if let offset = error.offset { line += " at offset \(offset)" }
        return line
    }

    /// What `body` returns from reading `file`, or nil once its error is printed on `err` as ``errorLine(_:file:)``
    /// makes it.
    static func reading<T>(_ file: String, err: OutputSink, _ body: () throws(LSMError) -> T) -> T? {
        do {
            return try body()
        } catch {
            err.line(errorLine(error, file: file))
            return nil
        }
    }
}

extension LSMError {
    /// ``description``, naming the file once. A background error's message holds the description of the failure
    /// behind it, file, offset and errno included, and the library appends the same file again; then only the
    /// code and message are shown.
    var conciseDescription: String {
        guard let path, message.contains("(file \(path)") else { return description }
        return "\(code): \(message)"
    }
}
