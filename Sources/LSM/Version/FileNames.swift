/// The names of the files in a database directory.
///
/// `CURRENT` names the live manifest; `MANIFEST-NNNNNN` is a log of version edits; `NNNNNN.wal` are write-ahead
/// logs and `NNNNNN.sst` sorted tables, numbered from one counter; `LOCK` keeps a second process out; `LOG` is
/// the human-readable event log.
///
/// The bytes: docs/FORMAT.md, "The database directory".
enum FileNames {
    static let current = "CURRENT"
    static let lock = "LOCK"
    /// The human-readable event log; not part of the database's state.
    static let eventLog = "LOG"
    static let manifestPrefix = "MANIFEST-"

    /// The kinds of file a database directory holds.
    enum Kind: Equatable {
        case wal(UInt64)
        case table(UInt64)
        case manifest(UInt64)
        case current
        case lock
        case temporary
    }

    static func wal(_ number: UInt64) -> String { numbered(number) + ".wal" }
    static func table(_ number: UInt64) -> String { numbered(number) + ".sst" }
    static func manifest(_ number: UInt64) -> String { manifestPrefix + numbered(number) }

    static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// What kind of file `name` is, or nil for a name the database does not write.
    static func parse(_ name: String) -> Kind? {
        if name == current { return .current }
        if name == lock { return .lock }
        if name.hasSuffix(".tmp") { return .temporary }
        if name.hasPrefix(manifestPrefix) {
            return number(String(name.dropFirst(manifestPrefix.count))).map { .manifest($0) }
        }
        if name.hasSuffix(".wal") { return number(String(name.dropLast(4))).map { .wal($0) } }
        if name.hasSuffix(".sst") { return number(String(name.dropLast(4))).map { .table($0) } }
        return nil
    }

    private static func numbered(_ number: UInt64) -> String {
        let digits = String(number)
        return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
    }

    private static func number(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(text)
    }
}
