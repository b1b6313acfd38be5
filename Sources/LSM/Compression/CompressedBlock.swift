/// The contents of a block stored with LZ4 (block type 1): `varint32 uncompressed size ‖ LZ4 block`. The size lets a
/// reader allocate exactly and bounds the decompression; it is checked before anything is allocated.
///
/// `package`, so the fuzz targets can decode stored blocks as a table reads them. The bytes: docs/FORMAT.md, "Block on
/// disk" and "LZ4 block format".
package enum CompressedBlock {
    /// The largest uncompressed size a stored LZ4 block may declare: 64 MiB + 128 KiB, room for any block of one
    /// entry (a key of up to 64 KiB and a value of up to 64 MiB). Writers store larger blocks raw.
    static let maxUncompressedSize = Limits.maxValueSize + 2 * Limits.maxKeySize

    /// The room ``store(_:into:using:)`` needs for `count` bytes of contents.
    static func capacity(for count: Int) -> Int {
        varintLength(UInt64(count)) + LZ4.compressedBound(count)
    }

    /// Writes the stored form of `contents` (at most ``maxUncompressedSize`` bytes) into the start of `target`, which
    /// holds at least ``capacity(for:)`` bytes, compressing with `compressor`; returns the stored size.
    static func store(_ contents: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer,
                      using compressor: inout LZ4Compressor) -> Int {
        let start = target.storeVarint64(UInt64(contents.count), at: 0)
        return start + compressor.compress(contents, into: UnsafeMutableRawBufferPointer(rebasing: target[start...]))
    }

    /// The stored form of `contents`, however large it comes out (for seeds and tests; tables use a
    /// ``BlockCompressor``).
    package static func stored(_ contents: [UInt8]) -> [UInt8] {
        var compressor = LZ4Compressor()
        var target = [UInt8](repeating: 0, count: capacity(for: contents.count))
        let count = contents.withUnsafeBytes { source in
            target.withUnsafeMutableBytes { store(source, into: $0, using: &compressor) }
        }
        target.removeSubrange(count...)
        return target
    }

    /// The contents of the stored block `stored`, decompressed into a new array; errors as
    /// ``decompress(_:)``.
    package static func contents(ofStored stored: UnsafeRawBufferPointer) throws(LSMError) -> [UInt8] {
        let contents = try decompress(stored)
        defer { contents.storage.deallocate() }
        return [UInt8](UnsafeRawBufferPointer(start: contents.storage, count: contents.count))
    }

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
        guard var compressor = lz4, contents.count <= CompressedBlock.maxUncompressedSize else { return nil }
        // Moved out while it works, so that its hash table is not copied on write.
        lz4 = nil
        defer { lz4 = compressor }
        let capacity = CompressedBlock.capacity(for: contents.count)
        if buffer.count < capacity { buffer = [UInt8](repeating: 0, count: capacity) }
        let stored = buffer.withUnsafeMutableBytes { CompressedBlock.store(contents, into: $0, using: &compressor) }
        guard stored <= contents.count - contents.count / 8 else { return nil }
        return buffer[..<stored]
    }
}
