#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

private let fs = PosixFileSystem()

private let header = RecordFileHeader(kind: .writeAheadLog, databaseID: TableIdentity.testing().databaseID, fileNumber: 1)
private let headerSize = RecordFileHeader.encodedLength
private let recordHeaderSize = RecordFileFormat.version2.recordHeaderSize

/// A payload of `count` bytes that differs between `seed`s, cheap to make even when large; never all zeros.
private func payload(_ count: Int, seed: UInt8) -> [UInt8] {
    var bytes = [UInt8](repeating: seed | 0x80, count: count)
    for i in stride(from: 0, to: count, by: 97) { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) ^ seed }
    return bytes
}

/// Writes `payloads` as a fresh log at `path` and returns each record's offset plus the end of the log.
@discardableResult
private func writeLog(_ payloads: [[UInt8]], to path: String) throws -> (offsets: [UInt64], size: UInt64) {
    let writer = try RecordWriter.create(path, header: header, fileSystem: PosixFileSystem())
    var offsets: [UInt64] = []
    for p in payloads {
        offsets.append(writer.size)
        try writer.addRecord(p)
    }
    let size = writer.size
    try writer.close()
    return (offsets, size)
}

/// A log of given payloads written fresh to `000001.wal` in a directory of its own, and what the writer left: each
/// record's offset, the log's size and its bytes (which tests damage and write back), removed by ``remove()``.
private struct WrittenLog {
    let dir = TemporaryDirectory("wal")
    let path: String
    let offsets: [UInt64]
    let size: UInt64
    let bytes: [UInt8]

    init(_ payloads: [[UInt8]]) throws {
        path = dir.appending("000001.wal")
        do {
            (offsets, size) = try writeLog(payloads, to: path)
            bytes = try fs.readWholeFile(path)
        } catch {
            dir.remove()
            throw error
        }
    }

    func remove() { dir.remove() }
}

