import Testing
@testable import LSMServer

@Suite struct StringCommandTableTests {
    /// Redis 7's COMMAND INFO for each string command: arity, flags, first key, last key, step.
    static let expected: [String: (arity: Int, flags: Set<String>, keys: [Int])] = [
        "get": (2, ["readonly", "fast"], [1, 1, 1]),
        "set": (-3, ["write", "denyoom"], [1, 1, 1]),
        "setnx": (3, ["write", "denyoom", "fast"], [1, 1, 1]),
        "setex": (4, ["write", "denyoom"], [1, 1, 1]),
        "psetex": (4, ["write", "denyoom"], [1, 1, 1]),
        "getset": (3, ["write", "denyoom", "fast"], [1, 1, 1]),
        "getdel": (2, ["write", "fast"], [1, 1, 1]),
        "getex": (-2, ["write", "fast"], [1, 1, 1]),
        "mget": (-2, ["readonly", "fast"], [1, -1, 1]),
        "mset": (-3, ["write", "denyoom"], [1, -1, 2]),
        "msetnx": (-3, ["write", "denyoom"], [1, -1, 2]),
        "incr": (2, ["write", "denyoom", "fast"], [1, 1, 1]),
        "decr": (2, ["write", "denyoom", "fast"], [1, 1, 1]),
        "incrby": (3, ["write", "denyoom", "fast"], [1, 1, 1]),
        "decrby": (3, ["write", "denyoom", "fast"], [1, 1, 1]),
        "incrbyfloat": (3, ["write", "denyoom", "fast"], [1, 1, 1]),
        "append": (3, ["write", "denyoom", "fast"], [1, 1, 1]),
        "strlen": (2, ["readonly", "fast"], [1, 1, 1]),
        "getrange": (4, ["readonly"], [1, 1, 1]),
        "substr": (4, ["readonly"], [1, 1, 1]),
        "setrange": (4, ["write", "denyoom"], [1, 1, 1]),
    ]

    @Test func everyStringCommandHasRedisArityFlagsAndKeys() {
        #expect(Set(StringCommands.all.map(\.name)) == Set(Self.expected.keys))
        for command in StringCommands.all {
            guard let expected = Self.expected[command.name] else { continue }
            #expect(command.arity == expected.arity, "\(command.name)")
            #expect(Set(command.flags) == expected.flags, "\(command.name)")
            #expect(command.flags.count == expected.flags.count, "\(command.name) repeats a flag")
            #expect([command.firstKey, command.lastKey, command.keyStep] == expected.keys, "\(command.name)")
            #expect(!command.summary.isEmpty && !command.summary.contains("\n"), "\(command.name)")
            #expect(CommandTable.standard.commands[command.name] != nil, "\(command.name) is in the server's table")
        }
    }

    @Test func onlyTheFastReadsRunOnTheEventLoop() {
        let onEventLoop = Set(StringCommands.all.filter(\.runsOnEventLoop).map(\.name))
        #expect(onEventLoop == ["get", "mget", "strlen"])
    }

    @Test(arguments: ["getdel", "getset", "incr", "incrby", "append", "strlen", "setrange", "getex", "mget", "setnx"])
    func aWrongArgumentCountIsRedisArityError(name: String) throws {
        let harness = try ServerHarness()
        let expected = "ERR wrong number of arguments for '\(name)' command"
        #expect(harness.resp2(name.uppercased()) == "-\(expected)\r\n")
        let arity = try #require(Self.expected[name]?.arity)
        if arity > 0 {
            let tooMany = [name] + Array(repeating: "x", count: arity)
            #expect(harness.run(tooMany.map { Array($0.utf8) }).errorLine == expected)
        }
    }
}
