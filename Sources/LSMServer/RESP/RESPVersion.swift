/// The protocol a connection's replies are written in: RESP2 until the client sends `HELLO 3`.
public enum RESPVersion: Int, Sendable, Hashable, CaseIterable {
    /// RESP2, every client's protocol: five types, nulls as `$-1` and `*-1`.
    case resp2 = 2
    /// RESP3 (`HELLO 3`): adds null, maps, sets, doubles, booleans and verbatim strings, among others.
    case resp3 = 3
}
