/// Whose table a file is: the database that wrote it and the file number it was written as. A table whose identity
/// differs from what the manifest expects was copied or renamed from elsewhere.
struct TableIdentity: Sendable, Hashable {
    var databaseID: DatabaseID
    var fileNumber: UInt64
}
