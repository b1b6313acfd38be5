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

        let (group, merged, sync) = queue.takeGroup(leader: writes[0])
        #expect(group == 3, "stops at the flush request")
        let batch = try #require(merged)
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
        // The queue holds writers unretained, as their own threads keep them alive: these arrays do here.
        let small = CommitQueue()
        let smallWrites = [Self.write(100)] + (0..<10).map { _ in Self.write(30_000) }
        for write in smallWrites { small.append(write) }
        let smallGroup = small.takeGroup(leader: smallWrites[0])
        #expect(smallGroup.count == 5, "100 bytes plus four 30 KB writers fit in 128 KiB more")
        #expect((smallGroup.merged?.byteCount ?? .max) <= 100 + CommitQueue.smallLeaderAllowance + 64)
        #expect(!smallGroup.sync)

        let large = CommitQueue()
        let largeWrites = (0..<11).map { _ in Self.write(200_000) }
        for write in largeWrites { large.append(write) }
        let largeGroup = large.takeGroup(leader: largeWrites[0])
        #expect(largeGroup.count == 5, "five 200 KB writers fit in 1 MiB")
        #expect((largeGroup.merged?.byteCount ?? .max) <= CommitQueue.largeGroupLimit)
    }

    @Test func aLeaderAloneLogsItsOwnBatchAndTheNextWriterLeadsAfterIt() {
        let queue = CommitQueue()
        let first = Self.write(10, sync: true)
        queue.append(first)
        let alone = queue.takeGroup(leader: first)
        #expect(alone.count == 1 && alone.merged == nil && alone.sync)
        let second = Self.write(10)
        queue.append(second)
        #expect(queue.isHead(first) && !queue.isHead(second))
        queue.finish(count: 1, error: nil)
        #expect(first.done && queue.isHead(second))
    }
}
