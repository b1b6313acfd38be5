/// What a read consults besides its sequence number: the memtables, newest first, and the version.
///
/// The database rebuilds it under its lock whenever one of them changes (a memtable switch, a flush, a compaction),
/// so a read takes all of it with one reference instead of gathering arrays on every call, as RocksDB's
/// SuperVersion does. It keeps what it names alive for as long as the read holds it.
final class ReadState: Sendable {
    let memtables: [MemTable]
    let version: Version

    init(memtables: [MemTable], version: Version) {
        self.memtables = memtables
        self.version = version
    }
}
