import Testing
@testable import LSM

/// The commit queue on its own, without a database: order, how a group forms, and finishing it.
@Suite struct CommitQueueTests {
    private static func write(_ bytes: Int, sync: Bool = false, key: String = "k") -> CommitQueue.PendingWrite {
        var batch = WriteBatch()
        batch.put(Array(key.utf8), [UInt8](repeating: 7, count: bytes))
        return CommitQueue.PendingWrite(batch: batch, sync: sync)
    }

    @Test func theHeadTakesTheWritersBehindItUpToAFlushRequest() throws {
        let queue = CommitQueue()
        let writes = [Self.write(10, key: "a"), Self.write(20, sync: true, key: "b"), Self.write(30, key: "c")]
        let flush = CommitQueue.PendingWrite(batch: nil, sync: false)
        let after = Self.write(5, key: "d")
        for write in writes + [flush, after] { queue.append(write) }
        #expect(queue.isHead(writes[0]) && !queue.isHead(writes[1]))

        let (group, batch, sync) = queue.takeGroup()
        #expect(group == 3, "stops at the flush request")
        #expect(sync, "one member asked for a sync")
        #expect(batch.count == 3)
        var keys: [[UInt8]] = []
        var sequences: [UInt64] = []
        _ = try batch.logRecord(sequence: 41).withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in
            try WriteBatchReader.forEach(bytes) { sequence, _, key, _ in
                keys.append(key.array)
                sequences.append(sequence)
            }
        }
        #expect(keys == ["a", "b", "c"].map { Array($0.utf8) } && sequences == [41, 42, 43])

        queue.finish(count: group, error: nil)
        #expect(writes.allSatisfy { $0.done && $0.error == nil } && !flush.done)
        #expect(queue.isHead(flush) && !queue.isEmpty)
        queue.finish(count: 1, error: LSMError(.ioError, "failed"))
        #expect(flush.done && flush.error?.code == .ioError && queue.isHead(after))
        queue.finish(count: 1, error: nil)
        #expect(queue.isEmpty)
    }

    @Test func aGroupStaysWithinItsSizeLimit() {
        // A small leader lets at most 128 KiB join it; a large one, up to 1 MiB in all.
        let small = CommitQueue()
        small.append(Self.write(100))
        for _ in 0..<10 { small.append(Self.write(30_000)) }
        let smallGroup = small.takeGroup()
        #expect(smallGroup.count == 5, "100 bytes plus four 30 KB writers fit in 128 KiB more")
        #expect(smallGroup.batch.byteCount <= 100 + CommitQueue.smallLeaderAllowance + 64)
        #expect(!smallGroup.sync)

        let large = CommitQueue()
        large.append(Self.write(200_000))
        for _ in 0..<10 { large.append(Self.write(200_000)) }
        let largeGroup = large.takeGroup()
        #expect(largeGroup.count == 5, "five 200 KB writers fit in 1 MiB")
        #expect(largeGroup.batch.byteCount <= CommitQueue.largeGroupLimit)
    }
}
