import LSM
import Testing
@testable import LSMServer

/// PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET and CLIENT.
@Suite struct ConnectionCommandTests {
    @Test func pingAnswersPongOrItsArgument() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("PING") == "+PONG\r\n")
        #expect(harness.resp2("ping", "hello") == "$5\r\nhello\r\n")
        #expect(harness.resp2("PING", "a", "b") == "-ERR wrong number of arguments for 'ping' command\r\n")
    }

    @Test func echoReturnsItsArgumentByteForByte() throws {
        let harness = try ServerHarness()
        guard case .bulkString(let bytes) = harness.run([Array("ECHO".utf8), [0, 0xFF, 13, 10]]) else {
            Issue.record("ECHO did not reply a bulk string")
            return
        }
        #expect(bytes == [0, 0xFF, 13, 10])
        #expect(harness.resp2("ECHO") == "-ERR wrong number of arguments for 'echo' command\r\n")
    }

    @Test func helloThreeSwitchesToRESP3AndDescribesTheServer() throws {
        let harness = try ServerHarness()
        let reply = harness.run("HELLO", "3")
        #expect(harness.session.protocolVersion == .resp3)
        #expect(ReplyReading.pairs(reply)?.map(\.key)
                    == ["server", "version", "proto", "id", "mode", "role", "modules"])
        #expect(ReplyReading.value(reply, "proto").flatMap(ReplyReading.integer) == 3)
        #expect(ReplyReading.value(reply, "version").flatMap(ReplyReading.string) == "7.2.0")
        #expect(ReplyReading.value(reply, "id").flatMap(ReplyReading.integer) == Int64(harness.session.id))
        #expect(ReplyReading.encoded(reply, .resp3).hasPrefix("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"))
        // Without a version HELLO keeps the protocol; HELLO 2 goes back, its reply a flat array.
        #expect(ReplyReading.value(harness.run("HELLO"), "proto").flatMap(ReplyReading.integer) == 3)
        #expect(harness.resp2("HELLO", "2").hasPrefix("*14\r\n$6\r\nserver\r\n"))
        #expect(harness.session.protocolVersion == .resp2)
    }

    @Test func helloRefusesUnknownVersionsAndOptionsWithoutChangingTheProtocol() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("HELLO", "4") == "-NOPROTO unsupported protocol version\r\n")
        #expect(harness.resp2("HELLO", "1") == "-NOPROTO unsupported protocol version\r\n")
        #expect(harness.resp2("HELLO", "three") == "-ERR Protocol version is not an integer or out of range\r\n")
        #expect(harness.resp2("HELLO", "3", "VERBOSE") == "-ERR Syntax error in HELLO option 'VERBOSE'\r\n")
        #expect(harness.resp2("HELLO", "3", "AUTH", "default") == "-ERR Syntax error in HELLO option 'AUTH'\r\n")
        #expect(harness.resp2("HELLO", "3", "SETNAME", "has space")
                    == "-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
        #expect(harness.session.protocolVersion == .resp2)
        #expect(harness.session.name == "")
    }

    @Test func helloSetnameNamesTheConnection() throws {
        let harness = try ServerHarness()
        harness.run("HELLO", "3", "SETNAME", "worker-1")
        #expect(harness.session.name == "worker-1")
        #expect(harness.resp2("CLIENT", "GETNAME") == "$8\r\nworker-1\r\n")
    }

    @Test func aPasswordLocksEverythingButAuthHelloAndQuitUntilGiven() throws {
        let harness = try ServerHarness(requirePass: "secret")
        #expect(harness.resp2("GET", "k") == "-NOAUTH Authentication required.\r\n")
        #expect(harness.resp2("PING") == "-NOAUTH Authentication required.\r\n")
        #expect(harness.resp2("HELLO", "3").hasPrefix("-NOAUTH HELLO must be called with the client already "
                                                         + "authenticated"))
        #expect(harness.session.protocolVersion == .resp2)
        #expect(harness.resp2("AUTH", "wrong")
                    == "-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        #expect(harness.resp2("AUTH", "admin", "secret")
                    == "-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        #expect(harness.resp2("AUTH", "a", "b", "c") == "-ERR syntax error\r\n")
        #expect(!harness.session.isAuthenticated)
        #expect(harness.resp2("AUTH", "secret") == "+OK\r\n")
        #expect(harness.resp2("GET", "k") == "$-1\r\n")
    }

    @Test func authWithUserNameChecksTheDefaultUsersPassword() throws {
        let harness = try ServerHarness(requirePass: "secret")
        #expect(harness.resp2("AUTH", "default", "secret") == "+OK\r\n")
        #expect(harness.session.isAuthenticated)
    }

    @Test func failedAuthenticationsCountInInfo() throws {
        let harness = try ServerHarness(requirePass: "secret")
        harness.run("AUTH", "nope")
        harness.run("HELLO", "3", "AUTH", "default", "nope")
        harness.run("AUTH", "secret")
        #expect(ReplyReading.infoFields(harness.run("INFO", "stats"))["acl_access_denied_auth"] == "2")
    }

    @Test func helloAuthAuthenticatesAndSwitchesInOneStep() throws {
        let harness = try ServerHarness(requirePass: "secret")
        #expect(harness.resp2("HELLO", "3", "AUTH", "default", "wrong")
                    == "-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        #expect(harness.session.protocolVersion == .resp2 && !harness.session.isAuthenticated)
        let reply = harness.run("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "app")
        #expect(ReplyReading.value(reply, "proto").flatMap(ReplyReading.integer) == 3)
        #expect(harness.session.isAuthenticated && harness.session.protocolVersion == .resp3)
        #expect(harness.session.name == "app")
    }

    @Test func withoutAPasswordAuthAloneIsAnErrorButTheDefaultUserTakesAnyPassword() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("AUTH", "x") == "-ERR AUTH <password> called without any password configured for "
                    + "the default user. Are you sure your configuration is correct?\r\n")
        // The default user is `nopass`, as in Redis: clients that always send a user name and password work.
        #expect(harness.resp2("AUTH", "default", "anything") == "+OK\r\n")
        #expect(harness.resp2("AUTH", "someone", "anything")
                    == "-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        #expect(ReplyReading.value(harness.run("HELLO", "3", "AUTH", "default", "x"), "proto")
                    .flatMap(ReplyReading.integer) == 3)
    }

    @Test func selectChoosesOneOfSixteenDatabases() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SELECT", "15") == "+OK\r\n")
        harness.run("SET", "k", "in fifteen")
        #expect(harness.resp2("SELECT", "0") == "+OK\r\n")
        #expect(harness.resp2("GET", "k") == "$-1\r\n")
        #expect(harness.resp2("SELECT", "16") == "-ERR DB index is out of range\r\n")
        #expect(harness.resp2("SELECT", "-1") == "-ERR DB index is out of range\r\n")
        #expect(harness.resp2("SELECT", "one") == "-ERR value is not an integer or out of range\r\n")
        #expect(harness.session.database == 0)
        harness.run("SELECT", "15")
        #expect(harness.resp2("GET", "k") == "$10\r\nin fifteen\r\n")
    }

    @Test func quitRepliesOkAndClosesTheConnectionEvenBeforeAuthentication() throws {
        let harness = try ServerHarness(requirePass: "secret")
        let quit = harness.context(after: "QUIT")
        #expect(ReplyReading.string(quit.reply) == "OK")
        #expect(quit.context.closesConnection && !quit.context.suppressesReply)
    }

    @Test func resetRestoresTheNewConnectionStateButTheLibraryName() throws {
        let harness = try ServerHarness(requirePass: "secret")
        harness.run("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "named")
        harness.run("SELECT", "3")
        harness.run("CLIENT", "SETINFO", "LIB-NAME", "redis-py")
        let reset = harness.context(after: "RESET")
        #expect(ReplyReading.string(reset.reply) == "RESET")
        #expect(!reset.context.closesConnection)
        #expect(harness.session.database == 0 && harness.session.protocolVersion == .resp2)
        #expect(harness.session.name == "" && !harness.session.isAuthenticated)
        #expect(harness.session.libraryName == "redis-py")
        #expect(harness.resp2("GET", "k") == "-NOAUTH Authentication required.\r\n")
    }

    @Test func clientSetnameAndGetname() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CLIENT", "GETNAME") == "$-1\r\n")
        #expect(harness.resp2("CLIENT", "SETNAME", "conn-1") == "+OK\r\n")
        #expect(harness.resp2("client", "getname") == "$6\r\nconn-1\r\n")
        #expect(harness.resp2("CLIENT", "SETNAME", "new\nline")
                    == "-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
        #expect(harness.resp2("CLIENT", "SETNAME", "caf\u{E9}")
                    == "-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
        #expect(harness.session.name == "conn-1")
        #expect(harness.resp2("CLIENT", "SETNAME", "") == "+OK\r\n")
        #expect(harness.resp2("CLIENT", "GETNAME") == "$-1\r\n")
        #expect(harness.resp2("CLIENT", "SETNAME")
                    == "-ERR wrong number of arguments for 'client|setname' command\r\n")
        #expect(harness.resp2("CLIENT", "GETNAME", "x")
                    == "-ERR wrong number of arguments for 'client|getname' command\r\n")
    }

    @Test func clientIdAndInfoDescribeThisConnection() throws {
        let harness = try ServerHarness()
        harness.run("SELECT", "2")
        harness.clock.advance(3_000)
        #expect(harness.resp2("CLIENT", "ID") == ":\(harness.session.id)\r\n")
        let info = ReplyReading.string(harness.run("CLIENT", "INFO")) ?? ""
        #expect(info.hasPrefix("id=\(harness.session.id) addr=127.0.0.1:1 laddr=127.0.0.1:6379 name= age=3 idle=0 "))
        #expect(info.contains(" db=2 ") && info.contains(" cmd=client ") && info.contains(" resp=2 "))
        #expect(info.hasSuffix("\n"))
        harness.run("HELLO", "3")
        #expect(ReplyReading.encoded(harness.run("CLIENT", "INFO"), .resp3).hasPrefix("="))
    }

    @Test func clientListShowsEveryConnectionAndFiltersByTypeAndId() throws {
        let harness = try ServerHarness()
        let other = ClientSession(id: harness.state.clients.newID(), address: "127.0.0.1:2",
                                  localAddress: "127.0.0.1:6379", now: harness.clock.now, needsAuthentication: false)
        #expect(harness.state.clients.register(other, limit: 100))
        harness.run("CLIENT", "SETNAME", "me")
        func ids(_ arguments: String...) -> [String] {
            let text = ReplyReading.string(harness.run(arguments.map { Array($0.utf8) })) ?? ""
            return text.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        }
        let me = harness.session.id
        #expect(ids("CLIENT", "LIST") == ["id=\(me)", "id=\(other.id)"])
        // The calling connection's line is as it is now, not as the registry last saw it.
        let list = ReplyReading.string(harness.run("CLIENT", "LIST")) ?? ""
        #expect(list.contains("id=\(me) addr=127.0.0.1:1 laddr=127.0.0.1:6379 name=me "))
        #expect(ids("CLIENT", "LIST", "TYPE", "normal") == ["id=\(me)", "id=\(other.id)"])
        #expect(ids("CLIENT", "LIST", "TYPE", "pubsub") == [])
        #expect(ids("CLIENT", "LIST", "ID", "\(other.id)", "999", "\(me)") == ["id=\(other.id)", "id=\(me)"])
        #expect(harness.resp2("CLIENT", "LIST", "TYPE", "bogus") == "-ERR Unknown client type 'bogus'\r\n")
        #expect(harness.resp2("CLIENT", "LIST", "ID", "x") == "-ERR Invalid client ID\r\n")
        #expect(harness.resp2("CLIENT", "LIST", "TYPE") == "-ERR syntax error\r\n")
    }

    @Test func clientSetinfoRecordsTheLibraryForClientList() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("CLIENT", "SETINFO", "lib-name", "redis-py") == "+OK\r\n")
        #expect(harness.resp2("CLIENT", "SETINFO", "LIB-VER", "5.0.1") == "+OK\r\n")
        let info = ReplyReading.string(harness.run("CLIENT", "INFO")) ?? ""
        #expect(info.hasSuffix("lib-name=redis-py lib-ver=5.0.1\n"))
        #expect(harness.resp2("CLIENT", "SETINFO", "lib-color", "x") == "-ERR Unrecognized option 'lib-color'\r\n")
        #expect(harness.resp2("CLIENT", "SETINFO", "LIB-VER", "5 0")
                    == "-ERR LIB-VER cannot contain spaces, newlines or special characters.\r\n")
        #expect(harness.session.libraryVersion == "5.0.1")
        #expect(harness.resp2("CLIENT", "SETINFO", "LIB-NAME")
                    == "-ERR wrong number of arguments for 'client|setinfo' command\r\n")
    }

    @Test func anUnknownClientSubcommandIsAnErrorAndTheConnectionGoesOn() throws {
        let harness = try ServerHarness()
        let unknown = harness.context(after: "CLIENT", "MAINT_NOTIFICATIONS", "on", "moving-endpoint-type", "none")
        #expect(ReplyReading.error(unknown.reply) == "ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.")
        #expect(!unknown.context.closesConnection)
        #expect(harness.resp2("PING") == "+PONG\r\n")
        #expect(harness.resp2("CLIENT") == "-ERR wrong number of arguments for 'client' command\r\n")
    }

    @Test func clientHelpListsTheSubcommands() throws {
        let harness = try ServerHarness()
        let lines = ReplyReading.strings(harness.run("CLIENT", "HELP")) ?? []
        #expect(lines.first == "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        #expect(lines.contains("SETNAME <name>") && lines.last == "    Print this help.")
    }
}
