/// Code outside the engine that decides, entry by entry during compaction, whether a value stays (as RocksDB's
/// `CompactionFilter`): how data the application has retired (a deleted collection's members, expired records)
/// leaves the disk without a delete per key.
///
/// Compaction asks about the newest value of each key that no live snapshot can see (one whose sequence is past
/// every snapshot's), so a snapshot keeps reading what it saw (one taken while a compaction runs may see that
/// compaction's decisions, as in RocksDB). A value the filter removes becomes a tombstone at
/// the same sequence, which hides older versions below it exactly as a deletion would, and is itself dropped once
/// nothing older can be below it. Keys written after a compaction started are asked about in a later one; the
/// filter may be asked about the same value more than once, and about some never, so it must be a pure decision
/// on the entry (and on state the application keeps, such as a set of deleted collections).
///
/// Two filters are the same filter (for ``Options`` equality) when they have the same name, as RocksDB identifies
/// them.
///
/// ```swift
/// var options = Options()
/// options.compactionFilter = CompactionFilter(name: "drop-tmp") { entry in
///     entry.key.starts(with: "tmp:".utf8) ? .remove : .keep
/// }
/// ```
public struct CompactionFilter: Sendable, Hashable {
    /// One entry compaction asks about; its bytes are valid only during the call.
    public struct Entry {
        /// The level the compaction writes into.
        public var level: Int
        public var key: UnsafeRawBufferPointer
        public var value: UnsafeRawBufferPointer
        /// When the value expires (it has not yet: expired values are removed without asking); nil when it does
        /// not.
        public var expiresAt: Timestamp?
    }

    /// What becomes of an entry.
    public enum Decision: Sendable, Hashable {
        /// The value stays.
        case keep
        /// The value goes, as if the key had been deleted then.
        case remove
    }

    /// Names the filter (in the database's `LOG` and for equality).
    public let name: String
    let decide: @Sendable (Entry) -> Decision

    /// A filter named `name` that decides with `decide`, which is called from the background compaction thread.
    public init(name: String, _ decide: @escaping @Sendable (Entry) -> Decision) {
        self.name = name
        self.decide = decide
    }

    public static func == (a: CompactionFilter, b: CompactionFilter) -> Bool { a.name == b.name }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
