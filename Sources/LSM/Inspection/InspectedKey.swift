/// An internal key taken apart, as the inspection API shows it: the user's key, the sequence number of the write
/// and whether the entry is a value or a tombstone.
///
/// Tables, the manifest and index blocks store internal keys (docs/FORMAT.md); tools print them in this form.
public struct InspectedKey: Sendable, Hashable, CustomStringConvertible {
    /// What an entry records for its key.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// The key was set to a value (a put).
        case value
        /// The key was deleted (a tombstone).
        case deletion
        /// The key was set to a value that expires (a put with an expiry).
        case expiringValue
        /// A range deletion starts at the key (its value is the end of the range).
        case rangeDeletion

        init(_ kind: ValueKind) {
            switch kind {
            case .value: self = .value
            case .deletion: self = .deletion
            case .valueWithExpiry: self = .expiringValue
            case .rangeDeletion: self = .rangeDeletion
            }
        }

        public var description: String {
            switch self {
            case .value: "PUT"
            case .deletion: "DELETE"
            case .expiringValue: "PUTEX"
            case .rangeDeletion: "DELRANGE"
            }
        }
    }

    /// The highest sequence number; index separators carry it (they sort before every entry of their user key).
    public static let maxSequence: UInt64 = maxSequenceNumber

    /// The key as the user wrote it.
    public var userKey: [UInt8]
    /// The sequence number of the write that made the entry (newer writes have higher numbers).
    public var sequence: UInt64
    public var kind: Kind

    public init(userKey: [UInt8], sequence: UInt64, kind: Kind) {
        self.userKey = userKey
        self.sequence = sequence
        self.kind = kind
    }

    /// The parts of `internalKey`, or nil when it is shorter than a trailer or has an unknown kind.
    init?(internalKey: UnsafeRawBufferPointer) {
        guard let parsed = ParsedInternalKey(internalKey) else { return nil }
        self.init(userKey: parsed.userKey.array, sequence: parsed.sequence, kind: Kind(parsed.kind))
    }

    /// The parts of `internalKey`, or nil when it is shorter than a trailer or has an unknown kind.
    init?(internalKey: [UInt8]) {
        guard let key = internalKey.withUnsafeBytes({ InspectedKey(internalKey: $0) }) else { return nil }
        self = key
    }

    /// The parts of an internal key the library has already validated (table properties, manifest entries).
    init(validated internalKey: [UInt8]) {
        self = InspectedKey(internalKey: internalKey)
            ?? InspectedKey(userKey: internalKey, sequence: 0, kind: .value)
    }

    /// The user key (printable ASCII as it is, a backslash doubled, any other byte as `\xHH`), then `@sequence`
    /// and the kind, for messages.
    public var description: String {
        var text = ""
        for byte in userKey {
            switch byte {
            case UInt8(ascii: "\\"): text += "\\\\"
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                text += byte < 0x10 ? "\\x0" + hex : "\\x" + hex
            }
        }
        return "\(text) @\(sequence) \(kind)"
    }
}
