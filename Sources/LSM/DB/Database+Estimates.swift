/// Estimates: the bytes a key range takes on disk and the number of live keys, without reading the data.
extension Database {
    /// About how many bytes the tables spend on the keys in `[start, end)` (nil: unbounded), found from table
    /// indexes without reading data: a table wholly inside the range counts whole, one it straddles by the data
    /// blocks between the two keys (so the estimate is off by at most about one block per straddled table and
    /// level). Writes still in memtables take no table space yet and are not counted; nor are logs.
    public func approximateSize(from start: [UInt8]? = nil, to end: [UInt8]? = nil) throws(LSMError) -> UInt64 {
        if let start, let end, compareBytes(start, end) >= 0 { return 0 }
        let version = try readView(nil).state.version
        var total: UInt64 = 0
        for file in version.levels.joined() {
            // A bound inside the table's key range, or nil when the table lies wholly on the range's side of it.
            let cutStart = start.flatMap { key in
                key.withUnsafeBytes { file.compareSmallestUserKey(with: $0) < 0 } ? key : nil
            }
            let cutEnd = end.flatMap { key in
                key.withUnsafeBytes { file.compareLargestUserKey(with: $0) >= 0 } ? key : nil
            }
            let beforeRange = start.map { key in key.withUnsafeBytes { file.compareLargestUserKey(with: $0) < 0 } }
                ?? false
            let afterRange = end.map { key in key.withUnsafeBytes { file.compareSmallestUserKey(with: $0) >= 0 } }
                ?? false
            if beforeRange || afterRange { continue }
            guard cutStart != nil || cutEnd != nil else {
                total &+= file.size
                continue
            }
            let table = try tableCache.table(number: file.number)
            let from = try cutStart.map { (key) throws(LSMError) in try offset(of: key, in: table) } ?? 0
            let to = try cutEnd.map { (key) throws(LSMError) in try offset(of: key, in: table) } ?? file.size
            if to > from { total &+= to - from }
        }
        return total
    }

    private func offset(of key: [UInt8], in table: Table) throws(LSMError) -> UInt64 {
        try key.withBytes { (key) throws(LSMError) in try table.approximateOffset(of: key) }
    }

    /// About how many live keys the database holds, from the entry and deletion counts the tables recorded when
    /// they were written and the entries in the memtables, without reading data.
    ///
    /// Each entry counts as a key and each deletion takes away two (itself and the entry it deletes), as RocksDB
    /// estimates. The figure is exact when every key has one version and no tombstone is stored (after
    /// ``compact(from:to:)-8nyz1`` of everything with no snapshot open, for instance); otherwise each older version
    /// a compaction has not yet dropped adds one, and each deletion of a key that did not exist takes away one too
    /// many. Keys a range deletion covers, and values that have expired, count until a compaction drops them. It
    /// is never negative.
    public func estimatedKeyCount() throws(LSMError) -> UInt64 {
        let view = try readView(nil)
        var entries = view.state.memtables.reduce(0) { $0 &+ UInt64($1.entryCount) }
        var deletions = view.state.memtables.reduce(0) { $0 &+ UInt64($1.deletionCount) }
        for file in view.state.version.levels.joined() {
            let properties = try tableCache.table(number: file.number).properties
            entries &+= properties.entryCount
            deletions &+= properties.deletionCount
        }
        return estimatedLiveKeys(entries: entries, deletions: deletions)
    }
}

/// Entries less twice the deletions among them (each deletion also hides the entry it deletes), never negative:
/// how ``Database/estimatedKeyCount()`` and ``DatabaseInfo/estimatedKeyCount()`` estimate live keys.
func estimatedLiveKeys(entries: UInt64, deletions: UInt64) -> UInt64 {
    let removed = deletions.multipliedReportingOverflow(by: 2)
    return removed.overflow || removed.partialValue >= entries ? 0 : entries - removed.partialValue
}
