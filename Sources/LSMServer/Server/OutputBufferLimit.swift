/// How much reply data a client may leave unread before the server disconnects it (Redis's
/// `client-output-buffer-limit normal HARD SOFT SECONDS`).
///
/// A connection stops reading requests while more than `softBytes` of replies wait to be sent, so a client that
/// does not read stalls only itself; if that lasts `softSeconds`, or the waiting replies ever pass `hardBytes`
/// (one huge batch), the connection is closed. Zero disables a bound, as in Redis.
public struct OutputBufferLimit: Sendable, Hashable, CustomStringConvertible {
    public var hardBytes: Int
    public var softBytes: Int
    public var softSeconds: Int

    /// Defaults: 256 MiB hard, 32 MiB for 60 seconds soft (Redis leaves normal clients unbounded; a durable
    /// server should not let one client hold its memory).
    public init(hardBytes: Int = 256 << 20, softBytes: Int = 32 << 20, softSeconds: Int = 60) {
        self.hardBytes = hardBytes
        self.softBytes = softBytes
        self.softSeconds = softSeconds
    }

    /// Reads Redis's form, `normal HARD SOFT SECONDS`, sizes with an optional unit (`64mb`, `1gb`, `512k`).
    public init?(parsing words: [String]) {
        guard words.count == 4, words[0].lowercased() == "normal",
              let hard = ServerConfiguration.parseMemory(words[1]), let soft = ServerConfiguration.parseMemory(words[2]),
              let seconds = Int(words[3]), seconds >= 0 else { return nil }
        self.init(hardBytes: hard, softBytes: soft, softSeconds: seconds)
    }

    /// Redis's form, as CONFIG GET shows it.
    public var description: String { "normal \(hardBytes) \(softBytes) \(softSeconds)" }
}
