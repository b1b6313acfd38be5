/// Statistics: the shape of the tree and the activity counters.
extension Database {
    /// The database's shape and activity counters.
    public func statistics() throws(LSMError) -> Statistics {
        try lock.withLock { () throws(LSMError) -> Statistics in
            try checkOpen()
            let counters = state.counters
            let tables = tableCache.usage
            return Statistics(
                levelFileCounts: state.version.levels.map(\.count),
                levelBytes: (0..<Version.levelCount).map { state.version.bytes(level: $0) },
                memtableBytes: state.memtable.approximateMemoryUsage, immutableMemtables: state.immutables.count,
                lastSequence: state.lastSequence, flushCount: counters.flushes, writeStallCount: counters.stops,
                liveSnapshots: snapshots.count, userBytesWritten: counters.userBytes,
                logBytesWritten: counters.logBytes, flushBytesWritten: counters.flushBytes,
                compactionBytesRead: counters.compactionBytesRead,
                compactionBytesWritten: counters.compactionBytesWritten, compactionCount: counters.compactions,
                trivialMoveCount: counters.trivialMoves,
                compactionSeconds: Double(counters.compactionMicros) / 1e6,
                writeStallSeconds: Double(counters.stopMicros) / 1e6, writeSlowdownCount: counters.slowdowns,
                writeSlowdownSeconds: Double(counters.slowdownMicros) / 1e6,
                memtablesBytes: state.readState.memtables.reduce(0) { $0 + $1.approximateMemoryUsage },
                blockCacheBytes: blockCache?.totalCost ?? 0, openTables: tables.tables,
                openTableMetadataBytes: tables.metadataBytes)
        }
    }
}