/// Every record up to the end of the log, and the reader so its end state can be checked.
private func readLog(_ path: String, _ rule: TailRule = .lastRecordMayBeTorn) throws(LSMError)
    -> (records: [FileRecord], reader: RecordReader)
{
    let reader = try RecordReader(file: try PosixFileSystem().openReadable(path), tailRule: rule)
    var records: [FileRecord] = []
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

@Suite struct RecordFileTests {
    @Test func fileHeaderAndRecordBytesAreAsDocumented() throws {
        let log = try WrittenLog([Array("abc".utf8)])
        defer { log.remove() }

        var expected: [UInt8] = [0x89, 0x4C, 0x53, 0x4D, 0x4C, 0x4F, 0x47, 0x0A]
        expected.appendFixed32(2)
        expected.appendFixed32(1)
        expected += header.databaseID.bytes
        expected.appendFixed64(1)
        expected.appendFixed32(CRC32C.mask(CRC32C.checksum(expected)))
        #expect(expected.count == 44)
        var covered: [UInt8] = []
        covered.appendFixed32(3)
        covered.append(1)
        covered.appendFixed32(CRC32C.mask(CRC32C.checksum(Array("abc".utf8))))
        expected.appendFixed32(CRC32C.mask(CRC32C.checksum(covered)))
        expected += covered + Array("abc".utf8)
        #expect(log.bytes == expected)

        let (records, reader) = try readLog(log.path)
        #expect(reader.header == header)
        #expect(reader.format == .version2)
        #expect(records.map(\.payload) == [Array("abc".utf8)])
        #expect(records.map(\.offset) == [44])
    }

    @Test func roundTripsRecordsOfVariedSizes() throws {
        let dir = TemporaryDirectory("wal")
        defer { dir.remove() }
        let path = dir.appending("000001.wal")
        let sizes = [0, 1, 8, 9, 10, 0, 100, 4095, 4096, 4097, 1 << 20, 3, 5 << 20, 0, 77, 65_536, 300 << 10]
        let payloads = sizes.enumerated().map { payload($0.element, seed: UInt8($0.offset)) }
        let (offsets, size) = try writeLog(payloads, to: path)
        #expect(size == UInt64(headerSize + sizes.reduce(0) { $0 + $1 + recordHeaderSize }))
        #expect(try fs.fileSize(path) == size)

        for rule in [TailRule.lastRecordMayBeTorn, .mustBeWhole] {
            let (records, reader) = try readLog(path, rule)
            #expect(records.map(\.payload) == payloads)
            #expect(records.map(\.offset) == offsets)
            #expect(reader.validLength == size)
            #expect(reader.tornTail == nil)
            #expect(try reader.next() == nil)
        }
    }

    @Test func headerOnlyFileIsAnEmptyLog() throws {
        let dir = TemporaryDirectory("wal")
        defer { dir.remove() }
        let path = dir.appending("000001.wal")
        try writeLog([], to: path)
        let (records, reader) = try readLog(path, .mustBeWhole)
        #expect(records.isEmpty)
        #expect(reader.tornTail == nil)
        #expect(reader.validLength == UInt64(headerSize))
    }

    @Test func aShortOrDamagedFileHeaderIsCorruption() throws {
        let log = try WrittenLog([payload(20, seed: 1)])
        defer { log.remove() }
        for length in [8, 20, 43] {
            try PosixFileSystem().writeWholeFile(Array(log.bytes[..<length]), to: log.path)
            let error = #expect(throws: LSMError.self) {
                try RecordReader(file: try fs.openReadable(log.path), tailRule: .lastRecordMayBeTorn)
            }
            #expect(error?.code == .corruption, "cut at \(length)")
            #expect(error?.offset == 0)
            #expect(error?.path == log.path)
        }
        // Past the magic number, every header byte is covered by its checksum.
        for position in 8..<headerSize {
            var damaged = log.bytes
            damaged[position] ^= 0x10
            try PosixFileSystem().writeWholeFile(damaged, to: log.path)
            let error = #expect(throws: LSMError.self) {
                try RecordReader(file: try fs.openReadable(log.path), tailRule: .lastRecordMayBeTorn, format: .version2)
            }
            #expect(error?.code == .corruption, "flip at \(position)")
            #expect(error?.offset == 0)
        }
    }

    @Test func cutAtEveryOffsetOfTheLastRecordsIsATornTailOnlyWhereAllowed() throws {
        let dir = TemporaryDirectory("wal")
        defer { dir.remove() }
        let full = dir.appending("full.wal")
        let cut = dir.appending("cut.wal")
        let payloads = [40, 0, 13, 9, 0, 120].enumerated().map { payload($0.element, seed: UInt8($0.offset + 1)) }
        let (offsets, size) = try writeLog(payloads, to: full)
        let bytes = try fs.readWholeFile(full)
        let boundaries = offsets + [size]

        for length in Int(offsets[offsets.count - 3])...Int(size) {
            try PosixFileSystem().writeWholeFile(Array(bytes[0..<length]), to: cut)
            let (records, reader) = try readLog(cut)
            let whole = boundaries.filter { $0 <= UInt64(length) }.count - 1
            #expect(records.map(\.payload) == Array(payloads[0..<whole]), "cut at \(length)")
            #expect(reader.validLength == boundaries[whole], "cut at \(length)")
            if boundaries.contains(UInt64(length)) {
                #expect(reader.tornTail == nil, "cut at \(length)")
                #expect(throws: Never.self) { try readLog(cut, .mustBeWhole) }
            } else {
                #expect(reader.tornTail?.offset == boundaries[whole], "cut at \(length)")
                let error = #expect(throws: LSMError.self) { try readLog(cut, .mustBeWhole) }
                #expect(error?.code == .corruption, "cut at \(length)")
                #expect(error?.offset == boundaries[whole], "cut at \(length)")
            }
        }
    }

    /// Zeros after the last whole record are space the writer reserved (or a record a crash kept from the disk):
    /// the end of the newest log, nothing torn; a log that must be whole may not have them.
    @Test func zeroFilledTailEndsTheNewestLogOnly() throws {
        let payloads = (0..<5).map { payload($0 * 17, seed: UInt8($0)) }
        let log = try WrittenLog(payloads)
        defer { log.remove() }

        for zeros in [1, 8, 12, 13, 14, 64, 4096, 300_000] {
            try PosixFileSystem().writeWholeFile(log.bytes + [UInt8](repeating: 0, count: zeros), to: log.path)
            let (records, reader) = try readLog(log.path)
            #expect(records.map(\.payload) == payloads, "\(zeros) zeros")
            #expect(reader.tornTail == nil, "\(zeros) zeros")
            #expect(reader.validLength == log.size, "\(zeros) zeros")
            let error = #expect(throws: LSMError.self) { try readLog(log.path, .mustBeWhole) }
            #expect(error?.offset == log.size, "\(zeros) zeros")
        }
    }

    /// Power loss can leave a log at its full length with zeros from some point on, even inside a record that is
    /// not the last: every record before the zeros is recovered and the rest is a torn tail (or, where the zeros
    /// start at a record boundary, the end of the log), never corruption.
    @Test func zerosFromAnyOffsetToTheEndAreATornTail() throws {
        let payloads = (0..<6).map { payload(10 + $0 * 3, seed: UInt8($0)) }
        let log = try WrittenLog(payloads)
        defer { log.remove() }

        for cut in Int(log.offsets[3])..<log.bytes.count {
            let zeroed = Array(log.bytes[..<cut]) + [UInt8](repeating: 0, count: log.bytes.count - cut)
            try PosixFileSystem().writeWholeFile(zeroed, to: log.path)
            let (records, reader) = try readLog(log.path)
            let whole = log.offsets.indices.filter { i in
                let end = i + 1 < log.offsets.count ? Int(log.offsets[i + 1]) : log.bytes.count
                return end <= cut
            }.count
            #expect(records.map(\.payload) == Array(payloads[..<whole]), "zeros from \(cut)")
            #expect(reader.validLength == log.offsets[whole], "zeros from \(cut)")
            if cut == Int(log.offsets[whole]) {
                #expect(reader.tornTail == nil, "zeros from \(cut)")
            } else {
                #expect(reader.tornTail?.offset == log.offsets[whole], "zeros from \(cut)")
            }
        }
    }

    /// Every byte of a record that has another after it is covered by a checksum, so flipping any of them (its
    /// length included) is corruption at the record, never a torn tail that would drop the records after it.
    @Test func damageAnywhereInARecordFollowedByAnotherIsCorruptionAtItsOffset() throws {
        let payloads = (0..<5).map { payload(20 + $0, seed: UInt8($0)) }
        let log = try WrittenLog(payloads)
        defer { log.remove() }

        for position in Int(log.offsets[2])..<Int(log.offsets[3]) {
            for flip: UInt8 in [0x01, 0x40, 0x80] {
                var damaged = log.bytes
                damaged[position] ^= flip
                try PosixFileSystem().writeWholeFile(damaged, to: log.path)
                let reader = try RecordReader(file: try fs.openReadable(log.path), tailRule: .lastRecordMayBeTorn)
                #expect(try reader.next()?.payload == payloads[0])
                #expect(try reader.next()?.payload == payloads[1])
                let error = #expect(throws: LSMError.self) { try reader.next() }
                #expect(error?.code == .corruption, "flip \(flip) at \(position)")
                #expect(error?.path == log.path)
                #expect(error?.offset == log.offsets[2], "flip \(flip) at \(position)")
                #expect(reader.tornTail == nil)
                #expect(reader.validLength == log.offsets[2])
            }
        }
    }

    @Test func damageInTheLastRecordsPayloadIsATornTailButInItsHeaderCorruption() throws {
        let payloads = (0..<4).map { payload(30, seed: UInt8($0)) }
        let log = try WrittenLog(payloads)
        defer { log.remove() }
        let last = Int(log.offsets[3])

        // The payload: nothing follows the record, so it may be a write cut short.
        for position in (last + recordHeaderSize)..<Int(log.size) {
            var damaged = log.bytes
            damaged[position] ^= 0x01
            try PosixFileSystem().writeWholeFile(damaged, to: log.path)
            let (records, reader) = try readLog(log.path)
            #expect(records.map(\.payload) == Array(payloads[0..<3]), "flip at \(position)")
            #expect(reader.tornTail?.offset == log.offsets[3], "flip at \(position)")
            #expect(reader.validLength == log.offsets[3], "flip at \(position)")
            let error = #expect(throws: LSMError.self) { try readLog(log.path, .mustBeWhole) }
            #expect(error?.offset == log.offsets[3])
        }
        // The header (checksum, length, type, payload checksum): the payload after it is data behind damage.
        for position in last..<(last + recordHeaderSize) {
            var damaged = log.bytes
            damaged[position] ^= 0x01
            try PosixFileSystem().writeWholeFile(damaged, to: log.path)
            let error = #expect(throws: LSMError.self) { try readLog(log.path) }
            #expect(error?.code == .corruption, "flip at \(position)")
            #expect(error?.offset == log.offsets[3], "flip at \(position)")
        }
    }

    /// The finding that motivated format version 2: a length damaged to reach past the end of the file used to
    /// read as a torn tail and drop every record after it.
    @Test func aLengthDamagedToRunPastTheEndIsCorruption() throws {
        let payloads = [payload(10, seed: 1), payload(10, seed: 2), payload(10, seed: 3)]
        let log = try WrittenLog(payloads)
        defer { log.remove() }
        var bytes = log.bytes
        let at = Int(log.offsets[1]) + 4
        bytes.replaceSubrange(at..<(at + 4), with: [0xFF, 0xFF, 0xFF, 0x00])
        try PosixFileSystem().writeWholeFile(bytes, to: log.path)
        let error = #expect(throws: LSMError.self) { try readLog(log.path) }
        #expect(error?.code == .corruption)
        #expect(error?.offset == log.offsets[1])
        #expect(error?.message.contains("header checksum mismatch") == true)
    }

    @Test func anUnknownTypeWithAnIntactHeaderIsAnUnsupportedFormat() throws {
        let payloads = (0..<3).map { payload(12, seed: UInt8($0)) }
        let log = try WrittenLog(payloads)
        defer { log.remove() }
        var bytes = log.bytes
        let record = Int(log.offsets[1])
        bytes[record + 8] = 2
        let covered = CRC32C.mask(CRC32C.checksum(Array(bytes[(record + 4)..<(record + 13)])))
        withUnsafeBytes(of: covered.littleEndian) { bytes.replaceSubrange(record..<(record + 4), with: $0) }
        try PosixFileSystem().writeWholeFile(bytes, to: log.path)
        let error = #expect(throws: LSMError.self) { try readLog(log.path) }
        #expect(error?.code == .unsupportedFormat)
        #expect(error?.offset == log.offsets[1])
    }

    @Test func arbitraryBytesNeverCrashTheReader() throws {
        let valid = (0..<12).map { payload($0 * 5, seed: UInt8($0)) }
        let log = try WrittenLog(valid)
        defer { log.remove() }

        for seed in 0..<90 {
            var rng = SplitMix64(seed: UInt64(seed))
            var bytes: [UInt8]
            switch seed % 3 {
            case 0: bytes = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1: bytes = Array(log.bytes[..<headerSize]) + (0..<Int.random(in: 0...600, using: &rng)).map { _ in
                    UInt8.random(in: 0...255, using: &rng)
                }
            default:
                bytes = log.bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: headerSize..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            try PosixFileSystem().writeWholeFile(bytes, to: log.path)
            for rule in [TailRule.lastRecordMayBeTorn, .mustBeWhole] {
                guard let reader = try? RecordReader(file: try fs.openReadable(log.path), tailRule: rule) else { continue }
                var end = UInt64(reader.format.fileHeaderSize)
                do {
                    while let record = try reader.next() {
                        #expect(record.offset == end, "seed \(seed)")
                        end = record.offset + UInt64(reader.format.recordHeaderSize + record.payload.count)
                    }
                    #expect(reader.validLength == end, "seed \(seed)")
                    let endsInZeros = rule == .lastRecordMayBeTorn && bytes[Int(end)...].allSatisfy { $0 == 0 }
                    #expect(reader.tornTail.map { $0.offset == end } ?? (end == UInt64(bytes.count) || endsInZeros),
                            "seed \(seed)")
                } catch {
                    #expect(error.code == .corruption || error.code == .unsupportedFormat, "seed \(seed)")
                    #expect(error.path == log.path, "seed \(seed)")
                    #expect(error.offset == end, "seed \(seed)")
                }
            }
        }
    }

    /// A huge sparse log is read with bounded memory, and its zero-filled tail is found without reading it.
    @Test func aSparse64GiBLogIsReadWithBoundedMemory() throws {
        let dir = TemporaryDirectory("wal")
        defer { dir.remove() }
        let path = dir.appending("000001.wal")
        let payloads = [payload(100, seed: 1)]
        let (_, size) = try writeLog(payloads, to: path)
        #expect(truncate(path, 64 << 30) == 0)
        let (records, reader) = try readLog(path)
        #expect(records.map(\.payload) == payloads)
        #expect(reader.tornTail == nil && reader.validLength == size)
    }

    @Test func version1LogsAreStillRead() throws {
        let dir = TemporaryDirectory("wal")
        defer { dir.remove() }
        let path = dir.appending("000001.wal")
        let payloads = [Array("abc".utf8), [], payload(300, seed: 9)]
        let bytes = version1Log(payloads)
        let offsets: [UInt64] = [0, 12, 21]
        try PosixFileSystem().writeWholeFile(bytes, to: path)
        let (records, reader) = try readLog(path, .mustBeWhole)
        #expect(reader.format == .version1)
        #expect(reader.header == nil)
        #expect(records.map(\.payload) == payloads)
        #expect(records.map(\.offset) == offsets)

        try PosixFileSystem().writeWholeFile(Array(bytes.dropLast(5)), to: path)
        let (cut, torn) = try readLog(path)
        #expect(cut.count == 2)
        #expect(torn.tornTail?.offset == offsets[2])
        #expect(throws: LSMError.self) { try readLog(path, .mustBeWhole) }
    }

    @Test func writerAppendsToAnExistingLog() throws {
        let dir = TemporaryDirectory("wal")
        defer { dir.remove() }
        let path = dir.appending("000001.wal")
        let first = (0..<3).map { payload(50 + $0, seed: UInt8($0)) }
        let second = (0..<4).map { payload(7 * $0, seed: UInt8(100 + $0)) }
        let (firstOffsets, firstSize) = try writeLog(first, to: path)

        let writer = RecordWriter(file: try fs.openWritable(path, truncate: false))
        #expect(writer.size == firstSize)
        var secondOffsets: [UInt64] = []
        for p in second {
            secondOffsets.append(writer.size)
            try writer.addRecord(p)
        }
        try writer.sync()
        let size = writer.size
        try writer.close()

        let (records, reader) = try readLog(path, .mustBeWhole)
        #expect(records.map(\.payload) == first + second)
        #expect(records.map(\.offset) == firstOffsets + secondOffsets)
        #expect(reader.validLength == size)
    }

    @Test func writerRefusesRecordsAfterAFailedAppend() throws {
        let file = FailingFile(failAfter: 2)
        let writer = RecordWriter(file: file)
        try writer.addRecord([1, 2, 3])
        try writer.addRecord([UInt8]())
        #expect(writer.size == UInt64(2 * recordHeaderSize + 3))
        let first = #expect(throws: LSMError.self) { try writer.addRecord([4]) }
        #expect(first?.code == .noSpace)
        file.failAfter = .max
        let again = #expect(throws: LSMError.self) { try writer.addRecord([5]) }
        #expect(again == first)
        #expect(file.appends == 3)
    }

    @Test func specialFilesAreRefusedInsteadOfBlocking() throws {
        let dir = TemporaryDirectory("wal")
        defer { dir.remove() }
        let fifo = dir.appending("000009.wal")
        #expect(mkfifo(fifo, 0o644) == 0)
        let error = #expect(throws: LSMError.self) { try fs.openReadable(fifo) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("a FIFO, not a regular file") == true)
        let directory = #expect(throws: LSMError.self) { try fs.openReadable(dir.path) }
        #expect(directory?.message.contains("a directory") == true)
        #expect(throws: LSMError.self) { try fs.openWritable(fifo, truncate: false) }
    }
}
