/// The identity of one database: 16 random bytes chosen when it is created (or first opened by a build that
/// records identities), written into its manifest and into the header of every log and the properties of every
/// table it writes.
///
/// A file whose recorded identity differs from the manifest's was copied in from another database; reading it as
/// this database's would mix two databases, so it is reported as corruption. docs/FORMAT.md, "Database identity".
public struct DatabaseID: Sendable, Hashable, CustomStringConvertible {
    /// Bytes in an identity.
    public static let byteCount = 16

    /// The identity's bytes.
    public let bytes: [UInt8]

    /// The identity held in `bytes`, or nil when they are not ``byteCount`` long.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    /// A fresh identity from the system's random number generator.
    static func random() -> DatabaseID {
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next(), generator.next()] as [UInt64]
        var bytes: [UInt8] = []
        for word in words { bytes.appendFixed64(word) }
        // 16 bytes by construction.
        return DatabaseID(bytes: bytes)!
    }

    /// The bytes in hexadecimal, grouped as a UUID is (8-4-4-4-12 digits).
    public var description: String {
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text += "-" }
            if byte < 0x10 { text += "0" }
            text += String(byte, radix: 16)
        }
        return text
    }
}
