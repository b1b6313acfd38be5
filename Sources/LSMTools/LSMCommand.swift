import ArgumentParser

/// The `lsm` command: tools for looking inside and exercising swift-lsm databases.
public struct LSMCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lsm",
        abstract: "Tools for swift-lsm databases.",
        version: "swift-lsm 0.1.0 (storage format 2; reads 1)",
        subcommands: [CLICommand.self, DumpCommand.self, WALDumpCommand.self, InfoCommand.self, CheckCommand.self,
                      RepairCommand.self, StressCommand.self, BenchCommand.self]
    )

    public init() {}
}
