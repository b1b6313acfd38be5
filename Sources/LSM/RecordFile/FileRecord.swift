/// One record read back from a record file (a write-ahead log or a manifest).
struct FileRecord: Equatable {
    /// Where the record's header starts in the file.
    var offset: UInt64
    var payload: [UInt8]
}
