import Testing
@testable import LSM

/// Values that expire: reads stop seeing them at their expiry (by the injected clock), snapshots and cursors keep
/// the moment they were taken, the expiry survives logs, tables and reopening, and compaction removes them.
@Suite struct ExpiryTests {
    private static func open(_ dir: TemporaryDirectory, _ clock: TestClock, filter: CompactionFilter? = nil)
        throws -> Database
    {
        var options = Options()
        options.clock = clock.wallClock
        options.compactionFilter = filter
        return try Database.open(dir.path, options: options)
    }

    @Test func aValueReadsUntilItsExpiryAndThenAsAbsent() throws {
        let dir = TemporaryDirectory("expiry")
        defer { dir.remove() }
        let clock = TestClock()
        let db = try Self.open(dir, clock)
        try db.put("k", "v", expiresAt: clock.later(1000))
        try db.put("forever", "w")
        #expect(try db.get("k") == "v")
        let entry = try db.getWithExpiry(Array("k".utf8))
        #expect(entry?.value == Array("v".utf8) && entry?.expiresAt == clock.later(1000))
        #expect(try db.getWithExpiry(Array("forever".utf8))?.expiresAt == nil)
        // Any contiguous bytes name the key, read in place.
        #expect(try db.getWithExpiry("k")?.expiresAt == clock.later(1000))
        #expect(try "k".utf8.withContiguousStorageIfAvailable { try db.getWithExpiry(UnsafeRawBufferPointer($0)) }??
                    .value == Array("v".utf8))
        clock.advance(999)
        #expect(try db.get("k") == "v", "one millisecond before its expiry")
        clock.advance(1)
        #expect(try db.get("k") == nil, "at its expiry")
        #expect(try db.getWithExpiry(Array("k".utf8)) == nil)
        #expect(try db.getWithExpiry("k") == nil)
        #expect(try db.get("forever") == "w")
        // A later plain put replaces the expiring value, and a moment already past writes an absent key.
        try db.put("k", "again")
        #expect(try db.get("k") == "again")
        try db.put("past", "x", expiresAt: clock.later(-1))
        #expect(try db.get("past") == nil)
        try db.close()
    }

    @Test func relativeExpiryCountsFromTheClock() throws {
        let dir = TemporaryDirectory("expiry-relative")
        defer { dir.remove() }
        let clock = TestClock()
        let db = try Self.open(dir, clock)
        try db.put("k", "v", expiresAfter: .seconds(2))
        #expect(try db.getWithExpiry(Array("k".utf8))?.expiresAt == clock.later(2000))
        try db.put(Array("a".utf8), Array("b".utf8), expiresAfter: .milliseconds(5))
        clock.advance(5)
        #expect(try db.get("a") == nil && db.get("k") == "v")
        try db.close()
    }

    @Test func snapshotsAndCursorsKeepTheMomentTheyWereTaken() throws {
        let dir = TemporaryDirectory("expiry-snapshot")
        defer { dir.remove() }
        let clock = TestClock()
        let db = try Self.open(dir, clock)
        for key in ["a", "b", "c", "d"] { try db.put(key, "v" + key, expiresAt: clock.later(key == "c" ? 500 : 100)) }
        try db.put("e", "ve")
        let before = try db.snapshot()
        let cursor = try db.cursor()
        let reverse = try db.cursor(reverse: true)
        clock.advance(100)
        let after = try db.snapshot()
        #expect(before.time == clock.later(-100) && after.time == clock.now)

        #expect(try db.get("a", snapshot: before) == "va", "the snapshot reads as of its own time")
        #expect(try db.get("a", snapshot: after) == nil)
        #expect(try db.get("a") == nil)
        var keys: [String] = []
        var expiries: [Timestamp?] = []
        while let (key, _) = try cursor.next() {
            keys.append(String(decoding: key, as: UTF8.self))
            expiries.append(cursor.expiry)
        }
        #expect(keys == ["a", "b", "c", "d", "e"], "a cursor made before the expiry sees the values")
        #expect(expiries == [clock.now, clock.now, clock.later(400), clock.now, nil])
        var reversed: [String] = []
        while let (key, _) = try reverse.next() { reversed.append(String(decoding: key, as: UTF8.self)) }
        #expect(reversed == ["e", "d", "c", "b", "a"])

        let now = try db.cursor()
        var visible: [String] = []
        while let (key, value) = try now.next() {
            visible.append(String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
        }
        #expect(visible == ["c=vc", "e=ve"], "a cursor made after it does not")
        let nowReverse = try db.cursor(reverse: true)
        var visibleReverse: [String] = []
        while let (key, _) = try nowReverse.next() {
            visibleReverse.append(String(decoding: key, as: UTF8.self))
            #expect(nowReverse.expiry == (visibleReverse.last == "c" ? clock.later(400) : nil))
        }
        #expect(visibleReverse == ["e", "c"])
        #expect(nowReverse.expiry == nil, "once the range is exhausted")
        let seeking = try db.cursor()
        _ = try seeking.next()
        #expect(seeking.expiry == clock.later(400), "c expires")
        seeking.seek(to: Array("e".utf8))
        #expect(seeking.expiry == nil, "after a seek")
        try db.close()
    }

    @Test func theExpirySurvivesTheLogTablesAndReopening() throws {
        let dir = TemporaryDirectory("expiry-reopen")
        defer { dir.remove() }
        let clock = TestClock()
        var db = try Self.open(dir, clock)
        var batch = WriteBatch()
        batch.put("in-batch", "1", expiresAt: clock.later(1000))
        batch.put(Array("array".utf8), Array("2".utf8), expiresAt: clock.later(3000))
        batch.delete("nothing")
        try db.write(batch)
        try db.put("flushed", "3", expiresAt: clock.later(2000))
        try db.flush()
        try db.put("logged", "4", expiresAt: clock.later(2000))
        try db.close()

        db = try Self.open(dir, clock)
        #expect(try db.get("in-batch") == "1" && db.get("array") == "2")
        #expect(try db.get("flushed") == "3" && db.get("logged") == "4")
        #expect(try db.getWithExpiry(Array("logged".utf8))?.expiresAt == clock.later(2000))
        clock.advance(1000)
        #expect(try db.get("in-batch") == nil && db.get("array") == "2")
        clock.advance(1000)
        #expect(try db.get("flushed") == nil && db.get("logged") == nil && db.get("array") == "2")
        try db.close()
    }

    @Test func compactionRemovesExpiredValuesAndKeepsOlderVersionsHidden() throws {
        let dir = TemporaryDirectory("expiry-compaction")
        defer { dir.remove() }
        let clock = TestClock()
        let asked = Locked<[(key: String, value: String, expiry: Timestamp?)]>([])
        let filter = CompactionFilter(name: "watch") { entry in
            asked.withLock {
                $0.append((String(decoding: entry.key, as: UTF8.self), String(decoding: entry.value, as: UTF8.self),
                           entry.expiresAt))
            }
            return .keep
        }
        let db = try Self.open(dir, clock, filter: filter)
        for i in 0..<200 { try db.put("k\(i)", "old") }
        try db.compact()
        for i in 0..<200 { try db.put("k\(i)", "new", expiresAt: clock.later(i < 100 ? 1000 : 5000)) }
        try db.flush()
        clock.advance(1000)
        asked.withLock { $0.removeAll() }
        try db.compact()

        for i in 0..<200 { #expect(try db.get("k\(i)") == (i < 100 ? nil : "new"), "k\(i)") }
        #expect(try db.estimatedKeyCount() == 100, "the expired values, and the versions they hid, left the tables")
        let seen = asked.withLock { $0 }
        #expect(seen.contains { $0.key == "k150" && $0.value == "new" && $0.expiry == clock.later(4000) },
                "the filter sees a live expiring value without its expiry bytes, with its expiry")
        #expect(!seen.contains { $0.key == "k50" }, "an expired value is removed without asking the filter")
        try db.close()
    }

    @Test func aSnapshotKeepsAnExpiredValueThroughCompaction() throws {
        let dir = TemporaryDirectory("expiry-pinned")
        defer { dir.remove() }
        let clock = TestClock()
        let db = try Self.open(dir, clock)
        try db.put("k", "v", expiresAt: clock.later(10))
        let snapshot = try db.snapshot()
        clock.advance(10)
        try db.compact()
        #expect(try db.get("k", snapshot: snapshot) == "v")
        #expect(try db.get("k") == nil)
        snapshot.release()
        try db.compact()
        #expect(try db.estimatedKeyCount() == 0)
        try db.close()
    }

    /// A compaction that starts while a snapshot is being taken, just after the snapshot read the clock, keeps what
    /// the snapshot reads: here it runs inside that reading of the clock, with the clock past the value's expiry.
    @Test func aCompactionAsASnapshotReadsTheClockKeepsWhatTheSnapshotSees() throws {
        let dir = TemporaryDirectory("expiry-snapshot-compaction")
        defer { dir.remove() }
        let clock = TestClock()
        let interruption = Locked<(@Sendable () -> Void)?>(nil)
        var options = Options()
        options.clock = WallClock(name: "interrupted") {
            let now = clock.now
            interruption.withLock { pending in
                defer { pending = nil }
                return pending
            }?()
            return now
        }
        let db = try Database.open(dir.path, options: options)
        try db.put("k", "v", expiresAt: clock.later(10))
        interruption.withLock { pending in
            pending = {
                clock.advance(10)
                #expect(throws: Never.self) { try db.compact() }
            }
        }
        let snapshot = try db.snapshot()
        #expect(snapshot.time == clock.later(-10))
        #expect(try db.get("k") == nil)
        #expect(try db.get("k", snapshot: snapshot) == "v", "the snapshot was taken before the value expired")
        try db.close()
    }

    @Test func aLogEntryTooShortForItsExpiryIsDamage() throws {
        var encoded = [UInt8](repeating: 0, count: WriteBatch.headerSize)
        encoded.storeFixed64Placeholder(sequence: 1, count: 1)
        encoded += [ValueKind.valueWithExpiry.rawValue, 1, UInt8(ascii: "k"), 3, 1, 2, 3]
        #expect(throws: LSMError.self) {
            try encoded.withUnsafeBytes { bytes in _ = try WriteBatchReader.forEach(bytes) { _, _, _, _ in } }
        }
    }

    @Test func timestampArithmeticSaturates() {
        let max = Timestamp(millisecondsSinceEpoch: .max)
        #expect(max.advanced(by: .seconds(1)) == max)
        #expect(Timestamp(millisecondsSinceEpoch: 0).advanced(by: .milliseconds(1500)).millisecondsSinceEpoch == 1500)
        #expect(Timestamp(secondsSinceEpoch: .max) == max)
        #expect(Timestamp(millisecondsSinceEpoch: .min).milliseconds(until: max) == .max)
        #expect(Timestamp(millisecondsSinceEpoch: 5).milliseconds(until: Timestamp(millisecondsSinceEpoch: 2)) == -3)
    }
}

private extension [UInt8] {
    /// Writes a batch header (first sequence, entry count) over the first 12 bytes.
    mutating func storeFixed64Placeholder(sequence: UInt64, count: UInt32) {
        replaceSubrange(0..<8, with: Swift.withUnsafeBytes(of: sequence.littleEndian) { Array($0) })
        replaceSubrange(8..<12, with: Swift.withUnsafeBytes(of: count.littleEndian) { Array($0) })
    }
}
