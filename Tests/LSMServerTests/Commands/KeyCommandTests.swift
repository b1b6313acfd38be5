import LSM
import NIOCore
@testable import LSMServer

/// A client of its own on a harness's server, for running commands from another thread.
struct HarnessClient {
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
    /// Stores a record of `type` under `key` in database `db` by hand (no command makes collections yet), with a
    /// made-up version and size.
    func putRecord(_ key: String, type: KeyType, db: Int = 0) throws {
        try database.put(KeyEncoding.metadataKey(db: db, Array(key.utf8)), [type.rawValue, 0, 0, 0, 1, 0, 0, 0, 3])
    }
}

extension RESPReply {
    var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    var simpleStringValue: String? {
        if case .simpleString(let value) = self { value } else { nil }
    }

    /// A bulk string as one element, an array of bulk strings as its elements; nil otherwise.
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
}
