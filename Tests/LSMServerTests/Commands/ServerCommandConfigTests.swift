import LSM
import Testing
@testable import LSMServer

/// CONFIG GET, SET, RESETSTAT, REWRITE and HELP.
@Suite struct ServerCommandConfigTests {
    /// CONFIG GET's reply as name/value pairs.
    private func get(_ harness: ServerHarness, _ patterns: String...) -> [(String, String)] {
        let reply = harness.run((["CONFIG", "GET"] + patterns).map { Array($0.utf8) })
        return (ReplyReading.pairs(reply) ?? []).map { ($0.key, ReplyReading.string($0.value) ?? "?") }
    }

    @Test func theSettingsRedisBenchmarkReadsAtStartupAnswer() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CONFIG", "GET", "save") == "*2\r\n$4\r\nsave\r\n$0\r\n\r\n")
        #expect(harness.resp2("CONFIG", "GET", "appendonly") == "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n")
        harness.run("HELLO", "3")
        #expect(harness.resp2("CONFIG", "GET", "appendonly") == "%1\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n")
    }

    @Test func getShowsEverySettingsValue() throws {
        let harness = try ServerHarness {
            $0.port = 7000
            $0.maxClients = 123
            $0.timeout = 45
            $0.appendFsync = .always
            $0.requirePass = "pw"
            $0.outputBufferLimit = OutputBufferLimit(hardBytes: 10, softBytes: 5, softSeconds: 3)
        }
        let values = Dictionary(uniqueKeysWithValues: get(harness, "*"))
        #expect(values.count == ServerCommands.configSettings.count)
        #expect(values["port"] == "7000" && values["bind"] == "127.0.0.1")
        #expect(values["maxclients"] == "123" && values["timeout"] == "45")
        #expect(values["appendfsync"] == "always" && values["requirepass"] == "pw")
        #expect(values["client-output-buffer-limit"] == "normal 10 5 3")
        #expect(values["databases"] == "16" && values["save"] == "" && values["appendonly"] == "yes")
        #expect(values["proto-max-bulk-len"] == "536870912" && values["client-query-buffer-limit"] == "1073741824")
        // dir is absolute, as Redis's working directory is.
        let directoryName = String(harness.directory.split(separator: "/").last ?? "")
        #expect(values["dir"]?.hasPrefix("/") == true && values["dir"]?.hasSuffix("/" + directoryName) == true)
    }

    @Test func getMatchesGlobsRegardlessOfCaseAndNamesEachSettingOnce() throws {
        let harness = try ServerHarness()
        #expect(get(harness, "max*").map(\.0) == ["maxclients"])
        #expect(get(harness, "MAX*").map(\.0) == ["maxclients"])
        #expect(get(harness, "client-*-limit").map(\.0) == ["client-output-buffer-limit", "client-query-buffer-limit"])
        #expect(get(harness, "maxclients", "max*", "timeout").map(\.0) == ["maxclients", "timeout"])
        // A plain name is looked up in any case, and the reply spells it as asked.
        #expect(get(harness, "MaxClients").map(\.0) == ["MaxClients"])
        #expect(get(harness, "nosuch", "no*").isEmpty)
        #expect(harness.resp2("CONFIG", "GET") == "-ERR wrong number of arguments for 'config|get' command\r\n")
    }

    @Test func setChangesSeveralSettingsAtOnce() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CONFIG", "SET", "maxclients", "50", "TIMEOUT", "30") == "+OK\r\n")
        let configuration = harness.state.configuration.withLockedValue { $0 }
        #expect(configuration.maxClients == 50 && configuration.timeout == 30)
        #expect(get(harness, "maxclients", "timeout").map(\.1) == ["50", "30"])
    }

    @Test func setChangesNothingWhenAnyValueIsRefused() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CONFIG", "SET", "maxclients", "50", "timeout", "-1")
                    == "-ERR CONFIG SET failed (possibly related to argument 'timeout') - 'timeout' must be an "
                    + "integer from 0 to 2147483647, not '-1'\r\n")
        #expect(harness.state.configuration.withLockedValue { $0.maxClients } == 10_000)
    }

    @Test func setRefusesImmutableUnknownAndRepeatedSettings() throws {
        let harness = try ServerHarness()
        for name in ["port", "dir", "bind", "appendfsync", "proto-max-bulk-len", "client-query-buffer-limit",
                     "databases", "io-threads"] {
            #expect(harness.resp2("CONFIG", "SET", "timeout", "5", name, "1")
                        == "-ERR CONFIG SET failed (possibly related to argument '\(name)') - can't set immutable "
                        + "config\r\n")
        }
        #expect(harness.resp2("CONFIG", "SET", "APPENDFSYNC", "no")
                    == "-ERR CONFIG SET failed (possibly related to argument 'APPENDFSYNC') - can't set immutable "
                    + "config\r\n")
        #expect(harness.resp2("CONFIG", "SET", "maxmemory", "1gb")
                    == "-ERR Unknown option or number of arguments for CONFIG SET - 'maxmemory'\r\n")
        #expect(harness.resp2("CONFIG", "SET", "timeout", "5", "TIMEOUT", "6")
                    == "-ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter\r\n")
        #expect(harness.resp2("CONFIG", "SET", "timeout", "5", "maxclients") == "-ERR syntax error\r\n")
        #expect(harness.resp2("CONFIG", "SET", "timeout")
                    == "-ERR wrong number of arguments for 'config|set' command\r\n")
        let configuration = harness.state.configuration.withLockedValue { $0 }
        #expect(configuration.timeout == 0 && configuration.appendFsync == .everysec)
    }

    @Test func requirepassTakesEffectForConnectionsThatAuthenticateAfterIt() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CONFIG", "SET", "requirepass", "two words") == "+OK\r\n")
        #expect(harness.state.requirePass == "two words")
        // This connection stays authenticated, as in Redis; AUTH now needs the password.
        #expect(harness.resp2("PING") == "+PONG\r\n")
        #expect(harness.resp2("AUTH", "two words") == "+OK\r\n")
        #expect(harness.resp2("AUTH", "two") == "-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        #expect(harness.resp2("CONFIG", "SET", "requirepass", "") == "+OK\r\n")
        #expect(harness.state.requirePass == nil)
    }

    @Test func outputBufferLimitIsSetFromItsWords() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 512kb 10") == "+OK\r\n")
        #expect(harness.state.configuration.withLockedValue { $0.outputBufferLimit }
                    == OutputBufferLimit(hardBytes: 1 << 20, softBytes: 512 << 10, softSeconds: 10))
        #expect(get(harness, "client-output-buffer-limit").map(\.1) == ["normal 1048576 524288 10"])
        #expect(ReplyReading.error(harness.run("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb"))?
                    .hasPrefix("ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit')")
                    == true)
    }

    @Test func appendonlyAndSaveAcceptWhatTheServerDoes() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CONFIG", "SET", "appendonly", "yes", "save", "") == "+OK\r\n")
        #expect(harness.resp2("CONFIG", "SET", "save", "3600 1 300 100") == "+OK\r\n")
        #expect(get(harness, "save").map(\.1) == [""])
        #expect(ReplyReading.error(harness.run("CONFIG", "SET", "appendonly", "no"))?
                    .hasPrefix("ERR CONFIG SET failed (possibly related to argument 'appendonly') - ") == true)
    }

    @Test func resetstatZeroesTheCounters() throws {
        let harness = try ServerHarness()
        harness.run("GET", "missing")
        harness.run("SAVE")
        #expect(harness.resp2("CONFIG", "RESETSTAT") == "+OK\r\n")
        let fields = ReplyReading.infoFields(harness.run("INFO"))
        // INFO itself is the one command counted since.
        #expect(fields["total_commands_processed"] == "1")
        #expect(fields["keyspace_misses"] == "0")
        #expect(fields["rdb_saves"] == "0")
    }

    @Test func rewriteHelpAndUnknownSubcommands() throws {
        let harness = try ServerHarness()
        #expect(ReplyReading.error(harness.run("CONFIG", "REWRITE"))?.hasPrefix("ERR CONFIG REWRITE is not supported")
                    == true)
        #expect(harness.resp2("CONFIG", "LOAD") == "-ERR unknown subcommand 'LOAD'. Try CONFIG HELP.\r\n")
        let help = ReplyReading.strings(harness.run("CONFIG", "HELP")) ?? []
        #expect(help.first == "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        #expect(help.contains("GET <pattern>"))
    }
}
