#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import Synchronization

/// The writes the write thread's commands made in its current round, merged into one engine batch.
///
/// The write thread runs the batches of many connections in a round and replies to none before the round ends,
/// so their writes can reach the engine as one write (one log append) instead of one each, as Redis writes its
/// append-only file once per event-loop iteration. Anything on the write thread that reads the engine first
/// writes what is pending (``Keyspace/database``), so every command still sees the writes before it; other
/// threads read the engine as it is, which is allowed: no write of the round has been acknowledged yet. A write
/// that fails fails the round: every command of it that wrote gets the error instead of its reply.
final class RoundWrites: @unchecked Sendable {
    // Safety of @unchecked Sendable: `pending`, `isOpen` and `failure` are touched only by the thread whose id
    // `owner` holds (the write thread), which other threads only compare with their own.

    /// Pending writes past this many bytes go to the engine without waiting for the round's end.
    static let flushThreshold = 1 << 20

    private let owner = Atomic<UInt>(0)
    private var pending = WriteBatch()
    private var isOpen = false
    private var failure: CommandError?

    /// Makes the calling thread the one whose rounds these are.
    func claim() {
        owner.store(UInt(bitPattern: Self.currentThread), ordering: .releasing)
    }

    /// Whether the calling thread is in a round, so that its writes wait for the round's end.
    var isBuffering: Bool {
        owner.load(ordering: .acquiring) == UInt(bitPattern: Self.currentThread) && isOpen
    }

    /// Starts a round. Owner thread only.
    func begin() {
        isOpen = true
        failure = nil
    }

    /// Adds a command's writes to the round. Owner thread only, in a round.
    func add(_ batch: WriteBatch, to database: Database) {
        pending.append(contentsOf: batch)
        if pending.byteCount > Self.flushThreshold { flush(to: database) }
    }

    /// Writes what is pending. Owner thread only.
    func flush(to database: Database) {
        guard !pending.isEmpty else { return }
        do {
            try database.write(pending)
        } catch {
            failure = failure ?? CommandError(writing: error)
        }
        pending.clear()
    }

    /// Ends the round: writes what is pending; returns the failure of any of the round's writes.
    func end(to database: Database) -> CommandError? {
        flush(to: database)
        isOpen = false
        return failure
    }

    private static var currentThread: Int {
        Int(bitPattern: UInt(pthread_self()))
    }
}
