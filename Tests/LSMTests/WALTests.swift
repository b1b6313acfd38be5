#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// A directory under /tmp unique to one test, removed by ``remove()``.
private struct ScratchDirectory {
    let path: String
    let fs = PosixFileSystem()

    init() throws {
        path = "/tmp/swift-lsm-wal-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try fs.createDirectory(path)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() {
        for name in (try? fs.listDirectory(path)) ?? [] { try? fs.removeFile(file(name)) }
        rmdir(path)
    }
}


/// A payload of `count` bytes that differs between `seed`s, cheap to make even when large.
private func payload(_ count: Int, seed: UInt8) -> [UInt8] {
    var bytes = [UInt8](repeating: seed, count: count)
    for i in stride(from: 0, to: count, by: 97) { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) ^ seed }
    return bytes
}

/// Writes `payloads` as a fresh log at `path` and returns each record's offset plus the end of the log.
@discardableResult
private func writeLog(_ payloads: [[UInt8]], to path: String) throws -> (offsets: [UInt64], size: UInt64) {
    let writer = LogWriter(file: try PosixFileSystem().openWritable(path, truncate: true))
    var offsets: [UInt64] = []
    for p in payloads {
        offsets.append(writer.size)
        try writer.addRecord(p)
    }
    let size = writer.size
    try writer.close()
    return (offsets, size)
}

private func writeBytes(_ bytes: [UInt8], to path: String) throws {
    let file = try PosixFileSystem().openWritable(path, truncate: true)
    try file.append(bytes)
    try file.close()
}

/// Every record up to the end of the log, and the reader so its end state can be checked.
private func readLog(_ path: String) throws(LSMError) -> (records: [LogRecord], reader: LogReader) {
    let reader = try LogReader(file: try PosixFileSystem().openReadable(path))
    var records: [LogRecord] = []
    while let record = try reader.next() { records.append(record) }
    return (records, reader)
}

/// A writable file whose appends fail after `failAfter` successful ones.
private final class FailingFile: WritableFile {
    let path = "/failing"
    var size: UInt64 = 0
    var failAfter: Int
    var appends = 0

    init(failAfter: Int) { self.failAfter = failAfter }

    func append(_ bytes: UnsafeRawBufferPointer) throws(LSMError) {
        appends += 1
        if appends > failAfter { throw LSMError(.noSpace, "disk full", path: path) }
        size += UInt64(bytes.count)
    }

    func sync() throws(LSMError) {}
    func close() throws(LSMError) {}
}

