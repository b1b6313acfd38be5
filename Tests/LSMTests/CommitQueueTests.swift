import Testing
@testable import LSM

/// The commit queue on its own, without a database: order, how a group forms, and finishing it.
@Suite struct CommitQueueTests {
    /// Pending writes kept in place, as their writers' stacks keep them, with the entries they borrow.
    private final class Writes {
        private var allocations: [UnsafeMutableRawBufferPointer] = []
        private var writes: [UnsafeMutablePointer<CommitQueue.PendingWrite>] = []

        /// A write of one put of `bytes` bytes under `key`.
        func put(_ bytes: Int, sync: Bool = false, key: String = "k") -> UnsafeMutablePointer<CommitQueue.PendingWrite> {
            var batch = WriteBatch()
            batch.put(Array(key.utf8), [UInt8](repeating: 7, count: bytes))
            let entries = batch.withEntries { entries in
                let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: entries.count, alignment: 1)
                copy.copyMemory(from: entries)
                return copy
            }
            allocations.append(entries)
            return keep(CommitQueue.PendingWrite(entries: UnsafeRawBufferPointer(entries), entryCount: 1, sync: sync))
        }

        func memtableSwitch() -> UnsafeMutablePointer<CommitQueue.PendingWrite> {
            keep(.memtableSwitch)
        }

        private func keep(_ write: CommitQueue.PendingWrite) -> UnsafeMutablePointer<CommitQueue.PendingWrite> {
            let pointer = UnsafeMutablePointer<CommitQueue.PendingWrite>.allocate(capacity: 1)
            pointer.initialize(to: write)
            writes.append(pointer)
            return pointer
        }

        deinit {
            for write in writes {
                write.deinitialize(count: 1)
                write.deallocate()
            }
            for allocation in allocations { allocation.deallocate() }
        }
    }

    @Test func theHeadTakesTheWritersBehindItUpToAFlushRequest() throws {
        let queue = CommitQueue()
        let pending = Writes()
        let writes = [pending.put(10, key: "a"), pending.put(20, sync: true, key: "b"), pending.put(30, key: "c")]
        let flush = pending.memtableSwitch()
        let after = pending.put(5, key: "d")
        for write in writes + [flush, after] { queue.append(write) }
        #expect(queue.isHead(writes[0]) && !queue.isHead(writes[1]))

        let group = queue.takeGroup(leader: writes[0])
        #expect(group.count == 3, "stops at the flush request")
        let merged = try #require(group.merged)
        #expect(group.sync, "one member asked for a sync")
        #expect(group.entryCount == 3)
        var keys: [[UInt8]] = []
        var sequences: [UInt64] = []
        _ = try merged.withBytes { (entries: UnsafeRawBufferPointer) throws(LSMError) in
            try WriteBatchReader.forEachEntry(entries, first: 41, count: 3) { sequence, _, key, _ in
                keys.append(key.array)
                sequences.append(sequence)
            }
        }
        #expect(keys == ["a", "b", "c"].map { Array($0.utf8) } && sequences == [41, 42, 43])

        queue.finish(count: group.count, error: nil)
        #expect(writes.allSatisfy { $0.pointee.done && $0.pointee.error == nil } && !flush.pointee.done)
        #expect(queue.isHead(flush) && !queue.isEmpty)
        queue.finish(count: 1, error: LSMError(.ioError, "failed"))
        #expect(flush.pointee.done && flush.pointee.error?.code == .ioError && queue.isHead(after))
        queue.finish(count: 1, error: nil)
        #expect(queue.isEmpty)
    }

    @Test func aGroupStaysWithinItsSizeLimit() {
        // A small leader lets at most 128 KiB join it; a large one, up to 1 MiB in all.
        let pending = Writes()
        let small = CommitQueue()
        let smallWrites = [pending.put(100)] + (0..<10).map { _ in pending.put(30_000) }
        for write in smallWrites { small.append(write) }
        let smallGroup = small.takeGroup(leader: smallWrites[0])
        #expect(smallGroup.count == 5, "100 bytes plus four 30 KB writers fit in 128 KiB more")
        #expect((smallGroup.merged?.count ?? .max) <= 100 + CommitQueue.smallLeaderAllowance + 64)
        #expect(smallGroup.entryCount == 5 && !smallGroup.sync)

        let large = CommitQueue()
        let largeWrites = (0..<11).map { _ in pending.put(200_000) }
        for write in largeWrites { large.append(write) }
        let largeGroup = large.takeGroup(leader: largeWrites[0])
        #expect(largeGroup.count == 5, "five 200 KB writers fit in 1 MiB")
        #expect((largeGroup.merged?.count ?? .max) <= CommitQueue.largeGroupLimit)
    }

    @Test func aLeaderAloneLogsItsOwnEntriesAndTheNextWriterLeadsAfterIt() {
        let queue = CommitQueue()
        let pending = Writes()
        let first = pending.put(10, sync: true)
        queue.append(first)
        let alone = queue.takeGroup(leader: first)
        #expect(alone.count == 1 && alone.merged == nil && alone.entryCount == 1 && alone.sync)
        let second = pending.put(10)
        queue.append(second)
        #expect(queue.isHead(first) && !queue.isHead(second))
        queue.finish(count: 1, error: nil)
        #expect(first.pointee.done && queue.isHead(second))
    }
}
