import Foundation
import Testing
@testable import LSM

/// The engine's LZ4 codec against the reference liblz4: blocks liblz4 compressed once (Fixtures/lz4/, written by
/// scripts/lz4-fixtures.sh) decompress here to their inputs, and blocks compressed here decompress with liblz4,
/// loaded at run time. Where the library cannot be loaded the second test is skipped, except when CI=true, where it
/// fails.
@Suite struct LZ4InteropTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lz4")

    /// Every committed input (NAME.raw) and the liblz4 outputs made from it (NAME.lz4, NAME.hc.lz4).
    private static func fixtureFiles() throws -> [(name: String, input: [UInt8], compressed: [(String, [UInt8])])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted()
        // The engine's own reader: under the address sanitizer, Foundation's `Data(contentsOf:)` left a 4 KiB read
        // buffer leaked here.
        func read(_ name: String) throws -> [UInt8] {
            try PosixFileSystem().readWholeFile(fixtures.appendingPathComponent(name).path)
        }
        return try names.filter { $0.hasSuffix(".raw") }.map { rawName in
            let stem = String(rawName.dropLast(".raw".count))
            let outputs = try names.filter { $0 == stem + ".lz4" || $0 == stem + ".hc.lz4" }.map { ($0, try read($0)) }
            return (stem, try read(rawName), outputs)
        }
    }

    @Test func everyLibLZ4FixtureDecompressesToItsInput() throws {
        let fixtures = try Self.fixtureFiles()
        #expect(fixtures.count >= 12)
        #expect(fixtures.contains { $0.input.count > 65_536 }, "an input longer than the 64 KiB window")
        #expect(fixtures.contains { $0.input.isEmpty })
        var outputs = 0
        for fixture in fixtures {
            #expect(!fixture.compressed.isEmpty, "\(fixture.name) has a liblz4 output")
            for (name, compressed) in fixture.compressed {
                outputs += 1
                let matches = try LZ4.decompress(compressed, size: fixture.input.count) == fixture.input
                #expect(matches, "\(name) decompresses to its input")
                // The exact size is required: a byte more or less is an error, not a silent cut or a short block.
                #expect(throws: LZ4Error.self, "\(name) + 1") {
                    try LZ4.decompress(compressed, size: fixture.input.count + 1)
                }
                if !fixture.input.isEmpty {
                    #expect(throws: LZ4Error.self, "\(name) - 1") {
                        try LZ4.decompress(compressed, size: fixture.input.count - 1)
                    }
                }
            }
        }
        #expect(outputs > fixtures.count, "some inputs have a high-compression output too")
    }

    @Test(.enabled(if: ReferenceLZ4.isCI || (try? ReferenceLZ4.shared.get()) != nil,
                   "liblz4.so.1 cannot be loaded here, so the codec is not checked against it (fails when CI=true)"))
    func libLZ4ReadsWhatTheEngineWritesAndTheReverse() throws {
        let reference = try ReferenceLZ4.shared.get()
        var inputs = try Self.fixtureFiles().map { ($0.name, $0.input) } + lz4SampleInputs()
        // Random mixtures of the patterns, cut at random lengths, for match and literal runs of every shape.
        var random = SplitMix64(seed: 0x1234)
        let pieces = lz4SampleInputs().map(\.bytes).filter { !$0.isEmpty }
        for index in 0..<200 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let piece = pieces.randomElement(using: &random)!
                let start = Int.random(in: 0..<piece.count, using: &random)
                let end = min(piece.count, start + Int.random(in: 0...3_000, using: &random))
                input += piece[start..<end]
            }
            inputs.append(("mixture \(index)", input))
        }
        for (name, input) in inputs {
            // (Compared outside the expectations, which would print every byte of a mismatch.)
            let theyReadOurs = reference.decompress(LZ4.compress(input), size: input.count) == input
            #expect(theyReadOurs, "liblz4 decompresses the engine's compression of \(name)")
            let theirs = try #require(reference.compress(input), "liblz4 compresses \(name)")
            let weReadTheirs = try LZ4.decompress(theirs, size: input.count) == input
            #expect(weReadTheirs, "the engine decompresses liblz4's compression of \(name)")
        }
    }
}
