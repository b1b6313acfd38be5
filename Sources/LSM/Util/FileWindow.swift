/// Reads a file through one bounded buffer: small reads near each other cost one system call per window, and
/// memory never depends on the file's size.
struct FileWindow {
    /// Bytes read from the file at a time.
    static let size = 256 << 10

    let file: any ReadableFile
    private var window: [UInt8] = []
    private var windowStart: UInt64 = 0

    init(_ file: any ReadableFile) {
        self.file = file
    }

    /// Calls `body` with `count` bytes at `offset`, which the file must hold, from the window.
    mutating func withBytes<R>(at offset: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) -> R)
        throws(LSMError) -> R
    {
        if offset < windowStart || offset + UInt64(count) > windowStart + UInt64(window.count) {
            let wanted = Int(min(UInt64(max(count, Self.size)), file.size - offset))
            window = try file.readExactly(at: offset, count: wanted)
            windowStart = offset
        }
        let from = Int(offset - windowStart)
        return window.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[from..<(from + count)])) }
    }

    /// `count` bytes at `offset`, which the file must hold: through the window when they fit in it.
    mutating func read(at offset: UInt64, count: Int) throws(LSMError) -> [UInt8] {
        if count > Self.size { return try file.readExactly(at: offset, count: count) }
        return try withBytes(at: offset, count: count) { Array($0) }
    }
}
