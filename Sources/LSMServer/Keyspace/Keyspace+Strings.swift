import LSM

extension Keyspace {
    /// The records of `keys` in database `db` (nil for a key that does not exist or has expired), all as of one
    /// moment: through one engine snapshot when there are several, so that a write batch another client applies
    /// meanwhile (an MSET) is seen whole or not at all.
    func records(db: Int, _ keys: [[UInt8]]) throws(CommandError) -> [KeyRecord?] {
        guard keys.count > 1 else {
            return try keys.map { (key) throws(CommandError) in try record(db: db, key) }
        }
        let snapshot: Snapshot
        do {
            snapshot = try database.snapshot()
        } catch {
            throw CommandError(error)
        }
        defer { snapshot.release() }
        return try keys.map { (key) throws(CommandError) in try record(db: db, key, snapshot: snapshot) }
    }

}
