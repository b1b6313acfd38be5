import Foundation
import Synchronization
import Testing
@testable import LSM


extension MemTable {
    fileprivate func add(_ sequence: SequenceNumber, _ kind: ValueKind, _ key: [UInt8], _ value: [UInt8]) {
        key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in add(sequence: sequence, kind: kind, key: k, value: v) }
        }
    }

    /// Adds `entries` with ``add(sorted:)``, sorting them first.
    fileprivate func addSorted(_ entries: [ModelEntry]) {
        let sorted = entries.sorted { compareInternalKeys($0.internalKey, $1.internalKey) < 0 }
        // Keys and values laid out in one array, which the entries borrow from while they are added.
        var bytes: [UInt8] = []
        var ranges: [(key: Range<Int>, value: Range<Int>)] = []
        for entry in sorted {
            let keyStart = bytes.count
            bytes += entry.userKey
            let valueStart = bytes.count
            bytes += entry.value
            ranges.append((keyStart..<valueStart, valueStart..<bytes.count))
        }
        bytes.withUnsafeBytes { raw in
            let borrowed = zip(sorted, ranges).map { entry, range in
                SkipList.Entry(userKey: UnsafeRawBufferPointer(rebasing: raw[range.key]),
                               trailer: packTrailer(entry.sequence, entry.kind),
                               value: UnsafeRawBufferPointer(rebasing: raw[range.value]))
            }
            borrowed.withUnsafeBufferPointer { add(sorted: $0) }
        }
    }

    fileprivate func get(_ key: [UInt8], _ sequence: SequenceNumber) -> LookupResult {
        key.withUnsafeBytes { get($0, hash: BloomFilter.hash($0), sequence: sequence) }
    }
}

extension MemTableIterator {
    /// Non-throwing seek to an array (the protocol's array overload is declared `throws`).
    fileprivate func seek(to target: [UInt8]) {
        target.withUnsafeBytes { seek($0) }
    }

    /// The current key, or nil when not positioned.
    fileprivate var currentKey: [UInt8]? { isValid ? key.array : nil }
}

/// Index of the first key in `sorted` that is >= `target` by `compare`.
private func lowerBound(_ sorted: [[UInt8]], _ target: [UInt8], _ compare: ([UInt8], [UInt8]) -> Int) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
        let mid = (low + high) / 2
        if compare(sorted[mid], target) < 0 { low = mid + 1 } else { high = mid }
    }
    return low
}

@Suite struct MemTableTests {
    /// Small alphabet with the extreme bytes, so random keys collide, share prefixes and contain 0x00 and 0xFF.
    private static let alphabet: [UInt8] = [0x00, 0x01, 0x61, 0x7F, 0xFF]

    private static func randomKey(maxLength: Int, using rng: inout SplitMix64) -> [UInt8] {
        (0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? 0 }
    }

    @Test(arguments: [1, 2, 3] as [UInt64], [false, true])
    func randomInsertionOrderMatchesSortedModel(seed: UInt64, inSortedRuns: Bool) throws {
        var rng = SplitMix64(seed: seed)
        for size in Array(0...50) + [2000] {
            try checkAgainstModel(size: size, inSortedRuns: inSortedRuns, using: &rng)
        }
    }

