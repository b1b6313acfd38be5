/// The contents of a block stored with LZ4 (block type 1): `varint32 uncompressed size ‖ LZ4 block`. The size lets a
/// reader allocate exactly and bounds the decompression; it is checked before anything is allocated.
///
/// The bytes: docs/FORMAT.md, "Block on disk" and "LZ4 block format".
enum CompressedBlock {
    /// The largest uncompressed size a stored LZ4 block may declare: 64 MiB + 128 KiB, room for any block of one
    /// entry (a key of up to 64 KiB and a value of up to 64 MiB). Writers store larger blocks raw.
    static let maxUncompressedSize = Limits.maxValueSize + 2 * Limits.maxKeySize

    /// Decompresses the stored contents `stored` into a new allocation of exactly the declared size, which the
    /// caller owns (allocated with `UnsafeMutableRawPointer.allocate`, at least one byte).
    ///
    /// A declared size that is malformed, above ``maxUncompressedSize`` or above what the LZ4 bytes can produce
    /// (``LZ4/maxExpansion`` times their count), and any decompression failure, is `.corruption` without a path
    /// (the caller places it in its block).
    static func decompress(_ stored: UnsafeRawBufferPointer) throws(LSMError) -> (storage: UnsafeMutableRawPointer,
                                                                                   count: Int) {
        var reader = ByteReader(stored)
        guard let declared = reader.readVarint32() else {
            throw LSMError.corruption("LZ4 block of \(stored.count) bytes has no uncompressed size")
        }
        let payload = UnsafeRawBufferPointer(rebasing: stored[reader.position...])
        let size = Int(declared)
        guard size <= maxUncompressedSize, size <= payload.count * LZ4.maxExpansion else {
            throw LSMError.corruption("LZ4 block declares \(size) uncompressed bytes, more than its "
                                      + "\(payload.count) compressed bytes can hold or the limit of "
                                      + "\(maxUncompressedSize)")
        }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, size), alignment: 8)
        do throws(LZ4Error) {
            try LZ4.decompress(payload, into: UnsafeMutableRawBufferPointer(start: storage, count: size))
        } catch {
            storage.deallocate()
            throw LSMError.corruption("\(error)")
        }
        return (storage, size)
    }
}

/// Compresses a table builder's data blocks, reusing one LZ4 hash table and one output buffer for all of them, so
/// compressing allocates nothing once the buffer has grown to the largest block.
///
/// The bytes: docs/FORMAT.md, "Block on disk".
struct BlockCompressor {
    /// Nil when blocks are stored raw.
    private var lz4: LZ4Compressor?
    /// The last stored form made; grown, never shrunk.
    private var buffer: [UInt8] = []

    init(_ compression: Compression) {
        switch compression {
        case .none: lz4 = nil
        case .lz4: lz4 = LZ4Compressor()
        }
    }

    /// The stored form of `contents` (size and LZ4 bytes) when it is at most seven eighths of their size; nil when
    /// the block is better stored raw (or compression is off, or the block is above
    /// ``CompressedBlock/maxUncompressedSize``). The slice is valid until the next call.
    mutating func compress(_ contents: UnsafeRawBufferPointer) -> ArraySlice<UInt8>? {
        guard lz4 != nil, contents.count <= CompressedBlock.maxUncompressedSize else { return nil }
        let sizeLength = varintLength(UInt64(contents.count))
        let capacity = sizeLength + LZ4.compressedBound(contents.count)
        if buffer.count < capacity { buffer = [UInt8](repeating: 0, count: capacity) }
        let stored = buffer.withUnsafeMutableBytes { target in
            let start = target.storeVarint64(UInt64(contents.count), at: 0)
            let body = UnsafeMutableRawBufferPointer(rebasing: target[start...])
            return start + (lz4?.compress(contents, into: body) ?? 0)
        }
        guard stored <= contents.count - contents.count / 8 else { return nil }
        return buffer[..<stored]
    }
}
