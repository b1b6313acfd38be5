import NIOConcurrencyHelpers

/// SCAN's cursors. Clients (redis-py among them) need an integer cursor, but the key space is ordered by bytes, so
/// each cursor number stands for the last key a SCAN visited: the next SCAN continues after it. A key that
/// exists from the first SCAN to the last is returned, whatever is written meanwhile, because it is after every
/// key already passed.
///
/// The most recent cursors are kept, at most ``capacity`` of them holding at most ``byteCapacity`` bytes of keys
/// (keys run to 64 KiB, so the count alone would let clients pin gigabytes); an older one is `ERR invalid cursor`.
final class ScanCursors: Sendable {
    static let capacity = 65_536
    static let byteCapacity = 64 << 20

    private struct State {
        var positions: [UInt64: (db: Int, after: [UInt8])] = [:]
        /// Numbers in the order they were handed out, for dropping the oldest.
        var order: [UInt64] = []
        var orderStart = 0
        /// The bytes of the keys in `positions`.
        var bytes = 0
        var next: UInt64 = 1

        /// Forgets the oldest cursor.
        mutating func dropOldest() {
            if let dropped = positions.removeValue(forKey: order[orderStart]) { bytes -= dropped.after.count }
            orderStart += 1
            if orderStart > ScanCursors.capacity {
                order.removeFirst(orderStart)
                orderStart = 0
            }
        }
    }

    private let state = NIOLockedValueBox(State())

    /// A new cursor number standing for "after `key` in database `db`".
    func cursor(db: Int, after key: [UInt8]) -> UInt64 {
        state.withLockedValue { state in
            let number = state.next
            state.next = state.next == UInt64.max ? 1 : state.next + 1
            state.positions[number] = (db, key)
            state.bytes += key.count
            state.order.append(number)
            while state.order.count - state.orderStart > Self.capacity || state.bytes > Self.byteCapacity {
                state.dropOldest()
            }
            return number
        }
    }

    /// Where cursor `number` continues, or nil when it was never handed out (or is too old) or belongs to another
    /// database.
    func position(_ number: UInt64, db: Int) -> [UInt8]? {
        state.withLockedValue { state in
            guard let position = state.positions[number], position.db == db else { return nil }
            return position.after
        }
    }
}
