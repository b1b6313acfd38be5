/// What a key holds, as its metadata record's first byte says (docs/FORMAT.md, "Server key encoding").
///
/// Only strings exist so far; the collection types have their bytes reserved so that records written now keep
/// their meaning when lists, hashes, sets and sorted sets arrive.
public enum KeyType: UInt8, Sendable, Hashable, CaseIterable {
    case string = 1
    case list = 2
    case hash = 3
    case set = 4
    case sortedSet = 5

    /// The name TYPE replies and SCAN's TYPE option takes.
    public var name: String {
        switch self {
        case .string: "string"
        case .list: "list"
        case .hash: "hash"
        case .set: "set"
        case .sortedSet: "zset"
        }
    }

    /// The type TYPE calls `name`, or nil for a name no type has.
    public init?(name: String) {
        guard let type = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = type
    }
}
