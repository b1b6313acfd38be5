/// How tables are laid out when written.
struct TableOptions: Sendable {
    /// A data block is cut once its contents reach this many bytes.
    var blockSize = 4096
    /// Entries between restart points in data blocks (index blocks always use 1).
    var restartInterval = 16
    /// Bloom filter bits per user key; 0 (or less) writes no filter.
    var bloomBitsPerKey = 10
    /// How data blocks are stored (index, filter and properties blocks are always raw).
    var compression = Compression.none
}
