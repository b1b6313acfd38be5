import LSM

/// Reads a stress database back for the checks after a load run and after each kill of a crash cycle: every key
/// of the key space by point read, then every entry by one full scan, which must list keys of the key space in
/// order.
enum StressReread {
    /// Reopens the database in `directory` with its clock stopped at `time`, so that every read judges expiry at
    /// that one moment, and shows `read` each key's value (nil when absent) and expiry (nil when it has none), in
    /// key order, then `scanned` each entry of a full scan with its expiry. Returns the first failure either of
    /// them or the engine gives (nil when none did), and the database's statistics at the end of a reread that
    /// passed.
    static func run(
        _ config: StressConfiguration, directory: String, time: Timestamp,
        read: (_ key: Int, _ value: [UInt8]?, _ expiry: Timestamp?) -> StressFailure?,
        scanned: (_ key: Int, _ value: [UInt8], _ expiry: Timestamp?) -> StressFailure?
    ) -> Result<Statistics?, StressFailure> {
        var options = config.databaseOptions
        options.clock = WallClock(name: "stopped") { time }
        let database: Database
        do {
            database = try Database.open(directory, options: options)
        } catch {
            return .failure(StressFailure("reopening the database failed: \(error)"))
        }
        defer { try? database.close() }
        for key in 0..<config.keys {
            let found: (value: [UInt8], expiresAt: Timestamp?)?
            do {
                found = try database.getWithExpiry(StressData.key(key))
            } catch {
                return .failure(StressFailure("read after reopen: get \(StressData.keyText(key)) failed: \(error)"))
            }
            if let failure = read(key, found?.value, found?.expiresAt) { return .failure(failure) }
        }
        do {
            let cursor = try database.cursor()
            var previous = -1
            while let entry = try cursor.next() {
                guard let key = StressData.keyIndex(entry.key), key > previous, key < config.keys else {
                    return .failure(
                        StressFailure("scan after reopen: unexpected or out-of-order key \(Quoting.format(entry.key))"))
                }
                if let failure = scanned(key, entry.value, cursor.expiry) { return .failure(failure) }
                previous = key
            }
        } catch {
            return .failure(StressFailure("scan after reopen failed: \(error)"))
        }
        return .success(try? database.statistics())
    }
}
