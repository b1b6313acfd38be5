#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import Testing
@testable import LSMServer

/// INFO: its sections, their format, and where their figures come from.
@Suite struct ServerCommandInfoTests {
    private let allSections = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                               "Cluster", "Keyspace", "LSM"]

    @Test func infoWithoutArgumentsListsEverySectionInRedisFormat() throws {
        let harness = try ServerHarness()
        let reply = harness.run("INFO")
        #expect(ReplyReading.infoSections(reply) == allSections)
        let text = ReplyReading.string(reply) ?? ""
        #expect(text.hasPrefix("# Server\r\nredis_version:7.2.0\r\nredis_mode:standalone\r\n"))
        // Sections are separated by an empty line; every line ends in CRLF.
        #expect(text.contains("\r\n\r\n# Clients\r\nconnected_clients:1\r\n"))
        #expect(text.hasSuffix("\r\n") && !text.hasSuffix("\r\n\r\n"))
        #expect(!text.replacingCRLF.contains("\r") && !text.replacingCRLF.contains("\n"))
        #expect(ReplyReading.infoSections(harness.run("INFO", "default")) == allSections)
        #expect(ReplyReading.infoSections(harness.run("INFO", "all")) == allSections)
        #expect(ReplyReading.infoSections(harness.run("INFO", "EVERYTHING")) == allSections)
    }

    @Test func infoShowsTheSectionsAskedForInItsOwnOrder() throws {
        let harness = try ServerHarness()
        #expect(ReplyReading.infoSections(harness.run("INFO", "keyspace", "SERVER")) == ["Server", "Keyspace"])
        #expect(ReplyReading.infoSections(harness.run("INFO", "lsm")) == ["LSM"])
        #expect(ReplyReading.infoSections(harness.run("INFO", "cpu", "cpu")) == ["CPU"])
        // An unknown section, or one with nothing here, is an empty reply rather than an error.
        #expect(harness.resp2("INFO", "nosuch") == "$0\r\n\r\n")
        #expect(harness.resp2("INFO", "commandstats") == "$0\r\n\r\n")
    }

    @Test func infoIsAVerbatimStringInRESP3() throws {
        let harness = try ServerHarness()
        harness.run("HELLO", "3")
        let encoded = ReplyReading.encoded(harness.run("INFO", "cluster"), .resp3)
        #expect(encoded == "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n")
    }

    @Test func serverSectionTakesUptimeFromTheEngineClockAndThePortFromTheConnection() throws {
        let harness = try ServerHarness()
        harness.clock.advance(2 * 86_400_000 + 5_000)
        let fields = ReplyReading.infoFields(harness.run("INFO", "server"))
        #expect(fields["uptime_in_seconds"] == "\(2 * 86_400 + 5)")
        #expect(fields["uptime_in_days"] == "2")
        #expect(fields["server_time_usec"] == "\((1_700_000_000_000 + 2 * 86_400_000 + 5_000) * 1000)")
        #expect(fields["tcp_port"] == "6379")
        #expect(fields["process_id"] == "\(getpid())")
        #expect(fields["run_id"]?.count == 40)
        #expect(fields["arch_bits"] == "64")
        #expect(fields["lsm_version"] == ServerInfo.version)
    }

    @Test func clientsSectionCountsTheRegisteredConnectionsAndShowsMaxclients() throws {
        let harness = try ServerHarness { $0.maxClients = 77 }
        let other = ClientSession(id: harness.state.clients.newID(), address: "127.0.0.1:2",
                                  localAddress: "127.0.0.1:6379", now: harness.clock.now, needsAuthentication: false)
        _ = harness.state.clients.register(other, limit: 100)
        let fields = ReplyReading.infoFields(harness.run("INFO", "clients"))
        #expect(fields["connected_clients"] == "2")
        #expect(fields["maxclients"] == "77")
    }

    @Test func keyspaceCountsEachDatabasesKeysAndExpiringKeysByAScan() throws {
        let harness = try ServerHarness()
        #expect(ReplyReading.string(harness.run("INFO", "keyspace")) == "# Keyspace\r\n")
        harness.run("SET", "a", "1")
        harness.run("SET", "b", "2", "PX", "10000")
        harness.run("SET", "c", "3", "PX", "20000")
        harness.run("SELECT", "2")
        harness.run("SET", "d", "4")
        harness.clock.advance(5_000)
        #expect(ReplyReading.string(harness.run("INFO", "keyspace"))
                    == "# Keyspace\r\ndb0:keys=3,expires=2,avg_ttl=10000\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n")
        // An expired key is gone from the count.
        harness.clock.advance(5_000)
        #expect(ReplyReading.infoFields(harness.run("INFO", "keyspace"))["db0"] == "keys=2,expires=1,avg_ttl=10000")
    }

    @Test func statsSectionShowsTheServersCounters() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        harness.run("GET", "k")
        harness.run("GET", "missing")
        harness.run("GET", "missing")
        harness.run("SELECT", "99")
        let fields = ReplyReading.infoFields(harness.run("INFO", "stats"))
        #expect(fields["total_commands_processed"] == "6")
        #expect(fields["keyspace_hits"] == "1")
        #expect(fields["keyspace_misses"] == "2")
        #expect(fields["total_error_replies"] == "1")
        #expect(fields["evicted_keys"] == "0")
    }

    @Test func persistenceSectionReportsTheLogAndTheCheckpoints() throws {
        let harness = try ServerHarness { $0.appendFsync = .always }
        var fields = ReplyReading.infoFields(harness.run("INFO", "persistence"))
        #expect(fields["aof_enabled"] == "1")
        #expect(fields["appendfsync"] == "always")
        #expect(fields["aof_last_write_status"] == "ok")
        #expect(fields["aof_last_write_error"] == nil)
        #expect(fields["rdb_saves"] == "0" && fields["rdb_last_bgsave_time_sec"] == "-1")
        #expect(fields["rdb_last_save_time"] == "1700000000")
        harness.state.writer.lastFailure.withLockedValue { $0 = "No space left on device\r\nsecond line" }
        harness.clock.advance(61_000)
        harness.run("SAVE")
        fields = ReplyReading.infoFields(harness.run("INFO", "persistence"))
        #expect(fields["aof_last_write_status"] == "err")
        #expect(fields["aof_last_write_error"] == "No space left on device  second line")
        #expect(fields["rdb_saves"] == "1")
        #expect(fields["rdb_last_save_time"] == "1700000061")
        #expect(fields["rdb_bgsave_in_progress"] == "0")
    }

    @Test func replicationSectionIsAMasterWithoutReplicas() throws {
        let harness = try ServerHarness()
        let fields = ReplyReading.infoFields(harness.run("INFO", "replication"))
        #expect(fields["role"] == "master")
        #expect(fields["connected_slaves"] == "0")
        #expect(fields["master_replid"]?.count == 40)
    }

    @Test func cpuSectionShowsSecondsWithMicroseconds() throws {
        let harness = try ServerHarness()
        let fields = ReplyReading.infoFields(harness.run("INFO", "cpu"))
        for name in ["used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"] {
            let parts = fields[name]?.split(separator: ".", omittingEmptySubsequences: false) ?? []
            #expect(parts.count == 2 && parts[1].count == 6 && Int(parts[0]) != nil && Int(parts[1]) != nil, "\(name)")
        }
    }

    @Test func memoryAndLSMSectionsShowTheEnginesStatistics() throws {
        let harness = try ServerHarness()
        for index in 0..<50 { harness.run("SET", "key\(index)", String(repeating: "v", count: 100)) }
        try harness.database.flush()
        let statistics = try harness.database.statistics()
        let fields = ReplyReading.infoFields(harness.run("INFO", "memory", "lsm"))
        #expect(statistics.levelFileCounts.reduce(0, +) > 0)
        for level in statistics.levelFileCounts.indices {
            #expect(fields["lsm_level\(level)_files"] == "\(statistics.levelFileCounts[level])")
            #expect(fields["lsm_level\(level)_bytes"] == "\(statistics.levelBytes[level])")
        }
        #expect(fields["lsm_table_bytes"] == "\(statistics.levelBytes.reduce(0, +))")
        #expect(fields["lsm_flushes"] == "\(statistics.flushCount)")
        #expect(fields["lsm_user_bytes_written"] == "\(statistics.userBytesWritten)")
        #expect(fields["lsm_write_amplification"]
                    == ServerCommands.fixed(statistics.writeAmplification, digits: 2))
        #expect(fields["lsm_last_sequence"] == "\(statistics.lastSequence)")
        let used = try #require(fields["used_memory"].flatMap(Int.init))
        #expect(fields["used_memory_human"] == ServerCommands.humanBytes(used))
        #expect(fields["maxmemory_policy"] == "noeviction")
    }

    @Test func sizesAndDecimalsAreWrittenAsRedisWritesThem() {
        #expect(ServerCommands.humanBytes(0) == "0B")
        #expect(ServerCommands.humanBytes(1023) == "1023B")
        #expect(ServerCommands.humanBytes(1024) == "1.00K")
        #expect(ServerCommands.humanBytes(1536) == "1.50K")
        #expect(ServerCommands.humanBytes(5 << 20) == "5.00M")
        #expect(ServerCommands.humanBytes(3 << 40) == "3.00T")
        #expect(ServerCommands.fixed(1.006, digits: 2) == "1.01")
        #expect(ServerCommands.fixed(2.5, digits: 3) == "2.500")
        #expect(ServerCommands.fixed(0.0004, digits: 3) == "0.000")
        #expect(ServerCommands.fixed(-1.26, digits: 1) == "-1.3")
        #expect(ServerCommands.fixed(-0.01, digits: 1) == "0.0")
        #expect(ServerCommands.fixed(12, digits: 0) == "12")
    }
}

extension String {
    /// The text without its CRLF pairs, to find stray CRs or LFs.
    fileprivate var replacingCRLF: String {
        split(separator: "\r\n", omittingEmptySubsequences: false).joined()
    }
}
