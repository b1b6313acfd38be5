import LSM

/// What the server keeps of one connection between its commands: the database it selected, the protocol it
/// speaks, whether it has authenticated, and what CLIENT LIST shows of it.
struct ClientSession: Sendable {
    /// The connection's number, unique in the process (CLIENT ID).
    let id: UInt64
    /// The peer's address, `ip:port`.
    let address: String
    /// The local address it connected to, `ip:port`.
    let localAddress: String
    /// When it connected.
    let connectedAt: Timestamp
    /// The database its commands address (SELECT).
    var database = 0
    var protocolVersion = RESPVersion.resp2
    var isAuthenticated: Bool
    /// CLIENT SETNAME's name; empty when none.
    var name = ""
    /// CLIENT SETINFO's library name and version.
    var libraryName = ""
    var libraryVersion = ""
    /// The last command it ran, lowercase (CLIENT LIST's `cmd`).
    var lastCommand = "NULL"
    /// When it last ran a command.
    var lastActivity: Timestamp

    init(id: UInt64, address: String, localAddress: String, now: Timestamp, needsAuthentication: Bool) {
        self.id = id
        self.address = address
        self.localAddress = localAddress
        connectedAt = now
        lastActivity = now
        isAuthenticated = !needsAuthentication
    }
}
