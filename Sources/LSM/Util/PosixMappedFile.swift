#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file mapped into memory. Tables are immutable once written, so the mapping never changes; a file
/// truncated behind the engine's back would fault on access, as with any memory-mapped reader.
final class PosixMappedFile: ReadableFile {
    private let file: PosixReadableFile
    nonisolated(unsafe) private let address: UnsafeMutableRawPointer
    private let length: Int

    init(file: PosixReadableFile, address: UnsafeMutableRawPointer, length: Int) {
        self.file = file
        self.address = address
        self.length = length
    }

    deinit {
        munmap(address, length)
    }

    var path: String { file.path }
    var size: UInt64 { file.size }
    var mappedContents: UnsafeRawBufferPointer? { UnsafeRawBufferPointer(start: address, count: length) }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LSMError) -> Int {
        guard offset < UInt64(length) else { return 0 }
        let count = min(buffer.count, length - Int(offset))
        buffer.baseAddress!.copyMemory(from: address + Int(offset), byteCount: count)
        return count
    }
}
