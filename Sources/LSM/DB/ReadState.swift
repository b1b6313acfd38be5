/// What a read consults besides its sequence number: the memtables, newest first, and the version.
///
/// The database rebuilds it under its lock whenever one of them changes (a memtable switch, a flush, a compaction),
/// so a read takes all of it with one reference instead of gathering arrays on every call, as RocksDB's
/// SuperVersion does. It keeps what it names alive for as long as the read holds it.
final class ReadState: Sendable {
    let memtables: [MemTable]
    let version: Version
    /// `memtables` again, unretained, for point reads: this state holds them, so a read that holds the state
    /// reaches them without writing their reference counts, which every thread reading at once would contend for.
    nonisolated(unsafe) let unretainedMemtables: UnsafeBufferPointer<Unmanaged<MemTable>>
    /// `version`, unretained, for the same reason.
    let unretainedVersion: Unmanaged<Version>

    init(memtables: [MemTable], version: Version) {
        self.memtables = memtables
        self.version = version
        let unretained = UnsafeMutableBufferPointer<Unmanaged<MemTable>>.allocate(capacity: memtables.count)
        _ = unretained.initialize(from: memtables.lazy.map { Unmanaged.passUnretained($0) })
        unretainedMemtables = UnsafeBufferPointer(unretained)
        unretainedVersion = .passUnretained(version)
    }

    deinit {
        unretainedMemtables.deallocate()
    }
}
