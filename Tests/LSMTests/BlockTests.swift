import Testing
@testable import LSM


private typealias Entry = (key: [UInt8], value: [UInt8])

/// Both ways a block stores internal keys.
private let internalKeyOrders: [BlockKeyOrder] = [.internalKey, .packedInternalKey]

private func buildBlock(_ entries: [Entry], restartInterval: Int, order: BlockKeyOrder = .internalKey) -> [UInt8] {
    var builder = BlockBuilder(restartInterval: restartInterval, packsTrailers: order == .packedInternalKey)
    for entry in entries {
        entry.key.withUnsafeBytes { k in entry.value.withUnsafeBytes { v in builder.add(key: k, value: v) } }
    }
    return builder.finish()
}

private func same(_ a: [Entry], _ b: [Entry]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
}

/// Internal keys for `count` user keys sharing a long prefix, with values of varying length.
private func sampleEntries(_ count: Int) -> [Entry] {
    (0..<count).map { i in
        let user = Array("prefix/shared/key-\(1000 + i)-\(String(repeating: "x", count: i % 5))".utf8)
        return (makeInternalKey(user, UInt64(count - i), i % 7 == 0 ? .deletion : .value),
                Array(repeating: UInt8(truncatingIfNeeded: i), count: i % 13))
    }
}

/// Runs every kind of move over the block and reports whether any move threw something other than corruption.
private func exercise(_ contents: [UInt8], probes: [[UInt8]], order: BlockKeyOrder) -> Bool {
    guard let block = try? Block(contents: contents) else { return true }
    let iterator = block.makeIterator(order: order)
    func ok(_ body: () throws(LSMError) -> Void) -> Bool {
        do {
            try body()
            return true
        } catch {
            return error.code == .corruption && !iterator.isValid
        }
    }
    var fine = ok { () throws(LSMError) in
        try iterator.seekToFirst()
        var steps = 0
        while iterator.isValid && steps < 10_000 {
            try iterator.next()
            steps += 1
        }
    }
    fine = fine && ok { () throws(LSMError) in
        try iterator.seekToLast()
        var steps = 0
        while iterator.isValid && steps < 10_000 {
            try iterator.prev()
            steps += 1
        }
    }
    for probe in probes {
        fine = fine && ok { () throws(LSMError) in
            try iterator.seek(probe)
            if iterator.isValid { try iterator.prev() }
        }
    }
    return fine
}

