/// Whose table a file is: the database that wrote it and the file number it was written as. A table whose identity
/// differs from what the manifest expects was copied or renamed from elsewhere.
struct TableIdentity: Sendable, Hashable {
    var databaseID: DatabaseID
    var fileNumber: UInt64

    /// What is wrong when this table is expected to be file `fileNumber` of database `databaseID` (any database when
    /// nil), or nil when it is.
    func mismatch(databaseID expectedDatabase: DatabaseID?, fileNumber expectedNumber: UInt64) -> String? {
        if let expectedDatabase, databaseID != expectedDatabase {
            return "table belongs to database \(databaseID), but the manifest to \(expectedDatabase): one of them "
                + "was copied in from another database"
        }
        if fileNumber != expectedNumber {
            return "table was written as file \(fileNumber), not \(expectedNumber): it was renamed or copied"
        }
        return nil
    }
}
