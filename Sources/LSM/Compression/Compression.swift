/// How the data blocks of the tables a database writes (by flushes and compactions) are compressed.
///
/// Tables written with either setting, and tables that mix compressed and raw blocks, are read the same way: each
/// block on disk says how it is stored, so the setting can change from one open to the next. The bytes:
/// docs/FORMAT.md, "Block on disk".
public enum Compression: String, Sendable, Hashable, CaseIterable {
    /// Blocks are stored as they are.
    case none
    /// Each data block is compressed with LZ4 (its block format, readable by any LZ4 implementation) and stored
    /// compressed when that saves at least an eighth of its size; blocks that do not shrink that much stay raw.
    case lz4
}
