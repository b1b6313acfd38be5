/// The parsed, immutable bytes of one block: entries followed by the restart array (see ``BlockBuilder``).
///
/// A block owns a manually allocated buffer, freed when the last reference (the block cache, a table, or an
/// iterator) goes away, so iterators can read it through raw pointers without copying or retaining per entry.
/// The restart array is validated once here; entries are validated by ``BlockCursor`` as it decodes them.
///
/// The bytes: docs/FORMAT.md, "Block on disk" and "Block contents".
final class Block: Sendable {
    /// Bytes that follow every block on disk: the block type and a masked CRC32C of contents plus type.
    static let trailerSize = 5
    /// Block type: contents stored as they are.
    static let uncompressedType: UInt8 = 0
    /// Block type: contents stored LZ4-compressed, as ``CompressedBlock`` lays them out.
    static let lz4Type: UInt8 = 1

    /// The contents; immutable after `init`, freed in `deinit` unless they are borrowed from a mapped file.
    nonisolated(unsafe) private let storage: UnsafeMutableRawPointer
    /// The mapped file the contents are borrowed from (kept alive by the block), or nil when the block owns them.
    private let mappedFile: (any ReadableFile)?
    /// Size of the contents in bytes (also the block's cost in the block cache).
    let byteCount: Int
    /// Whether the contents were decompressed from what the file stores, so offsets in them are not the file's.
    let isDecompressed: Bool
    /// Where the entries end and the restart array begins; 0 for a block without entries.
    let entriesEnd: Int
    /// Number of restart points; 0 for a block without entries.
    let restartCount: Int

    /// Takes ownership of `storage` (allocated with `UnsafeMutableRawPointer.allocate`), whose first `count` bytes
    /// are the contents. Frees it and throws `.corruption` (without a path; offsets are within the block) when the
    /// restart array is malformed.
    /// `isDecompressed` says whether they were decompressed from a stored block.
    convenience init(owning storage: UnsafeMutableRawPointer, count: Int, isDecompressed: Bool = false)
        throws(LSMError) {
        try self.init(storage: storage, count: count, mappedFile: nil, isDecompressed: isDecompressed)
    }

    /// Borrows `count` bytes at `storage` inside `mappedFile`'s mapping, which the block keeps alive.
    private init(storage: UnsafeMutableRawPointer, count: Int, mappedFile: (any ReadableFile)?,
                 isDecompressed: Bool = false) throws(LSMError) {
        self.storage = storage
        self.byteCount = count
        self.mappedFile = mappedFile
        self.isDecompressed = isDecompressed
        let bytes = UnsafeRawBufferPointer(start: storage, count: count)
        guard let layout = BlockCursor.restartLayout(bytes) else {
            if mappedFile == nil { storage.deallocate() }
            throw LSMError.corruption("malformed block restart array (block of \(count) bytes)",
                                      offset: UInt64(max(0, count - 4)))
        }
        self.entriesEnd = layout.entriesEnd
        self.restartCount = layout.restartCount
    }

