import LSM

/// A command-line option whose value the tool cannot use: a usage error, printed as `lsm TOOL: MESSAGE` with exit
/// status 2 before the tool does anything.
///
/// Numeric options are parsed with `.unconditional`, so a negative number reaches these checks (instead of the
/// argument parser's "Missing value") and is refused with the allowed range.
struct OptionError: Error, Equatable, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }

    /// The memtable sizes the tools accept (`--memtable-size`): the engine takes any positive size, but a memtable
    /// lives in memory whole, so the tools stop at 1 GiB.
    static let memtableSizes = 1...(1 << 30)

    /// Throws unless `value` is in `range` or is `special` (a value with a meaning of its own, such as 0 for "never
    /// cut"); the message names the option, the values allowed (in `unit`, if given) and the value given.
    static func check<T: FixedWidthInteger>(
        _ option: String, _ value: T, in range: ClosedRange<T>, orSpecial special: T? = nil, unit: String? = nil
    ) throws(OptionError) {
        if range.contains(value) || value == special { return }
        var allowed =
            range.upperBound == T.max ? "at least \(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
        if let special { allowed = "\(special) or \(allowed)" }
        if let unit { allowed += " " + unit }
        throw OptionError("\(option) must be \(allowed), got \(value)")
    }

    /// The help of `--compression`, which `lsm cli`, `lsm bench` and `lsm stress` share.
    static let compressionHelp =
        "How new tables' data blocks are stored: none or lz4 (Options.compression; default none)."

    /// The value of `--compression`: a ``Compression`` by name.
    static func compression(_ name: String) throws(OptionError) -> Compression {
        guard let compression = Compression(rawValue: name) else {
            let names = Compression.allCases.map(\.rawValue).joined(separator: " or ")
            throw OptionError("--compression must be \(names), got \(name)")
        }
        return compression
    }

    /// Runs `check`; when it throws, prints `lsm TOOL: MESSAGE` on `err` and returns the exit status 2, else nil.
    static func refusal(tool: String, err: OutputSink, _ check: () throws(OptionError) -> Void) -> Int32? {
        do {
            try check()
            return nil
        } catch {
            err.line("lsm \(tool): \(error)")
            return 2
        }
    }
}