@Suite struct BlockTests {
    @Test(arguments: [1, 2, 16], internalKeyOrders)
    func roundTripsEverySmallCount(restartInterval: Int, order: BlockKeyOrder) throws {
        for count in 0...40 {
            let entries = sampleEntries(count)
            let block = try Block(contents: buildBlock(entries, restartInterval: restartInterval, order: order))
            let iterator = block.makeIterator(order: order)
            #expect(same(try iterator.entriesForward(), entries), "count \(count)")
            #expect(same(try iterator.entriesBackward(), entries.reversed()), "count \(count)")
            for (i, entry) in entries.enumerated() {
                try iterator.seek(entry.key)
                #expect(iterator.isValid && iterator.key.array == entry.key && iterator.value.array == entry.value)
                // One trailer below (older than) this key but the same user key: the next entry is the answer.
                let parsed = try #require(entry.key.withUnsafeBytes { ParsedInternalKey($0)?.userKey.array })
                try iterator.seek(makeInternalKey(parsed, 0, .deletion))
                if i + 1 < entries.count {
                    #expect(iterator.isValid && iterator.key.array == entries[i + 1].key)
                } else {
                    #expect(!iterator.isValid)
                }
                // Step backwards from a seek position.
                try iterator.seek(entry.key)
                try iterator.prev()
                if i > 0 {
                    #expect(iterator.isValid && iterator.key.array == entries[i - 1].key)
                } else {
                    #expect(!iterator.isValid)
                }
            }
            try iterator.seek(makeInternalKey(Array("a".utf8), 0, .value))
            #expect(iterator.isValid == (count > 0))
            if count > 0 { #expect(iterator.key.array == entries[0].key) }
            try iterator.seek(makeInternalKey(Array("z".utf8), maxSequenceNumber, .value))
            #expect(!iterator.isValid)
        }
    }

    @Test(arguments: internalKeyOrders)
    func thousandEntriesWithSharedPrefixesAndVersions(order: BlockKeyOrder) throws {
        var entries: [Entry] = []
        for i in 0..<250 {
            let user = Array("tenant-42/table-users/row-\(1_000_000 + i * 7)".utf8)
            for version in 0..<4 {
                let value = Array(repeating: UInt8(version), count: (i * 31 + version) % 300)
                entries.append((makeInternalKey(user, UInt64(1000 - version), version == 2 ? .deletion : .value),
                                value))
            }
        }
        #expect(entries.count == 1000)
        for interval in [1, 16] {
            let contents = buildBlock(entries, restartInterval: interval, order: order)
            let raw = entries.reduce(0) { $0 + $1.key.count + $1.value.count }
            if interval == 16 { #expect(contents.count < raw) }
            let block = try Block(contents: contents)
            #expect(block.byteCount == contents.count)
            #expect(block.restartCount == (entries.count + interval - 1) / interval)
            let iterator = block.makeIterator(order: order)
            #expect(same(try iterator.entriesForward(), entries))
            #expect(same(try iterator.entriesBackward(), entries.reversed()))
            for (i, entry) in entries.enumerated() where i % 3 == 0 {
                try iterator.seek(entry.key)
                #expect(iterator.key.array == entry.key)
            }
            // Between two user keys: a user key with an extra byte lands on the next user key's newest version.
            for i in stride(from: 0, to: entries.count - 4, by: 4) {
                let user = try #require(entries[i].key.withUnsafeBytes { ParsedInternalKey($0)?.userKey.array })
                try iterator.seek(makeInternalKey(user + [0], maxSequenceNumber, .value))
                #expect(iterator.key.array == entries[i + 4].key)
            }
        }
    }

    /// The worked example in docs/FORMAT.md.
    @Test func encodingMatchesTheDocumentedExample() throws {
        let entries: [Entry] = [(Array("apple".utf8), Array("1".utf8)), (Array("apply".utf8), Array("22".utf8))]
        let contents = buildBlock(entries, restartInterval: 16)
        #expect(contents == [0x00, 0x05, 0x01, 0x61, 0x70, 0x70, 0x6C, 0x65, 0x31,
                             0x04, 0x01, 0x02, 0x79, 0x32, 0x32,
                             0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00])
        let iterator = try Block(contents: contents).makeIterator(order: .bytewise)
        #expect(same(try iterator.entriesForward(), entries))
    }