    /// A block holding a copy of `contents`.
    convenience init(contents: [UInt8]) throws(LSMError) {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, contents.count), alignment: 8)
        contents.withUnsafeBytes { source in
            if let base = source.baseAddress { storage.copyMemory(from: base, byteCount: source.count) }
        }
        try self.init(owning: storage, count: contents.count)
    }

    deinit {
        if mappedFile == nil { storage.deallocate() }
    }

    /// The contents, valid while the block is alive.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: byteCount) }

    /// The first byte of the contents, valid while the block is alive.
    var baseAddress: UnsafeRawPointer { UnsafeRawPointer(storage) }

    /// `error`, thrown while reading this block's contents, placed in the block at `blockOffset` of `path` (see
    /// ``LSMError/locatedInBlock(path:blockOffset:)``, and ``LSMError/inDecompressedContents()`` when the contents
    /// were decompressed).
    func locate(_ error: LSMError, path: String, blockOffset: UInt64) -> LSMError {
        (isDecompressed ? error.inDecompressedContents() : error).locatedInBlock(path: path, blockOffset: blockOffset)
    }

    /// An iterator over the entries, comparing keys in `order`.
    func makeIterator(order: BlockKeyOrder) -> BlockIterator {
        BlockIterator(block: self, order: order)
    }

    /// A cursor over the entries, comparing keys in `order`; valid while the block is alive.
    func makeCursor(order: BlockKeyOrder) -> BlockCursor {
        BlockCursor(data: baseAddress, entriesEnd: entriesEnd, restartCount: restartCount, order: order)
    }

    /// Reads the block at `handle` from `file`, checking its trailer (see ``readChecked(from:handle:)``), decompresses
    /// it when it is stored compressed, and parses its restart array. Errors name the file and the block's offset.
    /// (``Table`` reads a mapped table's data blocks itself, verifying each once.)
    static func read(from file: any ReadableFile, handle: BlockHandle) throws(LSMError) -> Block {
        do throws(LSMError) {
            if let mapped = file.mappedContents {
                // Zero-copy for a raw block: check it where it lies in the mapping and borrow it.
                let stored = try storedInMapping(mapped, handle: handle, verifyingChecksum: true)
                guard stored.type == uncompressedType else {
                    return try decompressed(stored.contents, type: stored.type)
                }
                return try borrowing(stored.contents, in: file)
            }
            let storage = try readChecked(from: file, handle: handle)
            let size = Int(handle.size)
            let type = storage.load(fromByteOffset: size, as: UInt8.self)
            guard type == uncompressedType else {
                defer { storage.deallocate() }
                return try decompressed(UnsafeRawBufferPointer(start: storage, count: size), type: type)
            }
            return try Block(owning: storage, count: size)
        } catch {
            throw error.locatedInBlock(path: file.path, blockOffset: handle.offset)
        }
    }

    /// A block borrowing `contents`, which lie in the mapping of `file`.
    static func borrowing(_ contents: UnsafeRawBufferPointer, in file: any ReadableFile) throws(LSMError) -> Block {
        // A mapping is never empty, and the contents lie inside it.
        guard let base = contents.baseAddress else { throw LSMError.corruption("block outside the mapped file") }
        return try Block(storage: UnsafeMutableRawPointer(mutating: base), count: contents.count, mappedFile: file)
    }

    /// The block whose contents are stored as `stored` in a block of type `type` other than uncompressed, in a new
    /// allocation. An unknown type is *unsupported format*; a compressed block that does not decompress, or
    /// decompresses to a malformed block, is *corruption*. Errors carry no offset: the caller names the block's.
    static func decompressed(_ stored: UnsafeRawBufferPointer, type: UInt8) throws(LSMError) -> Block {
        guard type == lz4Type else { throw unknownType(type) }
        let contents = try CompressedBlock.decompress(stored)
        do {
            return try Block(owning: contents.storage, count: contents.count, isDecompressed: true)
        } catch {
            throw error.inDecompressedContents()
        }
    }

    /// The contents of the block at `handle` where they lie in `mapped`, a file's mapping, and its type byte: after
    /// checking that the block lies inside it and, when `verifyingChecksum`, its trailer. Errors name no file and
    /// no offset; the caller places them at the block (``LSMError/locatedInBlock(path:blockOffset:)``). It takes no
    /// path, so that the reads of many threads do not all retain and release the same path string.
    static func storedInMapping(_ mapped: UnsafeRawBufferPointer, handle: BlockHandle, verifyingChecksum: Bool)
        throws(LSMError) -> (contents: UnsafeRawBufferPointer, type: UInt8) {
        guard handle.fits(within: UInt64(mapped.count)) else {
            throw LSMError(.corruption, "block (offset \(handle.offset), size \(handle.size)) extends past the "
                           + "end of the file")
        }
        let start = Int(handle.offset)
        let size = Int(handle.size)
        let raw = UnsafeRawBufferPointer(rebasing: mapped[start..<(start + size + trailerSize)])
        if verifyingChecksum, let problem = checkTrailer(raw) { throw problem }
        return (UnsafeRawBufferPointer(rebasing: raw[0..<size]), raw[size])
    }

    /// The contents of the block at `handle`, checked (and decompressed) like ``read(from:handle:)`` but not parsed
    /// (the filter block has a format of its own).
    static func readContents(from file: any ReadableFile, handle: BlockHandle) throws(LSMError) -> [UInt8] {
        let storage = try readChecked(from: file, handle: handle)
        defer { storage.deallocate() }
        let size = Int(handle.size)
        let type = storage.load(fromByteOffset: size, as: UInt8.self)
        if type == uncompressedType { return [UInt8](UnsafeRawBufferPointer(start: storage, count: size)) }
        do throws(LSMError) {
            guard type == lz4Type else { throw unknownType(type) }
            return try CompressedBlock.contents(ofStored: UnsafeRawBufferPointer(start: storage, count: size))
        } catch {
            throw error.locatedInBlock(path: file.path, blockOffset: handle.offset)
        }
    }

    /// Reads contents and trailer into a new allocation the caller owns, after checking that the block lies inside
    /// the file, that the checksum matches and that the type is one this build reads.
    private static func readChecked(from file: any ReadableFile, handle: BlockHandle)
        throws(LSMError) -> UnsafeMutableRawPointer {
        let path = file.path
        guard handle.fits(within: file.size) else {
            throw LSMError.corruption("block (offset \(handle.offset), size \(handle.size)) extends past the end "
                                      + "of the file", path: path, offset: handle.offset)
        }
        let total = Int(handle.size) + trailerSize
        let storage = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 8)
        let raw = UnsafeMutableRawBufferPointer(start: storage, count: total)
        let problem: LSMError?
        do {
            let n = try file.read(at: handle.offset, into: raw)
            problem = n == total
                ? checkTrailer(UnsafeRawBufferPointer(raw))?.locatedInBlock(path: path, blockOffset: handle.offset)
                : LSMError.corruption("file ends inside a block (\(n) of \(total) bytes)", path: path,
                                      offset: handle.offset)
        } catch {
            problem = error
        }
        if let problem {
            storage.deallocate()
            throw problem
        }
        return storage
    }

    /// The error for a block (contents then trailer) whose trailer does not match, or nil when it is sound; it names
    /// no file and no offset.
    private static func checkTrailer(_ raw: UnsafeRawBufferPointer) -> LSMError? {
        let size = raw.count - trailerSize
        // Compared masked, as stored: a fuzzer tracing comparisons then sees the file's own bytes and can fix them.
        let stored = raw.fixed32(at: size + 1)
        let actual = CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0...size])))
        guard stored == actual else {
            return LSMError(.corruption, "block checksum mismatch")
        }
        guard raw[size] == uncompressedType || raw[size] == lz4Type else {
            return unknownType(raw[size])
        }
        return nil
    }

    /// The error for a block of a type this build does not read (a later version's compression, say).
    private static func unknownType(_ type: UInt8) -> LSMError {
        LSMError(.unsupportedFormat, "unknown block type \(type)")
    }
}
