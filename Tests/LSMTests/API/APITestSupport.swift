@testable import LSM

/// Opens a database in a fresh temporary directory, runs `body`, then closes it and removes the directory.
func withTemporaryDatabase<R>(
    _ name: String, options: Options = Options(), _ body: (Database) throws -> R
) throws -> R {
    let dir = TemporaryDirectory(name)
    defer { dir.remove() }
    let db = try Database.open(dir.path, options: options)
    let result = try body(db)
    try db.close()
    return result
}

/// The entries as "key=value" strings, for comparing with what was written.
func describe(_ entries: [(key: [UInt8], value: [UInt8])]) -> [String] {
    entries.map { String(decoding: $0.key, as: UTF8.self) + "=" + String(decoding: $0.value, as: UTF8.self) }
}
