/// Internal keys: what the memtable, SSTables and the version model store and sort.
///
/// An internal key is the user key followed by an 8-byte little-endian trailer `(sequence << 8) | kind`. Internal
/// keys sort by user key ascending (bytewise), then by trailer descending, so the newest entry of a key comes first
/// and a reader at sequence S finds its entry by seeking to `(key, S, .value)`.

/// What an entry records for its key.
enum ValueKind: UInt8, Sendable {
    case deletion = 0
    case value = 1
    /// A value that expires: its stored value is the expiry time followed by the user's value
    /// (``ExpiringValue``).
    case valueWithExpiry = 2
    /// A range deletion (``RangeTombstone``): a write batch entry, a key of a table's range deletion block and a
    /// table's smallest bound; never a point entry of a memtable or a data block.
    case rangeDeletion = 3

    /// The kind used when seeking: the highest kind of a point entry, so a seek lands on the entry of that sequence
    /// whatever its kind.
    static let forSeek: ValueKind = .valueWithExpiry

    /// Whether the entry holds a value (expiring or not).
    var isValue: Bool { self == .value || self == .valueWithExpiry }
}

/// Sequence numbers take the top 56 bits of the trailer.
typealias SequenceNumber = UInt64

let maxSequenceNumber: SequenceNumber = (1 << 56) - 1

/// Size of the trailer that follows the user key.
let internalKeyTrailerSize = 8

@inline(__always)
func packTrailer(_ sequence: SequenceNumber, _ kind: ValueKind) -> UInt64 {
    (sequence << 8) | UInt64(kind.rawValue)
}

/// Builds the internal key for `userKey` at `sequence` with `kind`.
func makeInternalKey(_ userKey: some Collection<UInt8>, _ sequence: SequenceNumber, _ kind: ValueKind) -> [UInt8] {
    var key = [UInt8]()
    key.reserveCapacity(userKey.count + internalKeyTrailerSize)
    key.append(contentsOf: userKey)
    key.appendFixed64(packTrailer(sequence, kind))
    return key
}

/// Calls `body` with the internal key of `userKey`, `sequence` and `kind`, built in temporary memory (on the stack
/// when it is small): how a point read makes its seek target without allocating.
func withInternalKey<R, E: Error>(
    _ userKey: UnsafeRawBufferPointer, _ sequence: SequenceNumber, _ kind: ValueKind,
    _ body: (UnsafeRawBufferPointer) throws(E) -> R
) throws(E) -> R {
    try withUnsafeTemporaryAllocation(byteCount: userKey.count + internalKeyTrailerSize, alignment: 8) {
        (buffer: UnsafeMutableRawBufferPointer) throws(E) -> R in
        buffer.copyMemory(from: userKey)
        buffer.storeBytes(of: packTrailer(sequence, kind).littleEndian, toByteOffset: userKey.count, as: UInt64.self)
        return try body(UnsafeRawBufferPointer(buffer))
    }
}

/// A parsed view of an internal key; the bytes are borrowed.
///
/// The bytes: docs/FORMAT.md, "Internal keys".
struct ParsedInternalKey {
    var userKey: UnsafeRawBufferPointer
    var sequence: SequenceNumber
    var kind: ValueKind

    /// Parses `internalKey`, or returns nil when it is shorter than a trailer or has an unknown kind.
    @inline(__always)
    init?(_ internalKey: UnsafeRawBufferPointer) {
        let n = internalKey.count - internalKeyTrailerSize
        guard n >= 0 else { return nil }
        let trailer = internalKey.fixed64(at: n)
        guard let kind = ValueKind(rawValue: UInt8(truncatingIfNeeded: trailer)) else { return nil }
        self.userKey = UnsafeRawBufferPointer(rebasing: internalKey[0..<n])
        self.sequence = trailer >> 8
        self.kind = kind
    }
}

/// The user-key part of an internal key; the caller guarantees the key is at least a trailer long.
@inline(__always)
func userKey(of internalKey: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: internalKey[0..<(internalKey.count - internalKeyTrailerSize)])
}

/// Internal-key order: user key ascending, then trailer (sequence, kind) descending.
/// Both keys must be at least a trailer long.
@inline(__always)
func compareInternalKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    compareInternalKeys(userKey: userKey(of: a), trailer: a.fixed64(at: a.count - internalKeyTrailerSize), b)
}

/// Compares the internal key made of `aUserKey` and the trailer `ta` with the internal key `b`.
@inline(__always)
func compareInternalKeys(userKey aUserKey: UnsafeRawBufferPointer, trailer ta: UInt64,
                         _ b: UnsafeRawBufferPointer) -> Int {
    let r = compareBytes(aUserKey, userKey(of: b))
    if r != 0 { return r }
    let tb = b.fixed64(at: b.count - internalKeyTrailerSize)
    return ta > tb ? -1 : (ta < tb ? 1 : 0)
}

func compareInternalKeys(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compareInternalKeys(pa, pb) } }
}
