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
    /// The only block type: contents stored as they are.
    static let uncompressedType: UInt8 = 0

    /// The contents; immutable after `init`, freed in `deinit` unless they are borrowed from a mapped file.
    nonisolated(unsafe) private let storage: UnsafeMutableRawPointer
    /// The mapped file the contents are borrowed from (kept alive by the block), or nil when the block owns them.
    private let mappedFile: (any ReadableFile)?
    /// Size of the contents in bytes (also the block's cost in the block cache).
    let byteCount: Int
    /// Where the entries end and the restart array begins; 0 for a block without entries.
    let entriesEnd: Int
    /// Number of restart points; 0 for a block without entries.
    let restartCount: Int

    /// Takes ownership of `storage` (allocated with `UnsafeMutableRawPointer.allocate`), whose first `count` bytes
    /// are the contents. Frees it and throws `.corruption` (without a path; offsets are within the block) when the
    /// restart array is malformed.
    convenience init(owning storage: UnsafeMutableRawPointer, count: Int) throws(LSMError) {
        try self.init(storage: storage, count: count, mappedFile: nil)
    }

    /// Borrows `count` bytes at `storage` inside `mappedFile`'s mapping, which the block keeps alive.
    private init(storage: UnsafeMutableRawPointer, count: Int, mappedFile: (any ReadableFile)?) throws(LSMError) {
        self.storage = storage
        self.byteCount = count
        self.mappedFile = mappedFile
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

    /// An iterator over the entries, comparing keys in `order`.
    func makeIterator(order: BlockKeyOrder = .internalKey) -> BlockIterator {
        BlockIterator(block: self, order: order)
    }

    /// A cursor over the entries, comparing keys in `order`; valid while the block is alive.
    func makeCursor(order: BlockKeyOrder = .internalKey) -> BlockCursor {
        BlockCursor(data: baseAddress, entriesEnd: entriesEnd, restartCount: restartCount, order: order)
    }

    /// Reads the block at `handle` from `file`, checking its trailer (see ``readChecked(from:handle:)``), and parses
    /// its restart array. Errors name the file and the block's offset. A block of a mapped file that was verified
    /// before may skip the trailer check (`verifyingChecksum` false); one read with system calls is always checked.
    static func read(from file: any ReadableFile, handle: BlockHandle, verifyingChecksum: Bool = true)
        throws(LSMError) -> Block {
        do throws(LSMError) {
            if let mapped = file.mappedContents {
                // Zero-copy: check the block where it lies in the mapping and borrow it.
                let contents = try contentsInMapping(mapped, handle: handle, path: file.path,
                                                     verifyingChecksum: verifyingChecksum)
                return try Block(storage: UnsafeMutableRawPointer(mutating: contents.baseAddress!),
                                 count: contents.count, mappedFile: file)
            }
            let storage = try readChecked(from: file, handle: handle)
            return try Block(owning: storage, count: Int(handle.size))
        } catch {
            throw error.locatedInBlock(path: file.path, blockOffset: handle.offset)
        }
    }

    /// The contents of the block at `handle` where they lie in `mapped`, the mapping of the file at `path`: after
    /// checking that the block lies inside it and, when `verifyingChecksum`, its trailer. Offsets in errors are the
    /// block's; the caller locates them in the file.
    static func contentsInMapping(_ mapped: UnsafeRawBufferPointer, handle: BlockHandle, path: String,
                                  verifyingChecksum: Bool) throws(LSMError) -> UnsafeRawBufferPointer {
        guard handle.fits(within: UInt64(mapped.count)) else {
            throw LSMError.corruption("block (offset \(handle.offset), size \(handle.size)) extends past the "
                                      + "end of the file", path: path, offset: handle.offset)
        }
        let start = Int(handle.offset)
        let raw = UnsafeRawBufferPointer(rebasing: mapped[start..<(start + Int(handle.size) + trailerSize)])
        if verifyingChecksum, let problem = checkTrailer(raw, path: path, offset: handle.offset) { throw problem }
        return UnsafeRawBufferPointer(rebasing: raw[0..<Int(handle.size)])
    }

    /// The contents of the block at `handle`, checked like ``read(from:handle:)`` but not parsed (the filter block
    /// has a format of its own).
    static func readContents(from file: any ReadableFile, handle: BlockHandle) throws(LSMError) -> [UInt8] {
        let storage = try readChecked(from: file, handle: handle)
        defer { storage.deallocate() }
        return [UInt8](UnsafeRawBufferPointer(start: storage, count: Int(handle.size)))
    }

    /// Reads contents and trailer into a new allocation the caller owns, after checking that the block lies inside
    /// the file, that the checksum matches and that the type is uncompressed.
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
            problem = n == total ? checkTrailer(UnsafeRawBufferPointer(raw), path: path, offset: handle.offset)
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

    /// The error for a block (contents then trailer) whose trailer does not match, or nil when it is sound.
    private static func checkTrailer(_ raw: UnsafeRawBufferPointer, path: String, offset: UInt64) -> LSMError? {
        let size = raw.count - trailerSize
        // Compared masked, as stored: a fuzzer tracing comparisons then sees the file's own bytes and can fix them.
        let stored = raw.fixed32(at: size + 1)
        let actual = CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0...size])))
        guard stored == actual else {
            return LSMError.corruption("block checksum mismatch", path: path, offset: offset)
        }
        guard raw[size] == uncompressedType else {
            return LSMError(.unsupportedFormat, "unknown block type \(raw[size])", path: path, offset: offset)
        }
        return nil
    }
}
