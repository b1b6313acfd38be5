@_spi(CustomByteBufferAllocator) import NIOCore
@testable import LSMServer
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bytes requested by buffers of ``countingAllocator`` (allocations and the new sizes of reallocations), ever.
private let bytesRequested = Atomic<Int>(0)

/// An allocator that counts what its buffers ask for, so a test can see what the request buffer makes them hold.
private let countingAllocator = ByteBufferAllocator(
    allocate: { size in
        bytesRequested.add(Int(size), ordering: .relaxed)
        return malloc(size)
    },
    reallocate: { pointer, _, newSize in
        bytesRequested.add(Int(newSize), ordering: .relaxed)
        return realloc(pointer, newSize)
    },
    deallocate: { free($0) },
    copy: { destination, source, count in destination.copyMemory(from: source, byteCount: count) }
)

/// Reads `text` into `buffer`; the names of the requests it completed, as strings.
private func read(_ text: String, _ buffer: inout RequestBuffer) throws(RESPProtocolError) -> [[String]] {
    var requests = CircularBuffer<RESPRequest>()
    try buffer.read(ByteBuffer(string: text), into: &requests)
    return requests.map { $0.arguments.map { String(buffer: $0) } }
}

@Suite struct RequestBufferTests {
    @Test func requestsArriveWhateverTheReadsCut() throws {
        var buffer = RequestBuffer(limits: RESPLimits(), queryBufferLimit: 1 << 20)
        #expect(try read("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPI", &buffer) == [["GET", "k"]])
        #expect(try read("NG\r\n*0\r\n*1\r\n$4\r\nQU", &buffer) == [["PING"]])
        #expect(try read("IT\r\n", &buffer) == [["QUIT"]])
        #expect(try read("", &buffer) == [])
    }

    @Test func theRequestsBeforeAProtocolErrorAreTaken() throws {
        var buffer = RequestBuffer(limits: RESPLimits(), queryBufferLimit: 1 << 20)
        var requests = CircularBuffer<RESPRequest>()
        #expect(throws: RESPProtocolError.expectedBulkString(found: UInt8(ascii: "*"))) {
            try buffer.read(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n*1\r\n*1\r\n"), into: &requests)
        }
        #expect(requests.map { $0.arguments } == [[ByteBuffer(string: "PING")]])
    }

    @Test func anUnfinishedRequestPastTheQueryBufferLimitIsAnError() throws {
        var buffer = RequestBuffer(limits: RESPLimits(), queryBufferLimit: 64)
        #expect(try read("*2\r\n$3\r\nSET\r\n$100\r\n", &buffer) == [])
        #expect(try read(String(repeating: "a", count: 40), &buffer) == [])
        #expect(throws: RESPProtocolError.queryBufferLimitExceeded) {
            try read(String(repeating: "a", count: 40), &buffer)
        }
    }

    @Test func wholeRequestsLeaveNothingHeld() throws {
        // A limit of 1 byte: whole requests of any size pass, as nothing stays unparsed after them.
        var buffer = RequestBuffer(limits: RESPLimits(), queryBufferLimit: 1)
        let big = String(repeating: "v", count: 1000)
        #expect(try read("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n\(big)\r\nPING\r\n", &buffer)
                    == [["SET", "k", big], ["PING"]])
    }

    @Test func aHugeDeclaredLengthKeepsOnlyTheBytesThatArrived() throws {
        var buffer = RequestBuffer(limits: RESPLimits(), queryBufferLimit: 1 << 30)
        var requests = CircularBuffer<RESPRequest>()
        var header = countingAllocator.buffer(capacity: 64)
        header.writeString("*2\r\n$3\r\nSET\r\n$536870912\r\n")
        try buffer.read(header, into: &requests)
        var piece = countingAllocator.buffer(capacity: 16 << 10)
        piece.writeRepeatingByte(0x61, count: 16 << 10)
        for _ in 0..<16 { try buffer.read(piece, into: &requests) }
        #expect(requests.isEmpty)
        // 256 KiB arrived and is held; the 512 MiB declared was never asked for.
        let requested = bytesRequested.load(ordering: .relaxed)
        #expect(requested >= 256 << 10 && requested < 2 << 20, "\(requested) bytes")
    }
}
