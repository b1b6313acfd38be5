import Foundation
import LSM
import Testing
@testable import LSMTools

/// The lines a script feeds `lsm cli`: split across reads, bounded, and read errors told from the end.
@Suite struct CLILineReaderTests {
    /// Lines longer than one read, split across reads, read from a real file descriptor.
    @Test func lineReaderSplitsAcrossReads() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let long = [UInt8](repeating: UInt8(ascii: "v"), count: 200_000)
        var bytes = Array("a\n\n".utf8) + long + Array("\r\nlast".utf8)
        let file = dir.path + "/input"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
        let fd = open(file, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let reader = CLILineReader(fileDescriptor: fd)
        var lines: [[UInt8]] = []
        while let line = try reader.nextLine() { lines.append(line) }
        #expect(lines == [Array("a".utf8), [], long + [0x0D], Array("last".utf8)])
        #expect(try reader.nextLine() == nil)

        bytes = Array("x\ny\n".utf8)
        let memory = CLILineReader(bytes: bytes)
        #expect(try memory.nextLine() == Array("x".utf8))
        #expect(try memory.nextLine() == Array("y".utf8))
        #expect(try memory.nextLine() == nil)
    }

    /// A line longer than the reader's limit ends the session with one message and exit 1, after the lines before
    /// it ran; a stream without newlines is not read forever.
    @Test func overlongLineEndsTheSession() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let long = Array("put a 12345678901234567890\nget a\n".utf8)
        let run = try runCLI(
            input: CLILineReader(bytes: Array("put a 1\n".utf8) + long, maxLineBytes: 16), in: dir.file("db"))
        #expect(run.out == "OK\n")
        #expect(run.err == "lsm: input line 2 is longer than 16 bytes\n")
        #expect(run.status == 1)
        #expect(try runCLI("get a\n", in: dir.file("db")).out == "1\n")

        // A line of exactly the limit is read; a newline-less stream from a descriptor stops at the limit.
        let exact = CLILineReader(bytes: Array("0123456789abcdef\n".utf8), maxLineBytes: 16)
        #expect(try exact.nextLine() == Array("0123456789abcdef".utf8))
        let file = dir.path + "/zeros"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(count: 1 << 20)))
        let fd = open(file, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let zeros = CLILineReader(fileDescriptor: fd, maxLineBytes: 100_000)
        #expect(throws: CLILineReader.Failure.lineTooLong(line: 1, limit: 100_000)) { try zeros.nextLine() }
        #expect(lseek(fd, 0, SEEK_CUR) < 1 << 20)
    }

    /// The default limit admits the largest batch the engine accepts, written as one line with every byte escaped.
    @Test func defaultLineLimitAdmitsTheLargestBatch() {
        // One put whose key and value fill the batch: a 12-byte header, the kind, and 3- and 5-byte lengths.
        let keyBytes = Limits.maxKeySize
        let valueBytes = Limits.maxBatchSize - 12 - 1 - 3 - keyBytes - 5
        let line = "batch put ".utf8.count + (4 * keyBytes + 2) + 1 + (4 * valueBytes + 2)
        #expect(line <= CLILineReader.defaultMaxLineBytes)
        // And many empty puts: 3 encoded bytes each, `put "" "" ` on the line.
        let puts = (Limits.maxBatchSize - 12) / 3
        #expect("batch".utf8.count + puts * " put \"\" \"\"".utf8.count <= CLILineReader.defaultMaxLineBytes)
    }

    /// A read error is not the end of the input: it is reported and the session exits 1.
    @Test func readErrorIsReported() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let fd = open(dir.path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let run = try runCLI(input: CLILineReader(fileDescriptor: fd), in: dir.file("db"))
        #expect(run.out == "")
        #expect(run.err == "lsm: cannot read standard input: Is a directory\n")
        #expect(run.status == 1)
    }
}
