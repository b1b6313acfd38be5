@_spi(CustomByteBufferAllocator) import NIOCore
import LSMServer
import NIOEmbedded
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bytes requested by buffers of ``countingAllocator`` (allocations and the new sizes of reallocations), ever.
private let bytesRequested = Atomic<Int>(0)

/// An allocator that counts what its buffers ask for, so a test can see what a decoder makes them hold.
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

private func channel() throws -> EmbeddedChannel {
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPRequestDecoder()))
    return channel
}

@Suite struct RESPRequestDecoderTests {
    @Test func requestsArriveWhateverTheReadsCut() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPI"))
        #expect(try channel.readInbound(as: RESPRequest.self)?.arguments == ["GET", "k"].map(ByteBuffer.init))
        #expect(try channel.readInbound(as: RESPRequest.self) == nil)
        try channel.writeInbound(ByteBuffer(string: "NG\r\n*0\r\n*1\r\n$4\r\nQUIT\r\n"))
        #expect(try channel.readInbound(as: RESPRequest.self)?.arguments == [ByteBuffer(string: "PING")])
        #expect(try channel.readInbound(as: RESPRequest.self)?.arguments == [ByteBuffer(string: "QUIT")])
        #expect(try channel.readInbound(as: RESPRequest.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func aProtocolErrorReachesThePipeline() throws {
        let channel = try channel()
        #expect(throws: RESPProtocolError.expectedBulkString(found: UInt8(ascii: "*"))) {
            try channel.writeInbound(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n*1\r\n*1\r\n"))
        }
        #expect(try channel.readInbound(as: RESPRequest.self)?.arguments == [ByteBuffer(string: "PING")])
        _ = try? channel.finish()
    }

    @Test func anUnfinishedRequestIsDroppedAtTheEnd() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "PING\r\n*1\r\n$4\r\nPI"))
        #expect(try channel.readInbound(as: RESPRequest.self)?.arguments == [ByteBuffer(string: "PING")])
        #expect(try channel.finish(acceptAlreadyClosed: false).isClean)
    }

    @Test func aHugeDeclaredLengthKeepsOnlyTheBytesThatArrived() throws {
        let channel = try channel()
        var header = countingAllocator.buffer(capacity: 64)
        header.writeString("*2\r\n$3\r\nSET\r\n$536870912\r\n")
        try channel.writeInbound(header)
        var piece = countingAllocator.buffer(capacity: 16 << 10)
        piece.writeRepeatingByte(0x61, count: 16 << 10)
        for _ in 0..<16 { try channel.writeInbound(piece) }
        #expect(try channel.readInbound(as: RESPRequest.self) == nil)
        // 256 KiB arrived and is held; the 512 MiB declared was never asked for.
        let requested = bytesRequested.load(ordering: .relaxed)
        #expect(requested >= 256 << 10 && requested < 2 << 20, "\(requested) bytes")
        _ = try? channel.finish()
    }
}
