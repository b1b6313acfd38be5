/// The fixed 64 bytes at the end of every table: where the filter, properties and index blocks are, the format
/// version, a checksum, and a magic number that identifies the file as a table.
///
/// Reading a table starts here, so the footer has a fixed size and position and checks itself: a file that does not
/// end in the magic number is not a table at all; a footer with a bad checksum is corrupt; a version this build does
/// not know is reported as such rather than misread.
///
/// The bytes: docs/FORMAT.md, "Footer".
struct Footer: Sendable, Equatable {
    /// The filter block; a size of 0 means the table has no filter.
    var filterHandle: BlockHandle
    var propertiesHandle: BlockHandle
    var indexHandle: BlockHandle
    var formatVersion: UInt32

    /// Size of the encoded footer.
    static let encodedLength = 64
    /// The format version this build writes: version 2 tables record their identity and sequence range; version 3
    /// tables may also hold values that expire; version 4 tables pack the trailers of their data blocks' keys.
    static let currentFormatVersion: UInt32 = 4
    /// The format versions this build reads.
    static let readableFormatVersions: ClosedRange<UInt32> = 1...4
    /// The last eight bytes of every table spell "LSMTABLE" in ASCII; read as a little-endian UInt64 they are this.
    static let magic: UInt64 = 0x454C_4241_544D_534C

    private static let versionOffset = 48
    private static let checksumOffset = 52
    private static let magicOffset = 56

    init(filterHandle: BlockHandle, propertiesHandle: BlockHandle, indexHandle: BlockHandle,
         formatVersion: UInt32 = Footer.currentFormatVersion) {
        self.filterHandle = filterHandle
        self.propertiesHandle = propertiesHandle
        self.indexHandle = indexHandle
        self.formatVersion = formatVersion
    }

    /// The 64 encoded bytes.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.encodedLength)
        for handle in [filterHandle, propertiesHandle, indexHandle] {
            bytes.appendFixed64(handle.offset)
            bytes.appendFixed64(handle.size)
        }
        bytes.appendFixed32(formatVersion)
        bytes.appendFixed32(CRC32C.mask(CRC32C.checksum(bytes)))
        bytes.appendFixed64(Self.magic)
        return bytes
    }

    /// Parses the last 64 bytes of a table of `fileSize` bytes and checks that every handle points inside the file
    /// before the footer. Errors name `path` and the footer's offset.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String, fileSize: UInt64) throws(LSMError) -> Footer {
        guard fileSize >= UInt64(encodedLength), bytes.count == encodedLength else {
            throw LSMError.corruption("not an SSTable (\(fileSize) bytes is shorter than a table footer)",
                                      path: path, offset: 0)
        }
        let footerOffset = fileSize - UInt64(encodedLength)
        guard bytes.fixed64(at: magicOffset) == magic else {
            throw LSMError.corruption("not an SSTable (no table magic number at the end of the file)",
                                      path: path, offset: footerOffset)
        }
        // Compared masked, as stored (see Block.checkTrailer).
        let stored = bytes.fixed32(at: checksumOffset)
        let actual = CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<checksumOffset])))
        guard stored == actual else {
            throw LSMError.corruption("table footer checksum mismatch", path: path, offset: footerOffset)
        }
        let version = bytes.fixed32(at: versionOffset)
        guard readableFormatVersions.contains(version) else {
            throw LSMError(.unsupportedFormat, "table format version \(version) is not supported (this build reads "
                           + "versions \(readableFormatVersions.lowerBound) to \(readableFormatVersions.upperBound))",
                           path: path, offset: footerOffset)
        }
        func handle(_ index: Int) -> BlockHandle {
            BlockHandle(offset: bytes.fixed64(at: index * 16), size: bytes.fixed64(at: index * 16 + 8))
        }
        let footer = Footer(filterHandle: handle(0), propertiesHandle: handle(1), indexHandle: handle(2),
                            formatVersion: version)
        let named = [("filter", footer.filterHandle), ("properties", footer.propertiesHandle),
                     ("index", footer.indexHandle)]
        for (name, handle) in named where !(name == "filter" && handle.size == 0) {
            guard handle.fits(within: footerOffset) else {
                throw LSMError.corruption("table footer's \(name) handle (offset \(handle.offset), size \(handle.size)) "
                                          + "points outside the file", path: path, offset: footerOffset)
            }
        }
        return footer
    }
}
