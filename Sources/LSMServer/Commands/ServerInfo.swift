/// What the server says of itself.
enum ServerInfo {
    /// The Redis version whose commands and replies the server follows, which HELLO and INFO report: clients pick
    /// their features by it.
    static let redisVersion = "7.2.0"
    /// This server's own version.
    static let version = "0.1.0"
}
