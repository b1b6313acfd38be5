import LSM

/// Reads a stress database back for the checks after a load run and after each kill of a crash cycle: every key
/// of the key space by point read, then every entry by one full scan, which must list keys of the key space in
/// order.
enum StressReread {
    /// Reopens the database in `directory` and shows `read` each key's value (nil when absent), in key order,
    /// then `scanned` each entry of a full scan. Returns the first failure either of them or the engine gives
    /// (nil when none did), and the database's statistics at the end of a reread that passed.
    static func run(
        _ config: StressConfiguration, directory: String,
        read: (_ key: Int, _ value: [UInt8]?) -> StressFailure?,
        scanned: (_ key: Int, _ value: [UInt8]) -> StressFailure?
    ) -> Result<Statistics?, StressFailure> {
        let database: Database
        do {
            database = try Database.open(directory, options: config.databaseOptions)
        } catch {
            return .failure(StressFailure("reopening the database failed: \(error)"))
        }
        defer { try? database.close() }
        for key in 0..<config.keys {
            let value: [UInt8]?
            do {
                value = try database.get(StressData.key(key))
            } catch {
                return .failure(StressFailure("read after reopen: get \(StressData.keyText(key)) failed: \(error)"))
            }
            if let failure = read(key, value) { return .failure(failure) }
        }
        do {
            let cursor = try database.cursor()
            var previous = -1
            while let entry = try cursor.next() {
                guard let key = StressData.keyIndex(entry.key), key > previous, key < config.keys else {
                    return .failure(
                        StressFailure("scan after reopen: unexpected or out-of-order key \(Quoting.format(entry.key))"))
                }
                if let failure = scanned(key, entry.value) { return .failure(failure) }
                previous = key
            }
        } catch {
            return .failure(StressFailure("scan after reopen failed: \(error)"))
        }
        return .success(try? database.statistics())
    }
}