@Suite struct WALTests {
    @Test func headerBytesAreAsDocumented() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        try writeLog([Array("abc".utf8)], to: path)
        let bytes = try dir.fs.readWholeFile(path)
        let crc = CRC32C.mask(CRC32C.checksum([1] + Array("abc".utf8)))
        var expected: [UInt8] = []
        expected.appendFixed32(crc)
        expected.appendFixed32(3)
        expected.append(1)
        expected += Array("abc".utf8)
        #expect(bytes == expected)
    }

    @Test func roundTripsRecordsOfVariedSizes() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let sizes = [0, 1, 8, 9, 10, 0, 100, 4095, 4096, 4097, 1 << 20, 3, 5 << 20, 0, 77, 65_536]
        let payloads = sizes.enumerated().map { payload($0.element, seed: UInt8($0.offset)) }
        let (offsets, size) = try writeLog(payloads, to: path)
        #expect(size == UInt64(sizes.reduce(0) { $0 + $1 + LogFormat.headerSize }))
        #expect(try dir.fs.fileSize(path) == size)

        let (records, reader) = try readLog(path)
        #expect(records.map(\.payload) == payloads)
        #expect(records.map(\.offset) == offsets)
        #expect(reader.validLength == size)
        #expect(reader.tornTail == nil)
        #expect(try reader.next() == nil)
    }

    @Test func emptyFileIsAnEmptyLog() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        try writeLog([], to: path)
        let (records, reader) = try readLog(path)
        #expect(records.isEmpty)
        #expect(reader.tornTail == nil)
        #expect(reader.validLength == 0)
    }

    @Test func cutAtEveryOffsetOfTheLastRecordsIsATornTail() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let full = dir.file("full.wal")
        let cut = dir.file("cut.wal")
        let payloads = [40, 0, 13, 9, 0, 120].enumerated().map { payload($0.element, seed: UInt8($0.offset + 1)) }
        let (offsets, size) = try writeLog(payloads, to: full)
        let bytes = try dir.fs.readWholeFile(full)
        let boundaries = offsets + [size]

        for length in Int(offsets[offsets.count - 3])...Int(size) {
            try writeBytes(Array(bytes[0..<length]), to: cut)
            let (records, reader) = try readLog(cut)
            let whole = boundaries.filter { $0 <= UInt64(length) }.count - 1
            #expect(records.map(\.payload) == Array(payloads[0..<whole]), "cut at \(length)")
            #expect(reader.validLength == boundaries[whole], "cut at \(length)")
            if boundaries.contains(UInt64(length)) {
                #expect(reader.tornTail == nil, "cut at \(length)")
            } else {
                #expect(reader.tornTail?.offset == boundaries[whole], "cut at \(length)")
            }
        }
    }

    @Test func zeroFilledTailIsATornTail() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let payloads = (0..<5).map { payload($0 * 17, seed: UInt8($0)) }
        let (_, size) = try writeLog(payloads, to: path)
        let bytes = try dir.fs.readWholeFile(path)

        for zeros in [1, 8, 9, 10, 64, 4096, 70_000] {
            try writeBytes(bytes + [UInt8](repeating: 0, count: zeros), to: path)
            let (records, reader) = try readLog(path)
            #expect(records.map(\.payload) == payloads, "\(zeros) zeros")
            #expect(reader.tornTail?.offset == size, "\(zeros) zeros")
            #expect(reader.validLength == size, "\(zeros) zeros")
        }
    }

    /// Power loss can leave a log at its full length with zeros from some point on, even inside a record that is
    /// not the last: every record before the zeros is recovered and the rest is a torn tail, never corruption.
    @Test func zerosFromAnyOffsetToTheEndAreATornTail() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let payloads = (0..<6).map { payload(10 + $0 * 3, seed: UInt8($0)) }
        let (offsets, _) = try writeLog(payloads, to: path)
        let bytes = try dir.fs.readWholeFile(path)

        for cut in Int(offsets[3])..<bytes.count {
            let zeroed = Array(bytes[..<cut]) + [UInt8](repeating: 0, count: bytes.count - cut)
            try writeBytes(zeroed, to: path)
            let (records, reader) = try readLog(path)
            let whole = offsets.indices.filter { i in
                let end = i + 1 < offsets.count ? Int(offsets[i + 1]) : bytes.count
                return end <= cut
            }.count
            #expect(records.map(\.payload) == Array(payloads[..<whole]), "zeros from \(cut)")
            #expect(reader.tornTail?.offset == offsets[whole], "zeros from \(cut)")
        }
    }

    @Test func damageInAMiddleRecordIsCorruptionAtItsOffset() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let payloads = (0..<5).map { payload(20 + $0, seed: UInt8($0)) }
        let (offsets, _) = try writeLog(payloads, to: path)
        let bytes = try dir.fs.readWholeFile(path)
        let middle = Int(offsets[2])
        // Every checksum byte and every payload byte of the middle record.
        let positions = Array(middle..<(middle + 4)) + Array((middle + LogFormat.headerSize)..<Int(offsets[3]))

        for position in positions {
            var damaged = bytes
            damaged[position] ^= 0x40
            try writeBytes(damaged, to: path)
            let reader = try LogReader(file: try dir.fs.openReadable(path))
            #expect(try reader.next()?.payload == payloads[0])
            #expect(try reader.next()?.payload == payloads[1])
            let error = #expect(throws: LSMError.self) { try reader.next() }
            #expect(error?.code == .corruption)
            #expect(error?.path == path)
            #expect(error?.offset == offsets[2])
            #expect(error?.message.contains("checksum mismatch") == true)
            #expect(reader.tornTail == nil)
            #expect(reader.validLength == offsets[2])
        }
    }

    @Test func damageInTheLastRecordIsATornTail() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let payloads = (0..<4).map { payload(30, seed: UInt8($0)) }
        let (offsets, size) = try writeLog(payloads, to: path)
        let bytes = try dir.fs.readWholeFile(path)
        let last = Int(offsets[3])

        // Checksum, type and payload bytes; a damaged length changes where the record ends, covered below.
        for position in Array(last..<(last + 4)) + Array((last + 8)..<Int(size)) {
            var damaged = bytes
            damaged[position] ^= 0x01
            try writeBytes(damaged, to: path)
            let (records, reader) = try readLog(path)
            #expect(records.map(\.payload) == Array(payloads[0..<3]), "flip at \(position)")
            #expect(reader.tornTail?.offset == offsets[3], "flip at \(position)")
            #expect(reader.validLength == offsets[3], "flip at \(position)")
        }

        var longer = bytes
        longer[last + 4] ^= 0x01
        try writeBytes(longer, to: path)
        let (records, reader) = try readLog(path)
        #expect(records.count == 3)
        #expect(reader.tornTail?.offset == offsets[3])
    }

    @Test func absurdLengthRunningPastTheEndIsATornTail() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let payloads = [payload(10, seed: 1), payload(10, seed: 2)]
        let (offsets, _) = try writeLog(payloads, to: path)
        var bytes = try dir.fs.readWholeFile(path)
        let at = Int(offsets[1]) + 4
        bytes.replaceSubrange(at..<(at + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
        try writeBytes(bytes, to: path)
        let (records, reader) = try readLog(path)
        #expect(records.map(\.payload) == [payloads[0]])
        #expect(reader.tornTail?.offset == offsets[1])
    }

    @Test func unknownTypeInTheMiddleIsCorruptionAndAtTheEndATornTail() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let payloads = (0..<3).map { payload(12, seed: UInt8($0)) }
        let (offsets, _) = try writeLog(payloads, to: path)
        let bytes = try dir.fs.readWholeFile(path)

        for type: UInt8 in [0, 2, 3, 0xFF] {
            var middle = bytes
            middle[Int(offsets[1]) + 8] = type
            try writeBytes(middle, to: path)
            let error = #expect(throws: LSMError.self) { try readLog(path) }
            #expect(error?.code == .corruption)
            #expect(error?.path == path)
            #expect(error?.offset == offsets[1])
            #expect(error?.message.contains("unknown record type") == true)

            var last = bytes
            last[Int(offsets[2]) + 8] = type
            try writeBytes(last, to: path)
            let (records, reader) = try readLog(path)
            #expect(records.map(\.payload) == Array(payloads[0..<2]))
            #expect(reader.tornTail?.offset == offsets[2])
        }
    }

    @Test func arbitraryBytesNeverCrashTheReader() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("000001.wal")
        let valid = (0..<12).map { payload($0 * 5, seed: UInt8($0)) }
        try writeLog(valid, to: path)
        let log = try dir.fs.readWholeFile(path)

        for seed in 0..<60 {
            var rng = SplitMix64(seed: UInt64(seed))
            let bytes: [UInt8]
            if seed % 2 == 0 {
                bytes = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                var mutated = log
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    mutated[Int.random(in: 0..<mutated.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                bytes = mutated
            }
            try writeBytes(bytes, to: path)
            let reader = try LogReader(file: try dir.fs.openReadable(path))
            var end: UInt64 = 0
            do {
                while let record = try reader.next() {
                    #expect(record.offset == end, "seed \(seed)")
                    end = record.offset + UInt64(LogFormat.headerSize + record.payload.count)
                }
                #expect(reader.validLength == end, "seed \(seed)")
                #expect(reader.tornTail.map { $0.offset == end } ?? (end == UInt64(bytes.count)), "seed \(seed)")
            } catch {
                #expect(error.code == .corruption, "seed \(seed)")
                #expect(error.path == path, "seed \(seed)")
                #expect(error.offset == end, "seed \(seed)")
            }
        }
    }

    @Test func writerAppendsToAnExistingLog() throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let path = dir.file("MANIFEST-000001")
        let first = (0..<3).map { payload(50 + $0, seed: UInt8($0)) }
        let second = (0..<4).map { payload(7 * $0, seed: UInt8(100 + $0)) }
        let (firstOffsets, firstSize) = try writeLog(first, to: path)

        let writer = LogWriter(file: try dir.fs.openWritable(path, truncate: false))
        #expect(writer.size == firstSize)
        var secondOffsets: [UInt64] = []
        for p in second {
            secondOffsets.append(writer.size)
            try writer.addRecord(p)
        }
        try writer.sync()
        let size = writer.size
        try writer.close()

        let (records, reader) = try readLog(path)
        #expect(records.map(\.payload) == first + second)
        #expect(records.map(\.offset) == firstOffsets + secondOffsets)
        #expect(reader.validLength == size)
        #expect(reader.tornTail == nil)
    }

    @Test func writerRefusesRecordsAfterAFailedAppend() throws {
        let file = FailingFile(failAfter: 2)
        let writer = LogWriter(file: file)
        try writer.addRecord([1, 2, 3])
        try writer.addRecord([UInt8]())
        #expect(writer.size == UInt64(2 * LogFormat.headerSize + 3))
        let first = #expect(throws: LSMError.self) { try writer.addRecord([4]) }
        #expect(first?.code == .noSpace)
        file.failAfter = .max
        let again = #expect(throws: LSMError.self) { try writer.addRecord([5]) }
        #expect(again == first)
        #expect(file.appends == 3)
    }
}
