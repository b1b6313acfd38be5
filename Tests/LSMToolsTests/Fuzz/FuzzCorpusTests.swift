import Foundation
import LSM
import LSMFuzzTargets
import Testing

/// Replays the saved fuzzing corpus (Fuzz/corpus/TARGET/, seeds plus the inputs `scripts/fuzz.sh` found that
/// reached new code, and any input that once crashed) through the same entry points libFuzzer calls, so a
/// regression in any parser shows up in `swift test` without a fuzzing build.
@Suite struct FuzzCorpusTests {
    private static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    private static func inputs(of target: FuzzTarget) throws -> [URL] {
        let folder = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everySavedInputRunsAndEverySeedIsAccepted(target: FuzzTarget) throws {
        let scratch = try #require(FuzzScratch())
        let inputs = try Self.inputs(of: target)
        let seeds = inputs.filter { $0.lastPathComponent.hasPrefix("valid-") }
        #expect(!seeds.isEmpty, "the \(target) corpus has seeds")
        var rejected = 0
        for input in inputs {
            let bytes = [UInt8](try Data(contentsOf: input))
            let accepted = bytes.withUnsafeBytes { target.run($0, in: scratch) }
            if input.lastPathComponent.hasPrefix("valid-") {
                #expect(accepted, "seed \(input.lastPathComponent) is a well-formed \(target) input")
            }
            if !accepted { rejected += 1 }
        }
        // Inputs that found new paths include damaged ones; a corpus of only accepted inputs would mean the
        // entry point swallows errors rather than reporting them.
        if inputs.count > seeds.count + 20 {
            #expect(rejected > 0, "some saved \(target) inputs are rejected")
        }
    }

    @Test func freshSeedsMatchTheirTargets() throws {
        let scratch = try #require(FuzzScratch())
        let seeds = try FuzzSeeds.make(in: scratch)
        let inputScratch = try #require(FuzzScratch())
        for target in FuzzTarget.allCases {
            let made = seeds[target] ?? []
            #expect(!made.isEmpty, "seeds for \(target)")
            for seed in made {
                #expect(seed.bytes.withUnsafeBytes { target.run($0, in: inputScratch) }, "\(target) \(seed.name)")
                var damaged = seed.bytes
                // An LZ4 block has no checksum of its own (the table's covers it): a flipped literal decodes; a
                // command line or a RESP request with a byte changed is mostly another one.
                if target != .quoting && target != .lz4 && target != .resp, damaged.count > 12 {
                    // Byte 12 lies in the first log record's payload or the table's first data block: covered by
                    // a checksum, with more data after it, so the damage cannot pass for a torn tail.
                    damaged[12] ^= 0x40
                    #expect(!damaged.withUnsafeBytes { target.run($0, in: inputScratch) },
                            "\(target) \(seed.name) with one byte flipped is rejected")
                }
            }
        }
    }

    @Test func directoryInputsPackAndUnpackARealDatabase() throws {
        let database = try #require(FuzzScratch())
        let db = try Database.open(database.path)
        try db.put("flushed", "1")
        try db.flush()
        try db.put("logged", "2")
        try db.close()
        let packed = try FuzzDirectory(packing: database.path)
        let names = try FileManager.default.contentsOfDirectory(atPath: database.path)
        #expect(Set(packed.files.keys) == Set(names).subtracting(["LOCK", "LOG"]))
        #expect(packed.files.keys.contains { $0.hasSuffix(".sst") })
        #expect(packed.files.keys.contains { $0.hasSuffix(".wal") })
        let encoded = packed.encoded
        #expect(encoded.first == 0, "CURRENT comes first")
        #expect(encoded.withUnsafeBytes { FuzzDirectory(decoding: $0) } == packed)

        let unpacked = try #require(FuzzScratch())
        try packed.write(into: unpacked.path)
        #expect(try FuzzDirectory.contents(of: unpacked.path) == packed.files)
        let reopened = try Database.open(unpacked.path)
        #expect(try reopened.get("flushed") == "1" && reopened.get("logged") == "2")
        try reopened.close()
    }

    @Test func everyByteStringDecodesToFilesADatabaseWrites() throws {
        // MANIFEST-000001 "ab", CURRENT "x", MANIFEST-000001 again "c", then 000005.sst whose length (128) runs
        // past the end; and 000000.wal whose ten-byte length overflows 63 bits. Those two take the rest.
        let handMade: [UInt8] = [0x41, 2, 0x61, 0x62, 0x3F, 1, 0x78, 0x41, 1, 0x63, 0xC5, 0x80, 0x01, 1, 2, 3]
        let decoded = handMade.withUnsafeBytes { FuzzDirectory(decoding: $0) }
        #expect(decoded.files == ["MANIFEST-000001": [0x63], "CURRENT": [0x78], "000005.sst": [1, 2, 3]])
        let overflow: [UInt8] = [0x80] + [UInt8](repeating: 0xFF, count: 9) + [0x01, 7]
        #expect(overflow.withUnsafeBytes { FuzzDirectory(decoding: $0) }.files == ["000000.wal": [7]])

        let name = try Regex(#"^(CURRENT|MANIFEST-\d{6}|\d{6}\.(wal|sst))$"#)
        for value in 0..<(1 << 16) {
            for input in [[UInt8(value & 0xFF)], [UInt8(value & 0xFF), UInt8(value >> 8)]] {
                let files = input.withUnsafeBytes { FuzzDirectory(decoding: $0) }.files
                #expect(files.keys.allSatisfy { $0.wholeMatch(of: name) != nil }, "\(input)")
                #expect(files.values.reduce(0) { $0 + $1.count } < input.count, "\(input)")
            }
        }
    }

    @Test func packingRefusesFilesWithoutANameByte() throws {
        for stranger in ["000064.sst", "notes.txt"] {
            let scratch = try #require(FuzzScratch())
            #expect(FuzzScratch.save([], to: scratch.path + "/CURRENT") != nil)
            #expect(FuzzScratch.save([1], to: scratch.path + "/" + stranger) != nil)
            let error = #expect(throws: LSMError.self) { try FuzzDirectory(packing: scratch.path) }
            #expect(error?.code == .invalidArgument && error?.message.contains(stranger) == true)
        }
    }

    @Test func pointReadTakesTheTableUpToTheLastSeparator() throws {
        let seedScratch = try #require(FuzzScratch())
        let table = try #require(try FuzzSeeds.make(in: seedScratch)[.table]?.first).bytes
        let scratch = try #require(FuzzScratch())
        let separator = FuzzTarget.pointReadSeparator
        let keys: [UInt8] = [4] + Array("key1".utf8) + [200, 0x61]
        let inputs: [(bytes: [UInt8], accepted: Bool)] = [
            (table, true),
            (table + separator, true),
            (table + separator + keys, true),
            // The first separator ends nothing: what follows the last one is keys, and the table before it
            // has bytes after its footer.
            (table + separator + keys + separator + keys, false),
        ]
        for (bytes, accepted) in inputs {
            #expect(bytes.withUnsafeBytes { FuzzTarget.pointread.run($0, in: scratch) } == accepted)
        }
    }

    @Test func quotingRejectsAnUnterminatedQuote() throws {
        let scratch = try #require(FuzzScratch())
        let accepted = Array("set \"open".utf8).withUnsafeBytes { FuzzTarget.quoting.run($0, in: scratch) }
        #expect(!accepted)
    }
}
