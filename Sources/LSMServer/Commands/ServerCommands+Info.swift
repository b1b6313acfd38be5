#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM

/// INFO [section ...]: Redis's report of the server, `field:value` lines under `# Section` headings, sections
/// separated by an empty line, every line ending in CRLF. The fields are Redis's where they have a meaning here
/// (those clients and tools read: redis_version, connected_clients, used_memory, rdb_*, aof_*, role...), and the
/// engine's own figures in a section of their own, `lsm`.
extension ServerCommands {
    /// INFO's sections, in the order it lists them. Redis's errorstats, commandstats, latencystats and modules
    /// sections have nothing behind them here: asked for, they are empty, as an unknown section is.
    enum InfoSection: String, CaseIterable {
        case server, clients, memory, persistence, stats, replication, cpu, cluster, keyspace, lsm

        var title: String {
            switch self {
            case .cpu: "CPU"
            case .lsm: "LSM"
            default: rawValue.prefix(1).uppercased() + rawValue.dropFirst()
            }
        }
    }

    static func info(_ context: inout CommandContext) throws(CommandError) -> RESPReply {
        let selected = selectedSections(context)
        var text = ""
        var statistics: Statistics?
        for section in InfoSection.allCases where selected.contains(section) {
            let fields: [(String, String)]
            switch section {
            case .server: fields = serverFields(context)
            case .clients: fields = clientFields(context)
            case .memory: fields = memoryFields(try engineStatistics(context, &statistics))
            case .persistence: fields = persistenceFields(context)
            case .stats: fields = statsFields(context)
            case .replication: fields = replicationFields()
            case .cpu: fields = cpuFields()
            case .cluster: fields = [("cluster_enabled", "0")]
            case .keyspace: fields = try keyspaceFields(context)
            case .lsm: fields = lsmFields(try engineStatistics(context, &statistics), context)
            }
            if !text.isEmpty { text += "\r\n" }
            text += "# \(section.title)\r\n"
            for (name, value) in fields { text += "\(name):\(value)\r\n" }
        }
        // Redis 7 sends INFO as a verbatim string (`=…txt:`) to RESP3 clients, a bulk string to RESP2 ones.
        return .verbatimString(Array(text.utf8))
    }

    /// The sections the arguments name, in any case: none, `default`, `all` or `everything` name them all (every
    /// section here is one of Redis's default ones, or the engine's); unknown names add nothing.
    private static func selectedSections(_ context: CommandContext) -> Set<InfoSection> {
        guard context.count > 1 else { return Set(InfoSection.allCases) }
        var selected: Set<InfoSection> = []
        for index in 1..<context.count {
            let name = context.text(index).lowercased()
            if ["default", "all", "everything"].contains(name) {
                selected.formUnion(InfoSection.allCases)
            } else if let section = InfoSection(rawValue: name) {
                selected.insert(section)
            }
        }
        return selected
    }

    /// The engine's statistics, read once per INFO for the sections that show them.
    private static func engineStatistics(_ context: CommandContext, _ cached: inout Statistics?)
        throws(CommandError) -> Statistics {
        if let cached { return cached }
        do {
            let statistics = try context.keyspace.database.statistics()
            cached = statistics
            return statistics
        } catch {
            throw CommandError(error)
        }
    }

    private static func serverFields(_ context: CommandContext) -> [(String, String)] {
        let now = context.now
        let uptime = max(0, context.server.startedAt.milliseconds(until: now) / 1000)
        return [
            ("redis_version", ServerInfo.redisVersion),
            ("redis_mode", "standalone"),
            ("lsm_version", ServerInfo.version),
            ("os", ServerInfo.operatingSystem),
            ("arch_bits", "\(Int.bitWidth)"),
            ("multiplexing_api", ServerInfo.multiplexingAPI),
            ("process_id", "\(getpid())"),
            ("run_id", ServerInfo.runID),
            ("tcp_port", "\(listeningPort(context))"),
            ("server_time_usec", "\(now.millisecondsSinceEpoch * 1000)"),
            ("uptime_in_seconds", "\(uptime)"),
            ("uptime_in_days", "\(uptime / 86_400)"),
        ]
    }

    /// The port the client connected to (the one the system chose when the configuration says 0), or the
    /// configured one for a connection without an address.
    private static func listeningPort(_ context: CommandContext) -> Int {
        if let separator = context.session.localAddress.lastIndex(of: ":"),
           let port = Int(context.session.localAddress[separator...].dropFirst()) {
            return port
        }
        return context.server.configuration.withLockedValue { $0.port }
    }

