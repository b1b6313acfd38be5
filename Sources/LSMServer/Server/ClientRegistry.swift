import NIOConcurrencyHelpers

/// The connected clients, for CLIENT LIST, INFO's clients section and maxclients: each connection registers its
/// session when it opens, updates it after each batch of commands, and removes it when it closes.
final class ClientRegistry: Sendable {
    private let clients = NIOLockedValueBox<[UInt64: ClientSession]>([:])
    private let nextID = NIOLockedValueBox<UInt64>(1)

    /// A new connection's number.
    func newID() -> UInt64 {
        nextID.withLockedValue { id in
            defer { id += 1 }
            return id
        }
    }

    /// Registers `session` unless `limit` clients are connected already; returns whether it was.
    func register(_ session: ClientSession, limit: Int) -> Bool {
        clients.withLockedValue { clients in
            guard clients.count < limit else { return false }
            clients[session.id] = session
            return true
        }
    }

    func update(_ session: ClientSession) {
        clients.withLockedValue { clients in
            // One lookup: a connection that closed meanwhile stays removed.
            if let index = clients.index(forKey: session.id) { clients.values[index] = session }
        }
    }

    func remove(id: UInt64) {
        _ = clients.withLockedValue { $0.removeValue(forKey: id) }
    }

    var count: Int { clients.withLockedValue { $0.count } }

    /// Every connected client's session, in connection order.
    var sessions: [ClientSession] {
        clients.withLockedValue { Array($0.values) }.sorted { $0.id < $1.id }
    }
}
