/// When the server makes acknowledged writes durable, named as Redis's `appendfsync`.
public enum AppendFsync: String, Sendable, Hashable, CaseIterable {
    /// A write is acknowledged only once its log record is synced; writes of concurrent clients share one sync.
    case always
    /// The log is synced once a second: a power loss may take the last second of writes, a process crash none.
    case everysec
    /// The operating system writes the log back when it chooses.
    case no
}
