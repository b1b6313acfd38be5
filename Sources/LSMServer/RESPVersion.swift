/// The protocol a connection's replies are written in: RESP2 until the client sends `HELLO 3`.
public enum RESPVersion: Int, Sendable, Hashable, CaseIterable {
    case resp2 = 2
    case resp3 = 3
}
