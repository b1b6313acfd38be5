@testable import LSM

/// One entry of the sorted model that memtables and tables are checked against: an internal key's parts and the
/// value stored under it.
struct ModelEntry {
    var userKey: [UInt8]
    var sequence: SequenceNumber
    var kind: ValueKind
    var value: [UInt8]

    var internalKey: [UInt8] { makeInternalKey(userKey, sequence, kind) }
}
