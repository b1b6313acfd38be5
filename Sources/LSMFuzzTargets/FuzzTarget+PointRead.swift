import LSM

extension FuzzTarget {
    /// What ends the table in a `pointread` input. The input is a table file, then the separator and lookup keys,
    /// each `[length byte][key]` (a length past the end takes the rest); the last separator counts, so keys never
    /// hold one. An input without a separator is all table.
    public static let pointReadSeparator = Array("\n#keys#\n".utf8)

    /// Lookups per input, at most: keys listed in the input, and table entries whose keys are looked up.
    private static let listedKeyLimit = 16
    private static let entryLimit = 48

    func runPointRead(_ input: UnsafeRawBufferPointer, _ scratch: FuzzScratch) -> Bool {
        let split = Self.lastSeparator(in: input)
        let path = scratch.store(UnsafeRawBufferPointer(rebasing: input[..<(split?.lowerBound ?? input.count)]),
                                 as: "000001.sst")
        guard let table = try? TableFile.open(path) else { return false }
        var entries: [TableFile.Entry] = []
        // The scan is the oracle only for a table that verifies: in one whose keys are out of order (checksums
        // intact), a lookup's seek cannot find what a scan shows, and neither is wrong.
        var sound = true
        do {
            let cursor = table.entries()
            while let entry = try cursor.next() { entries.append(entry) }
            try table.verify()
        } catch {
            sound = false
        }
        let versions = Dictionary(grouping: entries, by: \.key.userKey)
        var accepted = sound
        for (key, sequence) in Self.lookups(listed: input[(split?.upperBound ?? input.count)...], table, entries) {
            do {
                let answer = try table.get(key, sequence: sequence)
                // The newest entry of the key at or below the sequence; entries of a key come newest first.
                let newest = versions[key]?.first { $0.key.sequence <= sequence }
                // The table's newest range deletion covering the key at the sequence hides older entries.
                let covering = table.rangeDeletions.filter { deletion in
                    deletion.sequence <= sequence && !key.lexicographicallyPrecedes(deletion.start)
                        && key.lexicographicallyPrecedes(deletion.end)
                }.map(\.sequence).max()
                var expected: TableFile.Lookup = newest.map { entry in
                    switch entry.key.kind {
                    case .value: .value(entry.value)
                    case .expiringValue: entry.expiresAt.map { .expiringValue(entry.value, expiresAt: $0) } ?? .deleted
                    case .deletion, .rangeDeletion: .deleted
                    }
                } ?? .absent
                if let covering, newest.map({ $0.key.sequence < covering }) ?? true { expected = .deleted }
                if sound && answer != expected {
                    fatalError("TableFile.get(\(key), sequence: \(sequence)) is \(answer), but the entries say "
                               + "\(expected)")
                }
            } catch {
                accepted = false
            }
        }
        return accepted
    }

    /// The keys listed after the separator at the newest sequence; for the first entries, the key at the newest
    /// sequence, at the entry's own and just below it, and the key just after it; each index separator's key.
    private static func lookups(
        listed: Slice<UnsafeRawBufferPointer>, _ table: TableFile, _ entries: [TableFile.Entry]
    ) -> [(key: [UInt8], sequence: UInt64)] {
        let newest = InspectedKey.maxSequence
        var lookups: [(key: [UInt8], sequence: UInt64)] = []
        var rest = listed
        while let length = rest.first, lookups.count < listedKeyLimit {
            let key = rest.dropFirst().prefix(Int(length))
            lookups.append((Array(key), newest))
            rest = rest[key.endIndex...]
        }
        for entry in entries.prefix(entryLimit) {
            let key = entry.key.userKey
            lookups += [(key, newest), (key, entry.key.sequence), (key + [0], newest)]
            if entry.key.sequence > 0 { lookups.append((key, entry.key.sequence - 1)) }
        }
        for index in (try? table.indexEntries()) ?? [] { lookups.append((index.separator.userKey, newest)) }
        return lookups
    }

    /// Where the last separator lies in `input`, or nil when there is none.
    private static func lastSeparator(in input: UnsafeRawBufferPointer) -> Range<Int>? {
        let length = pointReadSeparator.count
        guard input.count >= length else { return nil }
        for start in stride(from: input.count - length, through: 0, by: -1)
        where input[start] == pointReadSeparator[0] && input[start..<start + length].elementsEqual(pointReadSeparator) {
            return start..<start + length
        }
        return nil
    }
}
