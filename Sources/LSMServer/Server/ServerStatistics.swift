import Synchronization

/// The counters INFO's stats section shows, shared by every connection.
final class ServerStatistics: Sendable {
    private let commands = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let errorReplies = Atomic<Int>(0)
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)
    private let inputBytes = Atomic<Int>(0)
    private let outputBytes = Atomic<Int>(0)

    func countCommand() { commands.add(1, ordering: .relaxed) }
    func countConnection() { connections.add(1, ordering: .relaxed) }
    func countRejectedConnection() { rejected.add(1, ordering: .relaxed) }
    func countErrorReply() { errorReplies.add(1, ordering: .relaxed) }
    /// A read of a key that found it (`hit`) or not: INFO's keyspace_hits and keyspace_misses.
    func countLookup(hit: Bool) {
        if hit { hits.add(1, ordering: .relaxed) } else { misses.add(1, ordering: .relaxed) }
    }
    func countInput(_ bytes: Int) { inputBytes.add(bytes, ordering: .relaxed) }
    func countOutput(_ bytes: Int) { outputBytes.add(bytes, ordering: .relaxed) }

    /// The counters by INFO's names.
    var snapshot: [(String, Int)] {
        [("total_connections_received", connections.load(ordering: .relaxed)),
         ("total_commands_processed", commands.load(ordering: .relaxed)),
         ("total_net_input_bytes", inputBytes.load(ordering: .relaxed)),
         ("total_net_output_bytes", outputBytes.load(ordering: .relaxed)),
         ("rejected_connections", rejected.load(ordering: .relaxed)),
         ("keyspace_hits", hits.load(ordering: .relaxed)),
         ("keyspace_misses", misses.load(ordering: .relaxed)),
         ("total_error_replies", errorReplies.load(ordering: .relaxed))]
    }

    /// CONFIG RESETSTAT: every counter back to zero.
    func reset() {
        commands.store(0, ordering: .relaxed)
        connections.store(0, ordering: .relaxed)
        rejected.store(0, ordering: .relaxed)
        errorReplies.store(0, ordering: .relaxed)
        hits.store(0, ordering: .relaxed)
        misses.store(0, ordering: .relaxed)
        inputBytes.store(0, ordering: .relaxed)
        outputBytes.store(0, ordering: .relaxed)
    }
}