    /// The packed example in docs/FORMAT.md, "Data blocks": the packed trailer follows the lengths, and only user
    /// keys share prefixes.
    @Test func packedTrailersMatchTheDocumentedExample() throws {
        let entries: [Entry] = [(makeInternalKey(Array("apple".utf8), 300, .value), Array("1".utf8)),
                                (makeInternalKey(Array("apply".utf8), 0, .value), Array("22".utf8))]
        let contents = buildBlock(entries, restartInterval: 16, order: .packedInternalKey)
        #expect(contents == [0x00, 0x05, 0x01, 0x85, 0x25, 0x61, 0x70, 0x70, 0x6C, 0x65, 0x31,
                             0x04, 0x01, 0x02, 0x01, 0x79, 0x32, 0x32,
                             0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00])
        let iterator = try Block(contents: contents).makeIterator(order: .packedInternalKey)
        #expect(same(try iterator.entriesForward(), entries))
        #expect(same(try iterator.entriesBackward(), entries.reversed()))
    }

    /// A packed trailer whose sequence needs more than 56 bits, or whose bytes run past the entries, is damage.
    @Test func packedTrailersBeyondFiftySixBitsOrTheEntriesAreCorruption() throws {
        let tooLarge: [UInt8] = [0x00, 0x01, 0x00, 0x1D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x61]
        let cutShort: [UInt8] = [0x00, 0x01, 0x00, 0x0D, 0x01]
        for entries in [tooLarge, cutShort] {
            let iterator = try Block(contents: entries + [0, 0, 0, 0, 1, 0, 0, 0]).makeIterator(order: .packedInternalKey)
            #expect(throws: LSMError.self) { try iterator.seekToFirst() }
            #expect(!iterator.isValid)
            #expect(throws: LSMError.self) { try iterator.seek(makeInternalKey([0x61], 1, .value)) }
        }
    }

    @Test func emptyBlockHasNoEntries() throws {
        let contents = buildBlock([], restartInterval: 16)
        #expect(contents == [0, 0, 0, 0, 1, 0, 0, 0])
        let iterator = try Block(contents: contents).makeIterator(order: .internalKey)
        try iterator.seekToFirst()
        #expect(!iterator.isValid)
        try iterator.seekToLast()
        #expect(!iterator.isValid)
        try iterator.seek(makeInternalKey([1], 1, .value))
        #expect(!iterator.isValid)
    }

    @Test(arguments: internalKeyOrders)
    func longKeysGrowTheKeyBuffer(order: BlockKeyOrder) throws {
        let entries: [Entry] = (0..<20).map { i in
            (makeInternalKey(Array(repeating: UInt8(65 + i), count: 100 * (i + 1)), 1, .value), [UInt8(i)])
        }
        let iterator = try Block(contents: buildBlock(entries, restartInterval: 4, order: order))
            .makeIterator(order: order)
        #expect(same(try iterator.entriesForward(), entries))
        #expect(same(try iterator.entriesBackward(), entries.reversed()))
    }

    @Test func bytewiseOrderSeeksShortKeys() throws {
        let entries: [Entry] = ["a", "ab", "b", "ba", "c"].map { (Array($0.utf8), Array($0.utf8)) }
        let iterator = try Block(contents: buildBlock(entries, restartInterval: 2)).makeIterator(order: .bytewise)
        try iterator.seek(Array("aa".utf8))
        #expect(iterator.key.array == Array("ab".utf8))
        try iterator.seek(Array("bb".utf8))
        #expect(iterator.key.array == Array("c".utf8))
        try iterator.seek(Array("d".utf8))
        #expect(!iterator.isValid)
    }

    @Test(arguments: internalKeyOrders)
    func shortSeekTargetIsRejectedForInternalKeys(order: BlockKeyOrder) throws {
        let iterator = try Block(contents: buildBlock(sampleEntries(3), restartInterval: 16, order: order))
            .makeIterator(order: order)
        #expect(throws: LSMError.self) { try iterator.seek([1, 2, 3]) }
        #expect(!iterator.isValid)
    }

    @Test func malformedRestartArraysAreRejected() {
        let valid = buildBlock(sampleEntries(20), restartInterval: 4)
        var tooMany = valid
        tooMany.replaceSubrange((tooMany.count - 4)..., with: [0xFF, 0xFF, 0, 0])
        var nonzeroFirst = valid
        let restartCount = 5
        nonzeroFirst[valid.count - 4 - restartCount * 4] = 1
        for contents in [[], [1, 0, 0], tooMany, nonzeroFirst] {
            #expect(throws: LSMError.self) { try Block(contents: contents) }
        }
        #expect((try? Block(contents: valid)) != nil)
    }

    @Test(arguments: internalKeyOrders)
    func everyTruncationIsSafe(order: BlockKeyOrder) {
        let entries = sampleEntries(30)
        let contents = buildBlock(entries, restartInterval: 4, order: order)
        let probes = entries.map(\.key)
        for length in 0..<contents.count {
            #expect(exercise(Array(contents[0..<length]), probes: probes, order: order), "length \(length)")
        }
    }

    @Test(arguments: internalKeyOrders)
    func garbledBlocksNeverCrash(order: BlockKeyOrder) {
        let entries = sampleEntries(30)
        let contents = buildBlock(entries, restartInterval: 4, order: order)
        let probes = entries.map(\.key) + [makeInternalKey([0], 0, .value), makeInternalKey([0xFF], 0, .value)]
        for position in 0..<contents.count {
            for pattern: UInt8 in [0x01, 0x80, 0xFF] {
                var garbled = contents
                garbled[position] ^= pattern
                #expect(exercise(garbled, probes: probes, order: order), "byte \(position) ^ \(pattern)")
            }
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let random = (0..<Int.random(in: 4...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(exercise(random, probes: probes, order: order))
        }
    }
}
