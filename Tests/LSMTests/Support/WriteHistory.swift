@testable import LSM

/// The writes a test made or tried so far: `states[n]` is the model after the first `n`, of which the first
/// ``acknowledgedCount`` returned successfully and the first ``lastSynced`` are durable (the last acknowledged synced
/// write and everything before it). At most the last attempted write failed.
struct WriteHistory {
    var states: [ModelState]
    var acknowledgedCount = 0
    var lastSynced = 0

    init(state: ModelState = [:]) { states = [state] }

    /// The model after every acknowledged write.
    var acknowledged: ModelState { states[acknowledgedCount] }
    /// The model after every write attempted, the failed last one included.
    var attempted: ModelState { states[states.count - 1] }
    var writeCount: Int { states.count - 1 }

    /// Whether `recovered` is a state a power loss may leave: every synced write and a prefix of the later ones.
    func isPowerLossOutcome(_ recovered: ModelState) -> Bool {
        states[lastSynced...].contains(recovered)
    }

    /// Writes `batch`, whose effect on the attempted state is `result`; the state is recorded whether or not the
    /// write fails.
    mutating func write(_ db: Database, _ batch: WriteBatch, giving result: ModelState, sync: Bool = false)
        throws(LSMError)
    {
        states.append(result)
        try db.write(batch, sync: sync)
        acknowledgedCount = states.count - 1
        if sync { lastSynced = acknowledgedCount }
    }

    /// Writes `entries` as one batch (a nil value deletes), applied to the model in order.
    mutating func perform(_ db: Database, _ entries: [([UInt8], [UInt8]?)], sync: Bool = false) throws(LSMError) {
        var batch = WriteBatch()
        var next = attempted
        for (key, value) in entries {
            if let value { batch.put(key, value) } else { batch.delete(key) }
            next[key] = value
        }
        try write(db, batch, giving: next, sync: sync)
    }

    mutating func put(_ db: Database, _ key: [UInt8], _ value: [UInt8], sync: Bool = false) throws(LSMError) {
        try perform(db, [(key, value)], sync: sync)
    }

    mutating func put(_ db: Database, _ key: String, _ value: String) throws(LSMError) {
        try put(db, Array(key.utf8), Array(value.utf8))
    }

    mutating func delete(_ db: Database, _ key: [UInt8], sync: Bool = false) throws(LSMError) {
        try perform(db, [(key, nil)], sync: sync)
    }

    mutating func delete(_ db: Database, _ key: String) throws(LSMError) {
        try delete(db, Array(key.utf8))
    }
}
