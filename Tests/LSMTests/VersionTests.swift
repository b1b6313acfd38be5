import Foundation
import Synchronization
import Testing
@testable import LSM


func ikey(_ user: String, _ sequence: SequenceNumber = 1, _ kind: ValueKind = .value) -> [UInt8] {
    makeInternalKey(Array(user.utf8), sequence, kind)
}

func table(_ number: UInt64, _ smallest: String, _ largest: String, size: UInt64 = 100) -> FileMetaData {
    FileMetaData(number: number, size: size, smallest: ikey(smallest, 9), largest: ikey(largest, 1), entryCount: 3)
}

private func edit(adding files: [(Int, FileMetaData)], deleting: [(Int, UInt64)] = []) -> VersionEdit {
    var edit = VersionEdit()
    for (level, file) in files { edit.addFile(level: level, file) }
    for (level, number) in deleting { edit.deleteFile(level: level, number: number) }
    return edit
}

func decode(_ bytes: [UInt8]) throws(LSMError) -> VersionEdit {
    try bytes.withBytes { (p: UnsafeRawBufferPointer) throws(LSMError) in try VersionEdit.decode(p) }
}

/// The error `body` throws; records a failure if it throws none.
func thrownError(_ body: () throws(LSMError) -> Void) -> LSMError? {
    do {
        try body()
        Issue.record("expected an error")
        return nil
    } catch {
        return error
    }
}

private func lookup(_ version: Version, _ key: String) -> [(Int, UInt64)] {
    Array(key.utf8).withUnsafeBytes { p in version.filesForLookup(p).map { ($0.level, $0.file.number) } }
}

/// A fresh directory for a version set's files, removed by ``remove()``.
private struct ManifestDirectory {
    private let scratch = TemporaryDirectory("version")
    let fs = PosixFileSystem()

    var path: String { scratch.path }

    func file(_ name: String) -> String { FileNames.path(path, name) }

