import Testing
@testable import LSMServer

/// `lsm serve --config FILE`: redis.conf-style settings, Redis's quoting, and errors that name the line.
@Suite struct ServerConfigurationTests {
    @Test func aRedisConfStyleFileSetsEverySettingItNames() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(configurationFile: """
            # A comment, then blank lines and settings in any case, with Redis's quoting.

            dir "/var/lib/lsm data"
            BIND 127.0.0.2
            port 7001
            requirepass 'pa ss'
            appendfsync always
            maxclients 50
            io-threads 3
            timeout 300
            client-output-buffer-limit normal 64mb 16mb 30
            proto-max-bulk-len 1mb
            client-query-buffer-limit 2gb
            appendonly yes
            save ""
            databases 16\r
            """)
        #expect(configuration.directory == "/var/lib/lsm data")
        #expect(configuration.databasePath == "/var/lib/lsm data/db")
        #expect(configuration.bind == "127.0.0.2")
        #expect(configuration.bindsLoopbackOnly)
        #expect(configuration.port == 7001)
        #expect(configuration.requirePass == "pa ss")
        #expect(configuration.appendFsync == .always)
        #expect(configuration.maxClients == 50)
        #expect(configuration.ioThreads == 3)
        #expect(configuration.timeout == 300)
        #expect(configuration.outputBufferLimit == OutputBufferLimit(hardBytes: 64 << 20, softBytes: 16 << 20,
                                                                       softSeconds: 30))
        #expect(configuration.maxBulkLength == 1 << 20)
        #expect(configuration.queryBufferLimit == 2 << 30)
    }

    @Test(arguments: [
        ("port 1\nbogus 2\n", "line 2: unknown setting 'bogus'"),
        ("port 70000", "line 1: 'port' must be an integer from 0 to 65535, not '70000'"),
        ("appendfsync sometimes", "line 1: 'appendfsync' must be always, everysec or no, not 'sometimes'"),
        ("dir \"unclosed", "line 1: unbalanced quotes"),
        ("maxclients", "line 1: 'maxclients' takes one value, not 0"),
        ("appendonly no", "line 1: 'appendonly' is always yes: every write goes to the log"),
        ("databases 4", "line 1: 'databases' is fixed at 16"),
        ("io-threads 0", "line 1: 'io-threads' must be an integer from 1 to 256, not '0'"),
        ("client-output-buffer-limit replica 1mb 1mb 1",
         "line 1: 'client-output-buffer-limit' takes 'normal HARD SOFT SECONDS'"),
    ])
    func aBadLineIsRefusedNamingItsLineAndSetting(text: String, message: String) {
        var configuration = ServerConfiguration()
        let error = #expect(throws: ServerConfigurationError.self) {
            try configuration.apply(configurationFile: text)
        }
        #expect(error?.message == message)
    }

    @Test func sizesTakeRedisUnits() {
        #expect(ServerConfiguration.parseMemory("512") == 512)
        #expect(ServerConfiguration.parseMemory("1k") == 1000)
        #expect(ServerConfiguration.parseMemory("1kb") == 1024)
        #expect(ServerConfiguration.parseMemory("3MB") == 3 << 20)
        #expect(ServerConfiguration.parseMemory("1g") == 1_000_000_000)
        #expect(ServerConfiguration.parseMemory("-1") == nil)
        #expect(ServerConfiguration.parseMemory("lots") == nil)
        #expect(ServerConfiguration.parseMemory("99999999999999999gb") == nil)
    }
}