    /// Inserts `size` random entries (distinct sequences, repeated user keys) in random order (one by one, or in
    /// runs of random length each added sorted, as large write groups are) and checks iteration both ways, seeks to
    /// every key and to random targets, prev/next around every key, and `get` at every sequence boundary.
    private func checkAgainstModel(size: Int, inSortedRuns: Bool, using rng: inout SplitMix64) throws {
        var entries: [ModelEntry] = (0..<size).map { index in
            let value = (0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            return ModelEntry(userKey: Self.randomKey(maxLength: 4, using: &rng), sequence: SequenceNumber(index + 1),
                              kind: Int.random(in: 0..<5, using: &rng) == 0 ? .deletion : .value, value: value)
        }
        entries.shuffle(using: &rng)
        let memTable = MemTable()
        if inSortedRuns {
            var start = 0
            while start < entries.count {
                let length = Int.random(in: 0..<4, using: &rng) == 0 ? 1 : Int.random(in: 2...300, using: &rng)
                let end = min(entries.count, start + length)
                // A run of one goes in alone, as a small group does, between sorted runs.
                if end - start == 1 {
                    memTable.add(entries[start].sequence, entries[start].kind, entries[start].userKey, entries[start].value)
                } else {
                    memTable.addSorted(Array(entries[start..<end]))
                }
                start = end
            }
        } else {
            for entry in entries { memTable.add(entry.sequence, entry.kind, entry.userKey, entry.value) }
        }
        #expect(memTable.entryCount == size)
        #expect(memTable.deletionCount == entries.count { $0.kind == .deletion })

        entries.sort { compareInternalKeys($0.internalKey, $1.internalKey) < 0 }
        let keys = entries.map(\.internalKey)
        let iterator = memTable.makeIterator()
        let forward = try iterator.entriesForward()
        #expect(forward.map(\.0) == keys, "size \(size)")
        #expect(forward.map(\.1) == entries.map(\.value), "size \(size)")
        let backward = try iterator.entriesBackward()
        #expect(backward.map(\.0) == keys.reversed(), "size \(size)")
        #expect(backward.map(\.1) == entries.map(\.value).reversed(), "size \(size)")

        for (index, key) in keys.enumerated() {
            iterator.seek(to: key)
            try #require(iterator.currentKey == key, "size \(size) index \(index)")
            iterator.prev()
            #expect(iterator.currentKey == (index > 0 ? keys[index - 1] : nil))
            iterator.seek(to: key)
            iterator.next()
            #expect(iterator.currentKey == (index + 1 < keys.count ? keys[index + 1] : nil))
        }

        for _ in 0..<(2 * size + 10) {
            let target = makeInternalKey(Self.randomKey(maxLength: 5, using: &rng),
                                         SequenceNumber.random(in: 0...SequenceNumber(size + 1), using: &rng),
                                         Bool.random(using: &rng) ? .value : .deletion)
            let expected = lowerBound(keys, target, compareInternalKeys)
            iterator.seek(to: target)
            #expect(iterator.currentKey == (expected < keys.count ? keys[expected] : nil), "target \(target)")
        }
        for target in [[], [0x00], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]] as [[UInt8]] {
            let expected = entries.firstIndex { compareBytes($0.userKey, target) >= 0 }
            iterator.seek(to: target)
            #expect(iterator.currentKey == expected.map { keys[$0] }, "bare user key \(target)")
        }

        for userKey in Set(entries.map(\.userKey)) {
            let versions = entries.filter { $0.userKey == userKey }
            for entry in versions {
                for sequence in [entry.sequence, entry.sequence + 1, entry.sequence - 1] {
                    let visible = versions.first { $0.sequence <= sequence }
                    let expected: LookupResult = switch visible?.kind {
                    case nil: .notFound
                    case .deletion: .deleted
                    case .value, .valueWithExpiry, .rangeDeletion: .found(visible?.value ?? [])
                    }
                    #expect(memTable.get(userKey, sequence) == expected, "key \(userKey) at \(sequence)")
                }
            }
        }
    }

