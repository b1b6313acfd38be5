import LSM
import NIOCore
@testable import LSMServer

/// A client of its own on a harness's server, for running commands from another thread, each through a
/// ``CommandContext`` of its own as a connection builds one.
struct HarnessClient: Sendable {
    let state: ServerState
    let session: ClientSession

    init(state: ServerState) {
        self.state = state
        session = ClientSession(id: state.clients.newID(), address: "127.0.0.1:2", localAddress: "127.0.0.1:6379",
                                now: state.keyspace.clock.now(), needsAuthentication: false)
    }

    func run(_ arguments: String...) -> RESPReply {
        var context = CommandContext(server: state, session: session,
                                     arguments: arguments.map { ByteBuffer(string: $0) })
        return state.commands.execute(&context)
    }
}

extension ServerHarness {
    /// Writes `key` in database `db` as a key of `type` straight through the engine, since no command creates
    /// collections yet: a collection's record, its type byte, then a version (1) and a size (3) as docs/FORMAT.md
    /// lays them out.
    func writeCollectionKey(_ key: String, ofType type: KeyType, db: Int = 0, expiresAt: Timestamp? = nil) throws {
        let engineKey = KeyEncoding.metadataKey(db: db, Array(key.utf8))
        let record = [type.rawValue] + [1, 0, 0, 0, 0, 0, 0, 0] + [3, 0, 0, 0, 0, 0, 0, 0]
        if let expiresAt {
            try database.put(engineKey, record, expiresAt: expiresAt)
        } else {
            try database.put(engineKey, record)
        }
    }
}

/// What the tests read out of replies: each nil (or false) for a reply of another kind.
extension RESPReply {
    var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    var simpleStringValue: String? {
        if case .simpleString(let value) = self { value } else { nil }
    }

    /// The bytes of a bulk string.
    var bulkStringBytes: [UInt8]? {
        if case .bulkString(let bytes) = self { bytes } else { nil }
    }

    /// A bulk string as one element, an array of bulk strings as its elements.
    var bulkStrings: [[UInt8]]? {
        switch self {
        case .bulkString(let bytes): return [bytes]
        case .array(let elements):
            var strings: [[UInt8]] = []
            for element in elements {
                guard case .bulkString(let bytes) = element else { return nil }
                strings.append(bytes)
            }
            return strings
        default: return nil
        }
    }

    /// The line of an error.
    var errorLine: String? {
        if case .error(let line) = self { line } else { nil }
    }

    /// Whether the reply is `+OK`.
    var isOK: Bool { simpleStringValue == "OK" }
}
