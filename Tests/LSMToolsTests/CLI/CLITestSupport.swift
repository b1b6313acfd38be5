import LSM
@testable import LSMTools

/// Runs `lsm cli` in-process with `script` as its standard input, on the database in `directory` (by default a
/// fresh one, removed afterwards).
func runCLI(
    _ script: String, in directory: String? = nil, interactive: Bool = false, options: Options = Options()
) throws -> ToolRun {
    try runCLI(bytes: Array(script.utf8), in: directory, interactive: interactive, options: options)
}

/// Runs `lsm cli` in-process with `bytes` as its standard input.
func runCLI(
    bytes: [UInt8], in directory: String? = nil, interactive: Bool = false, options: Options = Options()
) throws -> ToolRun {
    try runCLI(input: CLILineReader(bytes: bytes), in: directory, interactive: interactive, options: options)
}

/// Runs `lsm cli` in-process reading `input`.
func runCLI(
    input: any CLIInput, in directory: String? = nil, interactive: Bool = false, options: Options = Options()
) throws -> ToolRun {
    guard let directory else {
        let scratch = try Scratch()
        defer { scratch.remove() }
        return try runCLI(input: input, in: scratch.file("db"), interactive: interactive, options: options)
    }
    return ToolRun { out, err in
        CLICommand.runSession(
            directory: directory, options: options, input: input, interactive: interactive, out: out, err: err)
    }
}

/// The byte strings of each line of `text`, undoing the output quoting.
func parsedLines(_ text: String) throws -> [[[UInt8]]] {
    try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { try Quoting.split(String($0)) }
}