    @Test func getReturnsTheVersionVisibleAtEachSequence() {
        let memTable = MemTable()
        let key = Array("k".utf8)
        memTable.add(10, .value, key, Array("v10".utf8))
        memTable.add(40, .value, key, Array("v40".utf8))
        memTable.add(30, .deletion, key, [])
        memTable.add(20, .value, key, Array("v20".utf8))
        memTable.add(15, .value, Array("j".utf8), Array("j15".utf8))
        memTable.add(25, .value, Array("l".utf8), Array("l25".utf8))

        for sequence: SequenceNumber in 0...50 {
            let expected: LookupResult = switch sequence {
            case 0..<10: .notFound
            case 10..<20: .found(Array("v10".utf8))
            case 20..<30: .found(Array("v20".utf8))
            case 30..<40: .deleted
            default: .found(Array("v40".utf8))
            }
            #expect(memTable.get(key, sequence) == expected, "at \(sequence)")
        }
        #expect(memTable.get(key, .max) == .found(Array("v40".utf8)))
        #expect(memTable.get(key, maxSequenceNumber) == .found(Array("v40".utf8)))
        #expect(memTable.get(Array("kk".utf8), 100) == .notFound)
        #expect(memTable.get(Array("a".utf8), 100) == .notFound)
        #expect(memTable.get(Array("z".utf8), 100) == .notFound)
        #expect(memTable.get(Array("l".utf8), 24) == .notFound)
        #expect(memTable.get(Array("l".utf8), 25) == .found(Array("l25".utf8)))
    }