    private static func clientFields(_ context: CommandContext) -> [(String, String)] {
        [
            ("connected_clients", "\(context.server.clients.count)"),
            ("cluster_connections", "0"),
            ("maxclients", "\(context.server.configuration.withLockedValue { $0.maxClients })"),
        ]
    }

    /// used_memory is the engine's estimate of what it holds (memtables, block cache, open tables' metadata), not
    /// an allocator's count: the server's own buffers are not in it. The resident size is the process's.
    private static func memoryFields(_ statistics: Statistics) -> [(String, String)] {
        var fields = [
            ("used_memory", "\(statistics.memoryBytes)"),
            ("used_memory_human", humanBytes(statistics.memoryBytes)),
        ]
        if let resident = ServerInfo.residentBytes() {
            fields += [("used_memory_rss", "\(resident)"), ("used_memory_rss_human", humanBytes(resident))]
        }
        let system = ServerInfo.physicalMemoryBytes
        fields += [
            ("total_system_memory", "\(system)"),
            ("total_system_memory_human", humanBytes(system)),
            // No memory limit evicts keys here: the engine keeps what does not fit on disk.
            ("maxmemory", "0"),
            ("maxmemory_human", "0B"),
            ("maxmemory_policy", "noeviction"),
            ("mem_allocator", "libc"),
        ]
        return fields
    }

    /// Checkpoints stand for Redis's RDB snapshots, and the engine's write-ahead log for its append-only file
    /// (always on; its write status is the write thread's last sync).
    private static func persistenceFields(_ context: CommandContext) -> [(String, String)] {
        let server = context.server
        let background = server.statistics.withBackgroundCheckpoint { $0 }
        let lastSave = server.lastSave.withLockedValue { $0 }.millisecondsSinceEpoch / 1000
        let running = background.startedAt.map { (ContinuousClock.now - $0).components.seconds }
        let syncFailure = server.writer.lastFailure.withLockedValue { $0 }
        var fields = [
            ("loading", "0"),
            ("async_loading", "0"),
            ("rdb_bgsave_in_progress", running == nil ? "0" : "1"),
            ("rdb_last_save_time", "\(lastSave)"),
            ("rdb_last_bgsave_status", background.lastSucceeded ? "ok" : "err"),
            ("rdb_last_bgsave_time_sec", "\(background.lastSeconds ?? -1)"),
            ("rdb_current_bgsave_time_sec", "\(running ?? -1)"),
            ("rdb_saves", "\(server.statistics.checkpointCount)"),
            ("aof_enabled", "1"),
            ("aof_rewrite_in_progress", "0"),
            ("aof_rewrite_scheduled", "0"),
            ("aof_last_write_status", syncFailure == nil ? "ok" : "err"),
        ]
        if let syncFailure {
            // One line: a CR or LF would end the field. By scalar, since a CRLF pair is one Character.
            let line = String(String.UnicodeScalarView(syncFailure.unicodeScalars.map {
                $0 == "\r" || $0 == "\n" ? " " : $0
            }))
            fields.append(("aof_last_write_error", line))
        }
        fields.append(("appendfsync", server.configuration.withLockedValue { $0.appendFsync.rawValue }))
        return fields
    }

    private static func statsFields(_ context: CommandContext) -> [(String, String)] {
        context.server.statistics.snapshot.map { ($0.0, "\($0.1)") } + [("evicted_keys", "0")]
    }

    /// A master without replicas, as every instance of this server is.
    private static func replicationFields() -> [(String, String)] {
        [
            ("role", "master"),
            ("connected_slaves", "0"),
            ("master_failover_state", "no-failover"),
            ("master_replid", ServerInfo.replicationID),
            ("master_replid2", String(repeating: "0", count: 40)),
            ("master_repl_offset", "0"),
            ("second_repl_offset", "-1"),
            ("repl_backlog_active", "0"),
        ]
    }

    private static func cpuFields() -> [(String, String)] {
        #if canImport(Glibc)
        let (selfWho, childrenWho) = (RUSAGE_SELF.rawValue, RUSAGE_CHILDREN.rawValue)
        #else
        let (selfWho, childrenWho) = (RUSAGE_SELF, RUSAGE_CHILDREN)
        #endif
        let own = ServerInfo.cpuTime(selfWho)
        let children = ServerInfo.cpuTime(childrenWho)
        return [
            ("used_cpu_sys", own.system), ("used_cpu_user", own.user),
            ("used_cpu_sys_children", children.system), ("used_cpu_user_children", children.user),
        ]
    }

