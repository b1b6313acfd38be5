/// When writes are made durable.
public enum SyncPolicy: Sendable, Hashable {
    /// Only writes that pass `sync: true` wait for the disk; the rest survive a process crash but may be lost
    /// on power loss.
    case perWrite
    /// Every write waits for the disk, whatever its `sync` argument.
    case always
}