    func remove() { scratch.remove() }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try fs.writeWholeFile(bytes, to: file(name))
    }

    func read(_ name: String) throws -> [UInt8] { try fs.readWholeFile(file(name)) }

    func makeSet(manifestSizeLimit: UInt64 = VersionSet.defaultManifestSizeLimit) -> VersionSet {
        VersionSet(fileSystem: fs, directory: path, manifestSizeLimit: manifestSizeLimit)
    }

    /// A new set over the directory, for a new database: its first manifest and `CURRENT` are written.
    func createdSet(manifestSizeLimit: UInt64 = VersionSet.defaultManifestSizeLimit) throws(LSMError) -> VersionSet {
        let set = makeSet(manifestSizeLimit: manifestSizeLimit)
        try set.create()
        return set
    }

    /// A new set over the directory, recovered from what its manifest holds (as a reopened database's would be).
    func recoveredSet() throws(LSMError) -> VersionSet {
        let set = makeSet()
        try set.recover()
        return set
    }

    /// Expects recovering a new set over the directory to fail with `code`, naming the file `name` (when given);
    /// returns the error for further checks.
    @discardableResult
    func expectRecoveryToFail(
        with code: LSMError.Code, naming name: String?, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> LSMError? {
        let error = thrownError { () throws(LSMError) in try makeSet().recover() }
        #expect(error?.code == code, comment, sourceLocation: sourceLocation)
        if let name { #expect(error?.path == file(name), comment, sourceLocation: sourceLocation) }
        return error
    }

    /// Writes a manifest holding `edits` and points CURRENT at it: in format version 2 (file header, and the test
    /// identity added to the first edit) when the first edit says so, otherwise in the framing of version 1.
    func writeManifest(_ number: UInt64, _ edits: [VersionEdit]) throws {
        let path = file(FileNames.manifest(number))
        if let version = edits.first?.formatVersion, version >= 2 {
            let id = TableIdentity.testing().databaseID
            var edits = edits
            edits[0].databaseID = edits[0].databaseID ?? id
            let header = RecordFileHeader(kind: .manifest, databaseID: id, fileNumber: number)
            let writer = try RecordWriter.create(path, header: header, fileSystem: fs)
            for edit in edits { try writer.addRecord(edit.encode()) }
            try writer.close()
        } else {
            try write(FileNames.manifest(number), version1Log(edits.map { $0.encode() }))
        }
        try write(FileNames.current, Array((FileNames.manifest(number) + "\n").utf8))
    }
}

/// A switch the test flips to make every sync of a written file fail.
private final class FaultSwitch: Sendable {
    let failSyncs = Mutex(false)
}

/// The real file system, except that syncs of written files fail while the switch is on.
private struct FaultyFileSystem: ForwardingFileSystem {
    let base = PosixFileSystem()
    let faults: FaultSwitch

    func openWritable(_ path: String, truncate: Bool) throws(LSMError) -> any WritableFile {
        FaultyWritableFile(base: try base.openWritable(path, truncate: truncate), faults: faults)
    }
}

private final class FaultyWritableFile: WritableFile {
    let base: any WritableFile
    let faults: FaultSwitch

    init(base: any WritableFile, faults: FaultSwitch) {
        self.base = base
        self.faults = faults
    }

    var path: String { base.path }
    var size: UInt64 { base.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) { try base.append(bytes) }
    func close() throws(LSMError) { try base.close() }

    func sync() throws(LSMError) {
        if faults.failSyncs.withLock({ $0 }) { throw LSMError(.ioError, "injected sync failure", path: path) }
        try base.sync()
    }
}

private func fullCounters(_ formatVersion: UInt32? = VersionEdit.currentFormatVersion) -> VersionEdit {
    var edit = VersionEdit()
    edit.formatVersion = formatVersion
    edit.logNumber = 3
    edit.nextFileNumber = 10
    edit.lastSequence = 77
    return edit
}

@Suite struct VersionModelTests {
    @Test func applyingOrdersLevelZeroNewestFirstAndSortsDeeperLevels() throws {
        let version = try Version().applying(edit(adding: [
            (0, table(3, "a", "z")), (0, table(9, "c", "d")), (0, table(5, "b", "b")),
            (2, table(4, "m", "p")), (2, table(8, "a", "c")), (2, table(6, "d", "f")),
        ]))
        #expect(version.levels[0].map(\.number) == [9, 5, 3])
        #expect(version.levels[2].map(\.number) == [8, 6, 4])
        #expect(version.levels[1].isEmpty)
        #expect(version.fileCount == 6)
        #expect(version.bytes(level: 2) == 300)
        #expect(version.bytes(level: 5) == 0)
    }

    @Test func applyingDeletesMovesAndLeavesTheBaseAlone() throws {
        let base = try Version().applying(edit(adding: [(0, table(1, "a", "c")), (1, table(2, "d", "e"))]))
        // A move between levels deletes and re-adds the same number in one edit.
        let moved = try base.applying(edit(adding: [(1, table(1, "a", "c"))], deleting: [(0, 1)]))
        #expect(moved.levels[0].isEmpty)
        #expect(moved.levels[1].map(\.number) == [1, 2])
        #expect(base.levels[0].map(\.number) == [1])
        let emptied = try moved.applying(edit(adding: [], deleting: [(1, 1), (1, 2)]))
        #expect(emptied.fileCount == 0)
    }

    @Test func applyingRejectsInconsistentEdits() throws {
        let base = try Version().applying(edit(adding: [(0, table(1, "a", "c")), (1, table(2, "d", "f"))]))
        let bad: [(String, VersionEdit)] = [
            ("deleting a missing file", edit(adding: [], deleting: [(0, 7)])),
            ("deleting from the wrong level", edit(adding: [], deleting: [(1, 1)])),
            ("deleting twice", edit(adding: [], deleting: [(0, 1), (0, 1)])),
            ("adding a present number", edit(adding: [(3, table(2, "x", "y"))])),
            ("adding a number twice", edit(adding: [(3, table(5, "x", "y")), (4, table(5, "x", "y"))])),
            ("overlapping a sorted level", edit(adding: [(1, table(6, "e", "g"))])),
            ("sharing a boundary user key", edit(adding: [(1, table(6, "f", "g"))])),
            ("level out of range", edit(adding: [(Version.levelCount, table(6, "x", "y"))])),
        ]
        for (name, change) in bad {
            let error = thrownError { () throws(LSMError) in _ = try base.applying(change) }
            #expect(error?.code == .corruption, "\(name)")
        }
    }

    /// Every key of one or two letters over a small alphabet, plus the empty key.
    private static let probes: [String] = {
        let letters = ["a", "b", "c", "d", "e", "f", "g", "h"]
        return [""] + letters + letters.flatMap { a in letters.map { a + $0 } }
    }()

    private static func sampleVersion() throws -> Version {
        try Version().applying(edit(adding: [
            (0, table(10, "b", "d")), (0, table(12, "c", "c")), (0, table(11, "a", "h")), (0, table(13, "e", "f")),
            (1, table(3, "b", "bd")), (1, table(4, "c", "cc")), (1, table(5, "e", "g")),
            (3, table(6, "a", "a")), (3, table(7, "ab", "h")),
            (6, table(8, "dd", "dd")),
        ]))
    }

    @Test func filesForLookupMatchesBruteForce() throws {
        let version = try Self.sampleVersion()
        for key in Self.probes {
            let contains = { (file: FileMetaData) in
                compareBytes(Array(key.utf8), Array(file.smallest.dropLast(8))) >= 0
                    && compareBytes(Array(key.utf8), Array(file.largest.dropLast(8))) <= 0
            }
            var expected = version.levels[0].sorted { $0.number > $1.number }.filter(contains).map { (0, $0.number) }
            for level in 1..<Version.levelCount {
                let hits = version.levels[level].filter(contains)
                #expect(hits.count <= 1)
                expected += hits.map { (level, $0.number) }
            }
            let actual = lookup(version, key)
            #expect(actual.map(\.0) == expected.map(\.0) && actual.map(\.1) == expected.map(\.1), "key \(key)")
        }
    }

    @Test func filesForLookupOnSortedLevelEdges() throws {
        let version = try Version().applying(edit(adding: [(1, table(1, "c", "e")), (1, table(2, "g", "i"))]))
        #expect(lookup(version, "a").isEmpty)  // before every file
        #expect(lookup(version, "c").map(\.1) == [1])  // first key of a file
        #expect(lookup(version, "e").map(\.1) == [1])  // last key of a file
        #expect(lookup(version, "f").isEmpty)  // between files
        #expect(lookup(version, "h").map(\.1) == [2])
        #expect(lookup(version, "j").isEmpty)  // after every file
        #expect(lookup(Version(), "a").isEmpty)
    }

    @Test func lookupVisitorStopsWhenAsked() throws {
        let version = try Self.sampleVersion()
        var seen: [UInt64] = []
        Array("c".utf8).withUnsafeBytes { p in
            version.forEachFileForLookup(p) { _, file in
                seen.append(file.number)
                return seen.count < 2
            }
        }
        #expect(seen == [12, 11])
    }

    @Test func overlappingFilesMatchesBruteForce() throws {
        let version = try Self.sampleVersion()
        let bounds: [String?] = [nil] + Self.probes.filter { $0.count <= 1 } + ["bd", "cc", "dd"]
        for level in 0..<Version.levelCount {
            for low in bounds {
                for high in bounds {
                    let expected = version.levels[level].filter { file in
                        let fileLow = Array(file.smallest.dropLast(8))
                        let fileHigh = Array(file.largest.dropLast(8))
                        let endsBefore = low.map { compareBytes(fileHigh, Array($0.utf8)) < 0 } ?? false
                        let startsAfter = high.map { compareBytes(fileLow, Array($0.utf8)) > 0 } ?? false
                        return !endsBefore && !startsAfter
                    }.map(\.number)
                    let actual = version.overlappingFiles(level: level, smallestUserKey: low.map { Array($0.utf8) },
                                                          largestUserKey: high.map { Array($0.utf8) }).map(\.number)
                    #expect(actual == expected, "level \(level) [\(low ?? "nil"), \(high ?? "nil")]")
                }
            }
        }
    }
}

@Suite struct VersionSetTests {
    /// Applies a random mix of flushes, moves and compactions; returns the versions after each edit.
    private static func applyRandomEdits(_ set: VersionSet, count: Int, seed: UInt64) throws -> [Version] {
        var rng = SplitMix64(seed: seed)
        var versions: [Version] = []
        for i in 0..<count {
            var change = VersionEdit()
            let current = set.current
            let number = set.newFileNumber()
            let key = String(format: "k%05d", i)
            if i % 5 == 4, let victim = current.levels[0].last {
                change.deleteFile(level: 0, number: victim.number)
                change.addFile(level: Int.random(in: 1..<Version.levelCount, using: &rng),
                               table(number, key, key + "z", size: UInt64(i)))
            } else {
                change.addFile(level: 0, table(number, "a", key, size: UInt64(i)))
            }
            if i % 7 == 6 { change.logNumber = number }
            set.lastSequence = UInt64(i) * 10 + UInt64.random(in: 0..<10, using: &rng)
            try set.logAndApply(change)
            versions.append(set.current)
        }
        return versions
    }

    private static func expectSame(_ a: Version, _ b: Version, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.levels == b.levels, sourceLocation: sourceLocation)
    }

    /// Closes `set` and recovers a new set from `dir`, expecting it to rebuild the version `set` had.
    private static func closeAndRecover(
        _ set: VersionSet, from dir: ManifestDirectory, sourceLocation: SourceLocation = #_sourceLocation
    ) throws(LSMError) -> VersionSet {
        set.close()
        let recovered = try dir.recoveredSet()
        expectSame(set.current, recovered.current, sourceLocation: sourceLocation)
        return recovered
    }

    @Test func createThenRecoverGivesAnEmptyDatabase() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        try dir.makeSet().create()
        #expect(try dir.read(FileNames.current) == Array("MANIFEST-000001\n".utf8))
        // The documented bytes of a new database's first edit, behind the file header and the record header.
        let set0 = try dir.recoveredSet()
        let id = try #require(set0.databaseID)
        let edit = try dir.read(FileNames.manifest(1)).dropFirst(RecordFileHeader.encodedLength + 13)
        #expect(Array(edit) == [1, 4, 7, 16] + id.bytes + [2, 0, 3, 2, 4, 0])
        let set = try dir.recoveredSet()
        #expect(set.current.fileCount == 0)
        #expect(set.logNumber == 0 && set.lastSequence == 0 && set.manifestFileNumber == 1)
        #expect(set.newFileNumber() == 2)
        #expect(set.liveTableNumbers() == [1])
    }

    @Test(arguments: [VersionSet.defaultManifestSizeLimit, 300])
    func recoverReproducesVersionAndCounters(manifestSizeLimit: UInt64) throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        let set = try dir.createdSet(manifestSizeLimit: manifestSizeLimit)
        let versions = try Self.applyRandomEdits(set, count: 200, seed: 7)
        Self.expectSame(versions.last ?? Version(), set.current)
        let live = set.liveTableNumbers()
        // The caller deletes manifests no longer in use; recovery must not need them.
        for name in try dir.fs.listDirectory(dir.path) {
            if case .manifest(let number) = FileNames.parse(name), !live.contains(number) {
                try dir.fs.removeFile(dir.file(name))
            }
        }
        let recovered = try Self.closeAndRecover(set, from: dir)
        #expect(recovered.lastSequence == set.lastSequence)
        #expect(recovered.logNumber == set.logNumber)
        #expect(recovered.manifestFileNumber == set.manifestFileNumber)
        #expect(recovered.liveTableNumbers() == live)
        #expect(recovered.newFileNumber() == set.newFileNumber())
        if manifestSizeLimit < VersionSet.defaultManifestSizeLimit {
            #expect(set.manifestFileNumber > 2, "a small limit rolls the manifest over")
        } else {
            #expect(try Self.recordOffsets(dir.file(FileNames.manifest(set.manifestFileNumber))).count == 200)
        }
    }

    @Test func tornLastEditIsDroppedAtEveryCut() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        let set = try dir.createdSet()
        let versions = try Self.applyRandomEdits(set, count: 3, seed: 1)
        let sequenceBefore = set.lastSequence
        set.lastSequence = sequenceBefore + 100
        let oldest = versions[2].levels[0][0].number
        try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "m", "n"))], deleting: [(0, oldest)]))
        set.close()
        let name = FileNames.manifest(set.manifestFileNumber)
        let full = try dir.read(name)
        let lastRecordStart = try Self.recordOffsets(dir.file(name)).last ?? 0
        for cut in Int(lastRecordStart)..<full.count {
            try dir.write(name, Array(full[0..<cut]))
            let recovered = try dir.recoveredSet()
            Self.expectSame(versions[2], recovered.current)
            #expect(recovered.lastSequence == sequenceBefore, "cut \(cut)")
        }
        try dir.write(name, full)
        let recovered = try dir.recoveredSet()
        Self.expectSame(set.current, recovered.current)
        #expect(recovered.lastSequence == sequenceBefore + 100)
    }

    @Test func damageBeforeTheLastEditIsCorruptionWithOffset() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        let set = try dir.createdSet()
        _ = try Self.applyRandomEdits(set, count: 3, seed: 2)
        set.close()
        let name = FileNames.manifest(set.manifestFileNumber)
        let offsets = try Self.recordOffsets(dir.file(name))
        #expect(offsets.count == 3)
        var bytes = try dir.read(name)
        bytes[Int(offsets[1]) + RecordFileFormat.version2.recordHeaderSize] ^= 0x40
        try dir.write(name, bytes)
        let error = dir.expectRecoveryToFail(with: .corruption, naming: name)
        #expect(error?.offset == offsets[1])
    }

    @Test func missingCurrentIsNotADatabase() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        dir.expectRecoveryToFail(with: .notADatabase, naming: nil)
    }

    @Test func badCurrentIsCorruption() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        try dir.makeSet().create()
        for contents in ["", "MANIFEST-000001", "MANIFEST-x\n", "000001.sst\n", "MANIFEST-000001\n\n", "\u{FF}\n"] {
            try dir.write(FileNames.current, Array(contents.utf8))
            dir.expectRecoveryToFail(with: .corruption, naming: FileNames.current, "\(contents.debugDescription)")
        }
        try dir.write(FileNames.current, Array("MANIFEST-000009\n".utf8))
        dir.expectRecoveryToFail(with: .corruption, naming: FileNames.manifest(9))
    }

    @Test func unknownFormatVersionIsUnsupported() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        try dir.writeManifest(4, [fullCounters(VersionEdit.currentFormatVersion + 1)])
        dir.expectRecoveryToFail(with: .unsupportedFormat, naming: FileNames.manifest(4))
    }

    @Test func malformedManifestsAreCorruption() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        var noCounters = VersionEdit()
        noCounters.formatVersion = VersionEdit.currentFormatVersion
        var noNext = fullCounters()
        noNext.nextFileNumber = nil
        var hugeNext = VersionEdit()
        hugeNext.nextFileNumber = UInt64.max
        let cases: [(String, [VersionEdit])] = [
            ("no edits", []),
            ("no format version first", [fullCounters(nil), fullCounters()]),
            ("no counters", [noCounters]),
            ("no next file number", [noNext]),
            ("deleting a missing file", [fullCounters(), edit(adding: [], deleting: [(0, 5)])]),
            ("next file number beyond the bound", [fullCounters(), hugeNext]),
            ("table number beyond the bound", [fullCounters(), edit(adding: [(1, table(UInt64.max, "a", "b"))])]),
        ]
        for (name, edits) in cases {
            try dir.writeManifest(4, edits)
            dir.expectRecoveryToFail(with: .corruption, naming: FileNames.manifest(4), "\(name)")
        }
        try dir.writeManifest(4, [noNext, fullCounters(nil)])
        let set = try dir.recoveredSet()
        #expect(set.newFileNumber() == 10, "counters may come from later edits")
        set.markFileNumberUsed(UInt64.max)
        set.markFileNumberUsed(41)
        #expect(set.newFileNumber() == 42, "numbers beyond the bound are ignored, others raise the counter")
    }

    @Test func firstApplyStartsANewManifestAndSwitchesCurrent() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        let set = try dir.createdSet()
        #expect(set.manifestFileNumber == 1)
        try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "a", "b"))]))
        let second = set.manifestFileNumber
        #expect(second != 1)
        #expect(try dir.read(FileNames.current) == Array((FileNames.manifest(second) + "\n").utf8))
        #expect(!set.liveTableNumbers().contains(1))
        #expect(set.liveTableNumbers().contains(second))
        try dir.fs.removeFile(dir.file(FileNames.manifest(1)))
        // Later edits append to the same manifest.
        try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "c", "d"))]))
        #expect(set.manifestFileNumber == second)
        #expect(try Self.recordOffsets(dir.file(FileNames.manifest(second))).count == 2)
        let reopened = try Self.closeAndRecover(set, from: dir)
        #expect(reopened.manifestFileNumber == second)
        // After recovery the next edit again goes to a fresh manifest holding a single snapshot.
        try reopened.logAndApply(edit(adding: [(0, table(reopened.newFileNumber(), "e", "f"))]))
        let third = reopened.manifestFileNumber
        #expect(third > second)
        #expect(try Self.recordOffsets(dir.file(FileNames.manifest(third))).count == 1)
        #expect(try dir.read(FileNames.current) == Array((FileNames.manifest(third) + "\n").utf8))
        let again = try Self.closeAndRecover(reopened, from: dir)
        #expect(again.current.fileCount == 3)
    }

    @Test func rejectedEditChangesNothing() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        let set = try dir.createdSet()
        try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "a", "b"))]))
        let before = set.current
        let error = thrownError { () throws(LSMError) in try set.logAndApply(edit(adding: [], deleting: [(0, 999)])) }
        #expect(error?.code == .corruption)
        #expect(set.current === before)
        try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "c", "d"))]))
        let recovered = try Self.closeAndRecover(set, from: dir)
        #expect(recovered.current.fileCount == 2)
    }

    @Test func failedWritesLeaveTheVersionAndStartAFreshManifest() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        let faults = FaultSwitch()
        let set = VersionSet(fileSystem: FaultyFileSystem(faults: faults), directory: dir.path)
        try set.create()

        // Fails while starting the first new manifest: nothing changes and the half-made manifest is removed.
        faults.failSyncs.withLock { $0 = true }
        let first = thrownError { () throws(LSMError) in
            try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "a", "b"))]))
        }
        #expect(first?.code == .ioError)
        #expect(set.current.fileCount == 0 && set.manifestFileNumber == 1)
        #expect(try dir.read(FileNames.current) == Array("MANIFEST-000001\n".utf8))
        let manifests = try dir.fs.listDirectory(dir.path).filter { $0.hasPrefix(FileNames.manifestPrefix) }
        #expect(manifests == ["MANIFEST-000001"])

        faults.failSyncs.withLock { $0 = false }
        try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "a", "b"))]))
        let afterFirst = set.current
        let manifestInUse = set.manifestFileNumber

        // Fails while appending: the version stays, and the next edit goes to a new manifest.
        faults.failSyncs.withLock { $0 = true }
        let second = thrownError { () throws(LSMError) in
            try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "c", "d"))]))
        }
        #expect(second?.code == .ioError)
        #expect(set.current === afterFirst && set.manifestFileNumber == manifestInUse)

        faults.failSyncs.withLock { $0 = false }
        try set.logAndApply(edit(adding: [(0, table(set.newFileNumber(), "e", "f"))]))
        #expect(set.manifestFileNumber != manifestInUse)
        #expect(set.current.fileCount == 2)
        _ = try Self.closeAndRecover(set, from: dir)
    }

    @Test func fileNumbersStayUniqueWhileEditsAreLogged() throws {
        let dir = ManifestDirectory()
        defer { dir.remove() }
        let set = try dir.createdSet()
        // A class, so the concurrent closures share a reference rather than both accessing one captured variable
        // (which the thread sanitizer reports, though the lock inside guards the array).
        let taken = Locked<[UInt64]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for i in 0..<50 {
                let number = set.newFileNumber()
                taken.withLock { $0.append(number) }
                if worker == 0 {
                    let key = String(format: "k%03d", i)
                    try? set.logAndApply(edit(adding: [(0, table(number, key, key))]))
                }
            }
        }
        let numbers = taken.withLock { $0 }
        #expect(Set(numbers).count == numbers.count)
        #expect(!numbers.contains(set.manifestFileNumber))
        #expect(set.current.fileCount == 50)
        set.close()
        let recovered = try dir.recoveredSet()
        let largestTable = set.current.levels[0].map(\.number).max() ?? 0
        #expect(recovered.newFileNumber() > largestTable)
        Self.expectSame(set.current, recovered.current)
    }

    /// Offsets of the records in a log file.
    private static func recordOffsets(_ path: String) throws -> [UInt64] {
        let reader = try RecordReader(file: try PosixFileSystem().openReadable(path), tailRule: .lastRecordMayBeTorn)
        var offsets: [UInt64] = []
        while let record = try reader.next() { offsets.append(record.offset) }
        return offsets
    }
}
