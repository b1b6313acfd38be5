import LSM
import NIOCore

/// One command being run: its arguments, the session of its connection (which it may change), the server, and
/// what the connection must do after it (sync its writes, close).
struct CommandContext {
    let server: ServerState
    var session: ClientSession
    /// The command name, then its arguments.
    var arguments: [ByteBuffer]
    /// Set by every command that wrote to the database: under `appendfsync always` the connection syncs the log
    /// before its replies leave.
    var wroteToDatabase = false
    /// When set, writes are checked and gathered in ``deferredWrites`` instead of applied: for a batch of blind
    /// writes (``Command/writesBlindly``) run on an event loop, whose gathered writes are applied when its turn ends.
    var defersWrites = false
    /// What the commands wrote while ``defersWrites`` was set; nil before the first write.
    var deferredWrites: WriteBatch?
    /// Set by QUIT and SHUTDOWN: the connection closes once its reply is written.
    var closesConnection = false
    /// Set by SHUTDOWN, which closes the connection without a reply, as Redis does (clients take the closed
    /// connection as success).
    var suppressesReply = false

    var keyspace: Keyspace { server.keyspace }
    /// The database the connection selected.
    var db: Int { session.database }
    /// How many arguments there are, the name included.
    var count: Int { arguments.count }
    /// The command name in lowercase.
    var name: String { String(decoding: arguments[0].readableBytesView, as: UTF8.self).lowercased() }

    /// Argument `index` (0: the name) as bytes.
    func bytes(_ index: Int) -> [UInt8] {
        arguments[index].withUnsafeReadableBytes { Array($0) }
    }

    /// Argument `index` as text, for names and options (invalid UTF-8 is replaced, and then matches nothing).
    func text(_ index: Int) -> String {
        String(decoding: arguments[index].readableBytesView, as: UTF8.self)
    }

    /// Argument `index` as an option word with ASCII letters in uppercase, for comparing with `EX`, `NX`... Only
    /// ASCII is folded, as Redis compares: `ſync` is not `SYNC`.
    func option(_ index: Int) -> String {
        Self.optionWord(arguments[index])
    }

    /// `argument` as an option word, ASCII letters in uppercase (see ``option(_:)``).
    static func optionWord(_ argument: ByteBuffer) -> String {
        String(decoding: argument.readableBytesView.map { byte in
            byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
        }, as: UTF8.self)
    }

    /// Argument `index` as a signed 64-bit integer in Redis's strict form; `ERR value is not an integer or out of
    /// range` otherwise.
    func integer(_ index: Int) throws(CommandError) -> Int64 {
        guard let value = RedisNumber.integer(arguments[index].readableBytesView) else {
            throw CommandError.notInteger
        }
        return value
    }

    /// Argument `index` as a finite double in Redis's form; `ERR value is not a valid float` otherwise.
    func double(_ index: Int) throws(CommandError) -> Double {
        guard let value = RedisNumber.double(arguments[index].readableBytesView) else { throw CommandError.notFloat }
        return value
    }

    /// Applies `batch`, or gathers it when writes are deferred, and notes that the command wrote.
    mutating func write(_ batch: WriteBatch) throws(CommandError) {
        if defersWrites {
            do {
                try batch.validate()
            } catch {
                throw CommandError(writing: error)
            }
            deferredWrites.gather(batch)
        } else {
            try keyspace.write(batch)
        }
        wroteToDatabase = true
    }

    /// Applies `batch`, which the command made without reading anything: under the write lock, so that it does not
    /// land inside another command's read-modify-write; or, when writes are deferred, gathered without the lock,
    /// as the write thread applies them between commands anyway, so that an event loop never waits for the lock.
    mutating func writeBlindly(_ batch: WriteBatch) throws(CommandError) {
        if defersWrites {
            try write(batch)
        } else {
            try keyspace.serializingWrites { () throws(CommandError) in try write(batch) }
        }
    }

    /// The current time by the engine's clock.
    var now: Timestamp { keyspace.clock.now() }
}
