import Testing
@testable import LSMServer

/// COMMAND and its subcommands: COUNT, INFO, DOCS, LIST, GETKEYS, HELP.
@Suite struct ServerCommandIntrospectionTests {
    @Test func commandListsEveryCommandsEntryAndCountCountsThem() throws {
        let harness = try ServerHarness()
        let count = harness.state.commands.commands.count
        #expect(harness.resp2("COMMAND", "COUNT") == ":\(count)\r\n")
        let entries = ReplyReading.elements(harness.run("COMMAND")) ?? []
        #expect(entries.count == count)
        #expect(Set(entries.compactMap { ReplyReading.elements($0)?.first.flatMap(ReplyReading.string) })
                    == Set(harness.state.commands.commands.keys))
        #expect((ReplyReading.elements(harness.run("COMMAND", "INFO")) ?? []).count == count)
    }

    @Test func commandInfoHasRedis7sTenFields() throws {
        let harness = try ServerHarness()
        let reply = harness.run("COMMAND", "INFO", "get", "NoSuchCommand", "DEL")
        let entries = try #require(ReplyReading.elements(reply))
        #expect(entries.count == 3)
        let get = try #require(ReplyReading.elements(entries[0]))
        #expect(get.count == 10)
        #expect(ReplyReading.string(get[0]) == "get")
        #expect(ReplyReading.integer(get[1]) == 2)
        #expect(ReplyReading.strings(get[2]).map(Set.init) == ["readonly", "fast"])
        #expect([get[3], get[4], get[5]].compactMap(ReplyReading.integer) == [1, 1, 1])
        #expect(ReplyReading.strings(get[6]).map(Set.init) == ["@string", "@read", "@fast"])
        #expect(ReplyReading.elements(get[7])?.isEmpty == true)
        let keySpec = try #require(ReplyReading.elements(get[8])?.first)
        #expect(ReplyReading.value(keySpec, "flags").flatMap(ReplyReading.strings) == ["RO"])
        let findKeys = try #require(ReplyReading.value(keySpec, "find_keys"))
        #expect(ReplyReading.value(findKeys, "type").flatMap(ReplyReading.string) == "range")
        #expect(ReplyReading.value(findKeys, "spec").flatMap { ReplyReading.value($0, "lastkey") }
                    .flatMap(ReplyReading.integer) == 0)
        #expect(ReplyReading.elements(get[9])?.isEmpty == true)
        // An unknown name gets a nil in its place.
        #expect(ReplyReading.isNull(entries[1]))
        let del = try #require(ReplyReading.elements(entries[2]))
        #expect([del[3], del[4], del[5]].compactMap(ReplyReading.integer) == [1, -1, 1])
        #expect(ReplyReading.strings(del[6]).map(Set.init) == ["@keyspace", "@write", "@slow"])
        let delSpec = try #require(ReplyReading.elements(del[8])?.first)
        #expect(ReplyReading.value(delSpec, "flags").flatMap(ReplyReading.strings) == ["RW"])
    }

    @Test func commandInfoShowsSubcommandsAndRedisFlagNames() throws {
        let harness = try ServerHarness()
        let entries = try #require(ReplyReading.elements(harness.run("COMMAND", "INFO", "config", "hello",
                                                                     "config|set")))
        let config = try #require(ReplyReading.elements(entries[0]))
        let subcommands = (ReplyReading.elements(config[9]) ?? []).compactMap {
            ReplyReading.elements($0)?.first.flatMap(ReplyReading.string)
        }
        #expect(subcommands == ["config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"])
        let hello = try #require(ReplyReading.elements(entries[1]))
        #expect(ReplyReading.strings(hello[2])?.contains("no_auth") == true)
        let set = try #require(ReplyReading.elements(entries[2]))
        #expect(ReplyReading.string(set[0]) == "config|set" && ReplyReading.integer(set[1]) == -4)
        #expect(ReplyReading.strings(set[6]).map(Set.init) == ["@admin", "@dangerous", "@slow"])
    }

    @Test func commandDocsGivesSummarySinceAndGroup() throws {
        let harness = try ServerHarness()
        let reply = harness.run("COMMAND", "DOCS", "GET", "nosuch", "config")
        // Unknown names are left out.
        #expect(ReplyReading.pairs(reply)?.map(\.key) == ["get", "config"])
        let get = try #require(ReplyReading.value(reply, "get"))
        #expect(ReplyReading.pairs(get)?.map(\.key) == ["summary", "since", "group"])
        #expect(ReplyReading.value(get, "summary").flatMap(ReplyReading.string) == "Returns the string value of a key.")
        #expect(ReplyReading.value(get, "since").flatMap(ReplyReading.string) == "1.0.0")
        #expect(ReplyReading.value(get, "group").flatMap(ReplyReading.string) == "string")
        let config = try #require(ReplyReading.value(reply, "config"))
        let subcommands = try #require(ReplyReading.value(config, "subcommands"))
        let configGet = try #require(ReplyReading.value(subcommands, "config|get"))
        #expect(ReplyReading.value(configGet, "group").flatMap(ReplyReading.string) == "server")
        // Without names, every command (redis-cli's startup request).
        #expect(ReplyReading.pairs(harness.run("COMMAND", "DOCS"))?.count == harness.state.commands.commands.count)
    }

    @Test func everyCommandHasASummaryAndTheGroupOfItsFamily() throws {
        let table = CommandTable.standard
        for (name, command) in table.commands {
            #expect(!command.summary.isEmpty, "\(name)")
            #expect(CommandDocs.groups[name] != nil, "\(name) is in no family of CommandDocs.groups")
        }
        for (container, subcommands) in CommandDocs.subcommands {
            #expect(table.commands[container] != nil, "\(container)")
            #expect(subcommands.allSatisfy { !$0.summary.isEmpty && $0.container == container })
        }
    }

    @Test func commandListNamesCommandsAndSubcommandsWithFilters() throws {
        let harness = try ServerHarness()
        let all = ReplyReading.strings(harness.run("COMMAND", "LIST")) ?? []
        #expect(all.contains("get") && all.contains("config|get") && all.contains("client|setinfo"))
        #expect(all.count == harness.state.commands.commands.count
                    + CommandDocs.subcommands.values.map(\.count).reduce(0, +))
        #expect(ReplyReading.strings(harness.run("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG*"))
                    == ["config", "config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"])
        let writes = ReplyReading.strings(harness.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "WRITE")) ?? []
        #expect(writes.contains("set") && writes.contains("del") && !writes.contains("get"))
        #expect(ReplyReading.strings(harness.run("COMMAND", "LIST", "FILTERBY", "MODULE", "search")) == [])
        #expect(harness.resp2("COMMAND", "LIST", "FILTERBY", "TYPE", "x") == "-ERR syntax error\r\n")
        #expect(harness.resp2("COMMAND", "LIST", "FILTERBY", "PATTERN") == "-ERR syntax error\r\n")
    }

    @Test func commandGetkeysFindsTheKeyArguments() throws {
        let harness = try ServerHarness()
        #expect(ReplyReading.strings(harness.run("COMMAND", "GETKEYS", "SET", "k", "v", "EX", "10")) == ["k"])
        #expect(ReplyReading.strings(harness.run("COMMAND", "GETKEYS", "del", "a", "b", "c")) == ["a", "b", "c"])
        #expect(harness.resp2("COMMAND", "GETKEYS", "PING") == "-ERR The command has no key arguments\r\n")
        #expect(harness.resp2("COMMAND", "GETKEYS", "nosuch", "a") == "-ERR Invalid command specified\r\n")
        #expect(harness.resp2("COMMAND", "GETKEYS", "GET")
                    == "-ERR Invalid number of arguments specified for command\r\n")
    }

    @Test func commandHelpAndUnknownSubcommands() throws {
        let harness = try ServerHarness()
        #expect(ReplyReading.strings(harness.run("COMMAND", "HELP"))?.first
                    == "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        #expect(harness.resp2("COMMAND", "FOO") == "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n")
        #expect(harness.resp2("COMMAND", "COUNT", "x")
                    == "-ERR wrong number of arguments for 'command|count' command\r\n")
    }
}
