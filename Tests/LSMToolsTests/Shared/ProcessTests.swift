import Foundation
import LSM
import Testing
@testable import LSMTools

/// The `lsm` executable as a shell runs it: arguments that are not UTF-8, output that cannot be written, a reader
/// that goes away.
@Suite struct ProcessTests {
    /// A database with one flushed table of `rows` rows and a log holding them too; returns the table's and the
    /// log's paths.
    private static func makeDatabase(_ scratch: Scratch, rows: Int) throws -> (table: String, log: String) {
        var options = Options()
        options.memtableSize = 1 << 30
        let path = try scratch.database(options: options) { database in
            for i in 0..<rows { try database.put("key\(100_000 + i)", "value \(i)") }
        }
        let logs = try Database.info(at: path).logs
        try FileManager.default.copyItem(atPath: path + "/" + logs[0].name, toPath: scratch.file("copy.wal"))
        _ = try scratch.database(options: options) { try $0.flush() }
        let tables = try Database.info(at: path).levels.flatMap(\.tables)
        return (path + "/" + tables[0].name, scratch.file("copy.wal"))
    }

    /// An argument that is not UTF-8 is refused whole, naming it escaped, and nothing is created under a
    /// repaired name.
    @Test func nonUTF8ArgumentIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let run = try runShell(#"cd "$1" && exec "$0" cli "$(printf 'caf\351')""#, [scratch.path], input: "put a 1\n")
        #expect(run.out == "")
        #expect(
            run.err == "lsm: argument 2 is not valid UTF-8: \"caf\\xe9\" (arguments must be UTF-8, so that no byte "
                + "of a path or value is replaced)\n")
        #expect(run.status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
        #expect(ProcessGuards.invalidArgumentMessage([Array("dump".utf8), Array("é".utf8)]) == nil)
        #expect(
            ProcessGuards.invalidArgumentMessage([Array("dump".utf8), [0xC3]])?
                .hasPrefix("lsm: argument 2 is not valid UTF-8: \"\\xc3\"") == true)
    }

    /// Every tool that fails to write its output says so once on standard error and exits 1.
    @Test func fullOutputIsAnError() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (table, log) = try Self.makeDatabase(scratch, rows: 3000)
        let database = scratch.file("db")
        let commands = [
            ["dump", table], ["dump", table, "--meta"], ["wal-dump", log], ["info", database], ["check", database],
            ["cli", database], ["stress", "--ops", "100", "--keys", "100", "--threads", "1"],
            ["bench", "--num", "10", "--benchmarks", "fillseq"],
        ]
        for command in commands {
            let run = try runShell(#"exec "$0" "$@" > /dev/full"#, command, input: "scan\n")
            #expect(run.err == "lsm: cannot write to standard output: No space left on device\n", "\(command)")
            #expect(run.status == 1, "\(command)")
        }
    }

    /// Help and version text, which the argument parser prints through stdio, is checked when it is flushed.
    @Test func fullOutputFailsHelpAndVersion() throws {
        for arguments in [["--help"], ["--version"], ["dump", "--help"]] {
            let run = try runShell(#"exec "$0" "$@" > /dev/full"#, arguments)
            #expect(run.err == "lsm: cannot write to standard output: No space left on device\n", "\(arguments)")
            #expect(run.status == 1, "\(arguments)")
        }
        #expect(try runProcess(try lsmBinary(), ["--version"]).status == 0)
    }

    /// A reader that goes away ends the dump quietly: killed by SIGPIPE, or, where SIGPIPE is ignored, exit 1
    /// without a message.
    @Test func closedPipeEndsQuietly() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (table, log) = try Self.makeDatabase(scratch, rows: 5000)
        let database = scratch.file("db")
        for command in [["dump", table], ["wal-dump", log], ["cli", database]] {
            let ignored = try runShell(
                #"trap "" PIPE; "$0" "$@" | head -c 1 > /dev/null; echo "${PIPESTATUS[0]}""#, command, input: "scan\n")
            #expect(ignored.out == "1\n", "\(command)")
            #expect(ignored.err == "", "\(command)")
            let inherited = try runShell(
                #""$0" "$@" | head -c 1 > /dev/null; echo "${PIPESTATUS[0]}""#, command, input: "scan\n")
            #expect(["1\n", "141\n"].contains(inherited.out), "\(command)")
            #expect(inherited.err == "", "\(command)")
        }
    }

    /// The numeric option that once trapped is refused by the built executable with the usage status.
    @Test func hugeWidthIsAUsageError() throws {
        let run = try runProcess(try lsmBinary(), ["dump", "x.sst", "--width", "9223372036854775807"])
        #expect(run.err == "lsm dump: --width must be 0 or 4...262146, got 9223372036854775807\n")
        #expect(run.status == 2)
    }
}