    @Test func emptyKeysAndEmptyValues() throws {
        let memTable = MemTable()
        #expect(memTable.get([], 100) == .notFound)
        memTable.add(1, .value, [], [])
        memTable.add(2, .value, [0], [])
        memTable.add(3, .deletion, [], [])
        #expect(memTable.get([], 1) == .found([]))
        #expect(memTable.get([], 2) == .found([]))
        #expect(memTable.get([], 3) == .deleted)
        #expect(memTable.get([0], 3) == .found([]))

        let keys = try memTable.makeIterator().entriesForward().map(\.0)
        #expect(keys == [makeInternalKey([], 3, .deletion), makeInternalKey([], 1, .value),
                         makeInternalKey([0], 2, .value)])
    }

    @Test func largeValuesGetDedicatedBlocks() throws {
        let memTable = MemTable()
        var expected: [([UInt8], [UInt8])] = []
        for index in 0..<6 {
            let size = index == 5 ? 2 * Arena.blockSize + 3 : 200 << 10
            let big = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            let small = [UInt8](repeating: UInt8(index), count: 100)
            let before = memTable.approximateMemoryUsage
            memTable.add(SequenceNumber(2 * index + 1), .value, [UInt8(index), 1], big)
            #expect(memTable.approximateMemoryUsage - before >= size)
            memTable.add(SequenceNumber(2 * index + 2), .value, [UInt8(index), 2], small)
            expected.append((makeInternalKey([UInt8(index), 1], SequenceNumber(2 * index + 1), .value), big))
            expected.append((makeInternalKey([UInt8(index), 2], SequenceNumber(2 * index + 2), .value), small))
        }
        for (key, value) in expected {
            #expect(memTable.get(Array(key.dropLast(internalKeyTrailerSize)), 100) == .found(value))
        }
        let forward = try memTable.makeIterator().entriesForward()
        #expect(forward.map(\.0) == expected.map(\.0))
        #expect(forward.map(\.1) == expected.map(\.1))
    }

    @Test func binaryKeysAndPrefixesSortBytewise() throws {
        let userKeys: [[UInt8]] = [
            [], [0x00], [0x00, 0x00], [0x00, 0xFF], [0x01], Array("a".utf8), Array("a\0".utf8), Array("ab".utf8),
            Array("b".utf8), [0xFF], [0xFF, 0x00], [0xFF, 0xFF],
        ]
        var rng = SplitMix64(seed: 7)
        let memTable = MemTable()
        for (index, key) in userKeys.enumerated().shuffled(using: &rng) {
            memTable.add(SequenceNumber(index + 1), .value, key, [UInt8(index)])
        }
        let forward = try memTable.makeIterator().entriesForward()
        #expect(forward.map { Array($0.0.dropLast(internalKeyTrailerSize)) } == userKeys)
        #expect(forward.map(\.1) == userKeys.indices.map { [UInt8($0)] })
        for (index, key) in userKeys.enumerated() {
            #expect(memTable.get(key, 100) == .found([UInt8(index)]))
        }
    }

    @Test func memoryUsageAndEntryCountGrowWithEveryAdd() {
        let memTable = MemTable()
        #expect(memTable.approximateMemoryUsage == 0)
        #expect(memTable.entryCount == 0)
        var payload = 0
        for index in 0..<3000 {
            let before = memTable.approximateMemoryUsage
            let key = Array("key\(index)".utf8)
            let value = [UInt8](repeating: 7, count: index % 50)
            memTable.add(SequenceNumber(index + 1), .value, key, value)
            payload += key.count + internalKeyTrailerSize + value.count
            #expect(memTable.approximateMemoryUsage > before)
            #expect(memTable.entryCount == index + 1)
        }
        #expect(memTable.approximateMemoryUsage >= payload)
        #expect(memTable.approximateMemoryUsage < 4 * payload)
    }

    @Test func nodeHeightsFollowTheQuarterBranching() throws {
        let memTable = MemTable()
        for index in 0..<4000 { memTable.add(SequenceNumber(index + 1), .value, Array("\(index)".utf8), []) }
        var heights = [Int](repeating: 0, count: SkipList.maxHeight + 1)
        var node = memTable.list.first
        while let current = node {
            try #require((1...SkipList.maxHeight).contains(current.height))
            heights[current.height] += 1
            node = current.next(0)
        }
        #expect(heights.reduce(0, +) == 4000)
        let tall = heights[2...].reduce(0, +)
        #expect((600...1400).contains(tall), "nodes above height 1: \(tall)")
    }

    @Test func arenaAllocationsAreAlignedAndDisjoint() {
        let arena = Arena()
        var rng = SplitMix64(seed: 11)
        var allocations: [(UnsafeMutableRawPointer, Int, UInt8)] = []
        for index in 0..<2000 {
            let size = index % 97 == 0 ? Int.random(in: (Arena.blockSize / 4)...(Arena.blockSize * 2), using: &rng)
                                       : Int.random(in: 0...3000, using: &rng)
            let pointer = arena.allocate(byteCount: size)
            #expect(Int(bitPattern: pointer) % Arena.alignment == 0)
            let fill = UInt8(truncatingIfNeeded: index)
            pointer.initializeMemory(as: UInt8.self, repeating: fill, count: size)
            allocations.append((pointer, size, fill))
        }
        var intact = true
        for (pointer, size, fill) in allocations {
            let bytes = UnsafeRawBufferPointer(start: pointer, count: size)
            if !bytes.allSatisfy({ $0 == fill }) { intact = false }
        }
        #expect(intact)
        #expect(arena.memoryUsage >= allocations.reduce(0) { $0 + $1.1 })
    }

    /// State shared by the writer and reader threads of the concurrency test.
    private final class Shared: Sendable {
        static let total = 50_000
        let memTable = MemTable()
        let published = Atomic<Int>(0)
        let writerDone = Atomic<Bool>(false)
        let failures = Atomic<Int>(0)
        let rounds = Atomic<Int>(0)

        /// The user key of entry `index`: a bijective scramble of the index, big-endian, so insertion order is
        /// random-looking and the key's integer order is its byte order.
        static func scrambled(_ index: Int) -> UInt32 { UInt32(truncatingIfNeeded: index) &* 2_654_435_761 }

        static func key(_ index: Int) -> [UInt8] { withUnsafeBytes(of: scrambled(index).bigEndian) { Array($0) } }

        static func value(_ index: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(index).littleEndian) { Array($0) } }

        func fail() { failures.add(1, ordering: .relaxed) }

        /// Adds the entries in index order, one by one or (`inSortedRuns`) 64 at a time with ``MemTable/add(sorted:)``,
        /// publishing how many are in after each add.
        func write(inSortedRuns: Bool) {
            let run = inSortedRuns ? 64 : 1
            for start in stride(from: 0, to: Self.total, by: run) {
                let end = min(Self.total, start + run)
                if inSortedRuns {
                    memTable.addSorted((start..<end).map { index in
                        ModelEntry(userKey: Self.key(index), sequence: SequenceNumber(index + 1), kind: .value,
                                   value: Self.value(index))
                    })
                } else {
                    memTable.add(SequenceNumber(start + 1), .value, Self.key(start), Self.value(start))
                }
                published.store(end, ordering: .releasing)
            }
            writerDone.store(true, ordering: .releasing)
        }

        /// Reads until the writer is done (and once more after): point lookups of published keys, re-lookups of
        /// keys found before, a full forward scan checking order and completeness, and a short backward walk.
        func read(seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            var found: [Int] = []
            let iterator = memTable.makeIterator()
            var done = false
            repeat {
                done = writerDone.load(ordering: .acquiring)
                let visible = published.load(ordering: .acquiring)
                if visible > 0 {
                    for _ in 0..<20 {
                        let index = Int.random(in: 0..<visible, using: &rng)
                        if memTable.get(Self.key(index), maxSequenceNumber) == .found(Self.value(index)) {
                            if found.count < 2000 { found.append(index) }
                        } else {
                            fail()
                        }
                    }
                }
                for _ in 0..<min(20, found.count) {
                    let index = found[Int.random(in: 0..<found.count, using: &rng)]
                    if memTable.get(Self.key(index), maxSequenceNumber) != .found(Self.value(index)) { fail() }
                }

                var count = 0
                var previous: UInt32?
                iterator.seekToFirst()
                while iterator.isValid {
                    guard checkEntry(iterator, after: previous, ascending: true) else { break }
                    previous = iterator.key.loadUnaligned(as: UInt32.self).bigEndian
                    count += 1
                    iterator.next()
                }
                if count < visible || (done && count != Self.total) { fail() }

                if visible > 0 {
                    iterator.seek(to: Self.key(Int.random(in: 0..<visible, using: &rng)))
                    var next: UInt32?
                    for _ in 0..<100 where iterator.isValid {
                        guard checkEntry(iterator, after: next, ascending: false) else { break }
                        next = iterator.key.loadUnaligned(as: UInt32.self).bigEndian
                        iterator.prev()
                    }
                }
                rounds.add(1, ordering: .relaxed)
            } while !done
        }

        /// Checks the iterator's entry is well formed, matches what the writer stored for it, and is strictly after
        /// (or before, going backward) `neighbor`; records a failure and returns false otherwise.
        private func checkEntry(_ iterator: MemTableIterator, after neighbor: UInt32?, ascending: Bool) -> Bool {
            let key = iterator.key
            let value = iterator.value
            guard key.count == 4 + internalKeyTrailerSize, value.count == 4 else {
                fail()
                return false
            }
            let userKey = UInt32(bigEndian: key.loadUnaligned(as: UInt32.self))
            let index = Int(UInt32(littleEndian: value.loadUnaligned(as: UInt32.self)))
            let inOrder = neighbor.map { ascending ? $0 < userKey : $0 > userKey } ?? true
            guard inOrder, index < Self.total, Self.scrambled(index) == userKey,
                  key.fixed64(at: 4) == packTrailer(SequenceNumber(index + 1), .value)
            else {
                fail()
                return false
            }
            return true
        }
    }

    @Test(arguments: [false, true])
    func readersRunConcurrentlyWithTheWriter(inSortedRuns: Bool) throws {
        let shared = Shared()
        let group = DispatchGroup()
        for role in 0..<4 {
            group.enter()
            let thread = Thread {
                if role == 0 { shared.write(inSortedRuns: inSortedRuns) } else { shared.read(seed: UInt64(role)) }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        #expect(shared.failures.load(ordering: .relaxed) == 0)
        #expect(shared.rounds.load(ordering: .relaxed) >= 3)
        #expect(shared.memTable.entryCount == Shared.total)
        let all = try shared.memTable.makeIterator().entriesForward()
        #expect(all.count == Shared.total)
    }
}
