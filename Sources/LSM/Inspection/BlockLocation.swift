/// Where a block sits in a table file: its first byte and the size of its contents. Every block on disk is
/// followed by a 5-byte trailer (type and checksum) that ``size`` does not count.
public struct BlockLocation: Sendable, Hashable, CustomStringConvertible {
    public var offset: UInt64
    public var size: UInt64

    public init(offset: UInt64, size: UInt64) {
        self.offset = offset
        self.size = size
    }

    init(_ handle: BlockHandle) {
        self.init(offset: handle.offset, size: handle.size)
    }

    public var description: String { "offset \(offset), size \(size)" }
}
