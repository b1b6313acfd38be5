import Testing
@testable import LSM

@Suite struct VersionEditTests {
    private static func sampleEdit() -> VersionEdit {
        var edit = VersionEdit()
        edit.formatVersion = 1
        edit.logNumber = 12
        edit.nextFileNumber = UInt64.max
        edit.lastSequence = maxSequenceNumber
        edit.deleteFile(level: 0, number: 5)
        edit.deleteFile(level: 6, number: 1 << 40)
        edit.addFile(level: 3, FileMetaData(number: 99, size: 1 << 33, smallest: ikey("", 0, .deletion),
                                            largest: ikey("zzz", maxSequenceNumber), entryCount: 12345))
        edit.addFile(level: 0, table(7, "a", "a"))
        return edit
    }

    @Test func roundTripsEveryField() throws {
        let edit = Self.sampleEdit()
        #expect(try decode(edit.encode()) == edit)
    }

    @Test func emptyEditIsEmptyBytes() throws {
        #expect(VersionEdit().encode().isEmpty)
        #expect(try decode([]) == VersionEdit())
    }

    @Test func roundTripsManyFiles() throws {
        var edit = VersionEdit()
        for i in 0..<2000 {
            let key = String(format: "key%06d", i)
            edit.addFile(level: i % Version.levelCount, table(UInt64(i), key, key + "~", size: UInt64(i) * 1000))
            edit.deleteFile(level: (i + 3) % Version.levelCount, number: UInt64(i) + 1_000_000)
        }
        let decoded = try decode(edit.encode())
        #expect(decoded == edit)
        #expect(decoded.newFiles.count == 2000 && decoded.deletedFiles.count == 2000)
    }

    @Test func everyStrictPrefixDecodesToLeadingFieldsOrIsCorruption() {
        let bytes = Self.sampleEdit().encode()
        var decodedPrefixes = 0
        for cut in 0..<bytes.count {
            let prefix = Array(bytes[0..<cut])
            do {
                let decoded = try decode(prefix)
                // A prefix that parses ends on a field boundary, so it re-encodes to itself.
                #expect(decoded.encode() == prefix, "cut \(cut)")
                decodedPrefixes += 1
            } catch {
                #expect(error.code == .corruption, "cut \(cut)")
            }
        }
        // Boundaries: empty, after each of the 4 counters, 2 deletions and the first addition.
        #expect(decodedPrefixes == 8)
    }

    @Test func randomAndMutatedBytesNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let valid = Self.sampleEdit().encode()
        for round in 0..<4000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...48, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            do {
                _ = try decode(bytes)
            } catch {
                #expect(error.code == .corruption)
            }
        }
    }

    @Test func rejectsMalformedFields() {
        var cases: [(String, [UInt8])] = []
        cases.append(("unknown tag", [99, 1]))
        cases.append(("tag 0", [0]))
        cases.append(("repeated log number", [2, 1, 2, 1]))
        var huge: [UInt8] = [4]
        huge.appendVarint64(maxSequenceNumber + 1)
        cases.append(("sequence above the maximum", huge))
        cases.append(("level out of range", [5, UInt8(Version.levelCount), 1]))
        var shortKey: [UInt8] = [6, 0, 1, 1, 1]
        shortKey.appendLengthPrefixed([1, 2, 3])
        shortKey.appendLengthPrefixed(ikey("a"))
        cases.append(("key shorter than a trailer", shortKey))
        var badKind: [UInt8] = [6, 0, 1, 1, 1]
        badKind.appendLengthPrefixed([7, 0, 0, 0, 0, 0, 0, 0])
        badKind.appendLengthPrefixed(ikey("a"))
        cases.append(("unknown key kind", badKind))
        var reversed: [UInt8] = [6, 0, 1, 1, 1]
        reversed.appendLengthPrefixed(ikey("b"))
        reversed.appendLengthPrefixed(ikey("a"))
        cases.append(("smallest above largest", reversed))
        for (name, bytes) in cases {
            let error = thrownError { () throws(LSMError) in _ = try decode(bytes) }
            #expect(error?.code == .corruption, "\(name)")
        }
    }
}