    /// `dbN:keys=…,expires=…,avg_ttl=…` for each database holding keys, counted by a scan of its records (the
    /// engine keeps no count): the cost grows with the number of keys. avg_ttl is the exact mean, in
    /// milliseconds, of the time the expiring keys have left.
    private static func keyspaceFields(_ context: CommandContext) throws(CommandError) -> [(String, String)] {
        let now = context.now
        var fields: [(String, String)] = []
        for db in 0..<Keyspace.databaseCount {
            let range = KeyEncoding.metadataRange(db: db)
            var keys = 0
            var expiring = 0
            var remaining = 0.0
            do {
                let cursor = try context.keyspace.database.cursor(from: range.start, to: range.end)
                while try cursor.next(borrowing: { _, _ in }) {
                    keys += 1
                    if let expiry = cursor.expiry {
                        expiring += 1
                        remaining += Double(max(0, now.milliseconds(until: expiry)))
                    }
                }
            } catch {
                throw CommandError(error)
            }
            guard keys > 0 else { continue }
            let averageTTL = expiring > 0 ? Int64(remaining / Double(expiring)) : 0
            fields.append(("db\(db)", "keys=\(keys),expires=\(expiring),avg_ttl=\(averageTTL)"))
        }
        return fields
    }

    /// The engine's shape and activity: files and bytes per level, memory, flushes, compactions, write
    /// amplification and stalls.
    private static func lsmFields(_ statistics: Statistics, _ context: CommandContext) -> [(String, String)] {
        var fields: [(String, String)] = []
        for (level, files) in statistics.levelFileCounts.enumerated() {
            fields.append(("lsm_level\(level)_files", "\(files)"))
            fields.append(("lsm_level\(level)_bytes", "\(statistics.levelBytes[level])"))
        }
        let budget = context.keyspace.database.options.memoryBudget ?? 0
        fields += [
            ("lsm_table_bytes", "\(statistics.levelBytes.reduce(0, +))"),
            ("lsm_memtable_bytes", "\(statistics.memtableBytes)"),
            ("lsm_memtables_bytes", "\(statistics.memtablesBytes)"),
            ("lsm_immutable_memtables", "\(statistics.immutableMemtables)"),
            ("lsm_block_cache_bytes", "\(statistics.blockCacheBytes)"),
            ("lsm_open_tables", "\(statistics.openTables)"),
            ("lsm_open_table_metadata_bytes", "\(statistics.openTableMetadataBytes)"),
            ("lsm_memory_bytes", "\(statistics.memoryBytes)"),
            ("lsm_memory_budget", "\(budget)"),
            ("lsm_last_sequence", "\(statistics.lastSequence)"),
            ("lsm_live_snapshots", "\(statistics.liveSnapshots)"),
            ("lsm_user_bytes_written", "\(statistics.userBytesWritten)"),
            ("lsm_log_bytes_written", "\(statistics.logBytesWritten)"),
            ("lsm_flushes", "\(statistics.flushCount)"),
            ("lsm_flush_bytes_written", "\(statistics.flushBytesWritten)"),
            ("lsm_compactions", "\(statistics.compactionCount)"),
            ("lsm_trivial_moves", "\(statistics.trivialMoveCount)"),
            ("lsm_compaction_bytes_read", "\(statistics.compactionBytesRead)"),
            ("lsm_compaction_bytes_written", "\(statistics.compactionBytesWritten)"),
            ("lsm_compaction_seconds", fixed(statistics.compactionSeconds, digits: 3)),
            ("lsm_write_amplification", fixed(statistics.writeAmplification, digits: 2)),
            ("lsm_write_stalls", "\(statistics.writeStallCount)"),
            ("lsm_write_stall_seconds", fixed(statistics.writeStallSeconds, digits: 3)),
            ("lsm_write_slowdowns", "\(statistics.writeSlowdownCount)"),
            ("lsm_write_slowdown_seconds", fixed(statistics.writeSlowdownSeconds, digits: 3)),
        ]
        return fields
    }

    /// Redis's human-readable size: bytes below 1 KiB (`512B`), else two decimals and K, M, G, T or P (powers of
    /// 1024): `1.50M`.
    static func humanBytes(_ bytes: Int) -> String {
        guard bytes >= 1024 else { return "\(bytes)B" }
        var unit = 1024.0
        for suffix in ["K", "M", "G", "T", "P"] {
            if Double(bytes) < unit * 1024 { return fixed(Double(bytes) / unit, digits: 2) + suffix }
            unit *= 1024
        }
        // Past 1024 P, Redis falls back to bytes too.
        return "\(bytes)B"
    }

    /// `value` with `digits` decimals, rounded (`printf("%.2f")` without Foundation).
    static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        // Past what an integer holds (or not a number), the shortest form is shown instead.
        guard scaled.isFinite, scaled < 9e18 else { return "\(value)" }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        let fraction = String(units % Int64(scale))
        let sign = value < 0 && units != 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
