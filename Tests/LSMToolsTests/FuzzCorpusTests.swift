import Foundation
import LSMFuzzTargets
import Testing

/// Replays the saved fuzzing corpus (Fuzz/corpus/TARGET/, seeds plus the inputs `scripts/fuzz.sh` found that
/// reached new code, and any input that once crashed) through the same entry points libFuzzer calls, so a
/// regression in any parser shows up in `swift test` without a fuzzing build.
@Suite struct FuzzCorpusTests {
    private static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

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
                if target != .quoting, damaged.count > 12 {
                    // Byte 12 lies in the first log record's payload or the table's first data block: covered by
                    // a checksum, with more data after it, so the damage cannot pass for a torn tail.
                    damaged[12] ^= 0x40
                    #expect(!damaged.withUnsafeBytes { target.run($0, in: inputScratch) },
                            "\(target) \(seed.name) with one byte flipped is rejected")
                }
            }
        }
    }

    @Test func quotingRejectsAnUnterminatedQuote() throws {
        let scratch = try #require(FuzzScratch())
        let accepted = Array("set \"open".utf8).withUnsafeBytes { FuzzTarget.quoting.run($0, in: scratch) }
        #expect(!accepted)
    }
}
