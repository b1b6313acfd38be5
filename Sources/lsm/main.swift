import ArgumentParser
import LSM

/// The `lsm` command: tools for looking inside and exercising swift-lsm databases.
@main
struct LSMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsm",
        abstract: "Tools for swift-lsm databases.",
        discussion: """
            The subcommands (cli, dump, wal-dump, info, check, stress, bench, serve) arrive with their issues; \
            this build offers --version and --help.
            """,
        version: "swift-lsm 0.1.0 (storage format 1)"
    )
}
