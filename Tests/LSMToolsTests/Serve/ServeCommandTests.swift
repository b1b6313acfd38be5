import Foundation
import Testing
@testable import LSMTools

extension ServeTests {
    /// `lsm serve`'s command line and configuration file: what is refused before anything listens or is opened.
    @Suite struct ServeCommandTests {
        @Test(arguments: [
            (["--port", "70000"], "lsm serve: 'port' must be an integer from 0 to 65535, not '70000'"),
            (["--appendfsync", "sometimes"], "lsm serve: 'appendfsync' must be always, everysec or no, not 'sometimes'"),
            (["--maxclients", "0"], "lsm serve: 'maxclients' must be an integer from 1 to 1000000, not '0'"),
        ])
        func badSettingsExitWithStatusTwoNamingTheSetting(arguments: [String], message: String) throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            let run = try runTool(ServeCommand.self, [scratch.path + "/data"] + arguments)
            #expect(run.status == 2)
            #expect(run.err == message + "\n", "\(run)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/data"), "nothing was created")
        }

        @Test func aConfigurationFileWithABadLineIsRefusedNamingTheFileAndLine() throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            let file = scratch.path + "/lsm.conf"
            try "port 7001\nappendfsync sometimes\n".write(toFile: file, atomically: true, encoding: .utf8)
            let run = try runTool(ServeCommand.self, ["--config", file])
            #expect(run.status == 2)
            #expect(run.err == "lsm serve: \(file): line 2: 'appendfsync' must be always, everysec or no, not "
                        + "'sometimes'\n", "\(run)")
            let missing = try runTool(ServeCommand.self, ["--config", scratch.path + "/none.conf"])
            #expect(missing.status == 2)
            #expect(missing.err.contains("cannot read the configuration file"), "\(missing)")
        }
    }
}
