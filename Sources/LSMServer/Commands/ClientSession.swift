import LSM

/// What the server keeps of one connection between its commands: the database it selected, the protocol it
/// speaks, whether it has authenticated, and what CLIENT LIST shows of it.
///
/// Every batch copies its connection's session a few times (into its commands' context, its result, the registry),
/// so the strings that change rarely if ever (addresses, CLIENT SETNAME and SETINFO) live together in one shared
/// immutable object: a copy retains that one reference rather than each string. Changing one replaces the object.
struct ClientSession: Sendable {
    /// The connection's number, unique in the process (CLIENT ID).
    let id: UInt64
    /// When it connected.
    let connectedAt: Timestamp
    /// The database its commands address (SELECT).
    var database = 0
    var protocolVersion = RESPVersion.resp2
    var isAuthenticated: Bool
    /// The last command it ran, lowercase (CLIENT LIST's `cmd`).
    var lastCommand = "NULL"
    /// When it last ran a command.
    var lastActivity: Timestamp
    private var labels: SharedLabels

    init(id: UInt64, address: String, localAddress: String, now: Timestamp, needsAuthentication: Bool) {
        self.id = id
        connectedAt = now
        lastActivity = now
        isAuthenticated = !needsAuthentication
        labels = SharedLabels(Labels(address: address, localAddress: localAddress))
    }

    /// The peer's address, `ip:port`.
    var address: String { labels.value.address }
    /// The local address it connected to, `ip:port`.
    var localAddress: String { labels.value.localAddress }
    /// CLIENT SETNAME's name; empty when none.
    var name: String {
        get { labels.value.name }
        set { changeLabels { $0.name = newValue } }
    }
    /// CLIENT SETINFO's library name.
    var libraryName: String {
        get { labels.value.libraryName }
        set { changeLabels { $0.libraryName = newValue } }
    }
    /// CLIENT SETINFO's library version.
    var libraryVersion: String {
        get { labels.value.libraryVersion }
        set { changeLabels { $0.libraryVersion = newValue } }
    }

    private mutating func changeLabels(_ change: (inout Labels) -> Void) {
        var value = labels.value
        change(&value)
        labels = SharedLabels(value)
    }

    private struct Labels {
        var address: String
        var localAddress: String
        var name = ""
        var libraryName = ""
        var libraryVersion = ""
    }

    private final class SharedLabels: Sendable {
        let value: Labels

        init(_ value: Labels) {
            self.value = value
        }
    }
}
