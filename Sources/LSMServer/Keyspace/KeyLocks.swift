import NIOConcurrencyHelpers

/// Striped locks over keys, which make read-modify-write commands (INCR, APPEND, SET NX, RENAME...) atomic
/// against each other: every command that writes a key holds its stripe from its read to its write. Reads take
/// no lock. A command on several keys takes their stripes in ascending order, so two such commands cannot
/// deadlock; FLUSHDB and FLUSHALL take them all.
final class KeyLocks: Sendable {
    private static let stripeCount = 256
    private let stripes: [NIOLock] = (0..<KeyLocks.stripeCount).map { _ in NIOLock() }

    /// Runs `body` holding the stripes of `keys` in database `db`.
    func withLocks<R, E: Error>(db: Int, _ keys: [[UInt8]], _ body: () throws(E) -> R) throws(E) -> R {
        var indices = keys.map { Self.stripe(db: db, $0) }
        indices.sort()
        return try withStripes(indices, body)
    }

    /// Runs `body` holding the stripe of `key` in database `db`.
    func withLock<R, E: Error>(db: Int, _ key: [UInt8], _ body: () throws(E) -> R) throws(E) -> R {
        try withStripes([Self.stripe(db: db, key)], body)
    }

    /// Runs `body` holding every stripe: nothing else writes meanwhile.
    func withAllLocks<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try withStripes(Array(0..<Self.stripeCount), body)
    }

    /// Locks the ascending `indices` (each once), runs `body`, unlocks.
    private func withStripes<R, E: Error>(_ indices: [Int], _ body: () throws(E) -> R) throws(E) -> R {
        var previous = -1
        for index in indices where index != previous {
            stripes[index].lock()
            previous = index
        }
        defer {
            previous = -1
            for index in indices where index != previous {
                stripes[index].unlock()
                previous = index
            }
        }
        return try body()
    }

    /// The stripe of a key: FNV-1a over its database and bytes.
    private static func stripe(db: Int, _ key: [UInt8]) -> Int {
        var hash: UInt32 = 2_166_136_261 ^ UInt32(truncatingIfNeeded: db)
        for byte in key {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return Int(hash % UInt32(stripeCount))
    }
}
