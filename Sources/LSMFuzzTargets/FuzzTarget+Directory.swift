import LSM

extension FuzzTarget {
    func runDirectory(_ input: UnsafeRawBufferPointer, _ scratch: FuzzScratch) -> Bool {
        // Each run starts from an empty directory: a recovery that succeeds writes files of its own.
        scratch.clear()
        do {
            try FuzzDirectory(decoding: input).write(into: scratch.path)
        } catch {
            fatalError("cannot write the scratch directory: \(error)")
        }
        _ = try? Database.info(at: scratch.path)
        let report = try? Database.check(at: scratch.path)
        let before = Self.snapshot(scratch)
        var options = Options()
        options.createIfMissing = false
        var accepted = false
        var readsSucceeded = false
        do {
            (readsSucceeded, accepted) = Self.exercise(try Database.open(scratch.path, options: options))
        } catch {
            let after = Self.snapshot(scratch)
            guard after == before else {
                let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
                fatalError("a failed open (\(error)) changed the directory: \(changed.joined(separator: ", "))")
            }
        }
        // check fails whenever an open refuses or a read finds damage; it may find more (it verifies every block).
        if let report, report.isClean, !readsSucceeded {
            fatalError("check found no problem, but the open or a read of the database failed")
        }
        return accepted
    }

    /// Scans `db` forward and in reverse, reads a few keys the scan saw and some it did not, writes a key, flushes
    /// and closes; returns whether every read and whether every step succeeded. A step that fails does not stop
    /// the later ones.
    private static func exercise(_ db: Database) -> (readsSucceeded: Bool, allSucceeded: Bool) {
        var succeeded = true
        func step(_ body: () throws -> Void) {
            do { try body() } catch { succeeded = false }
        }
        var keys: [[UInt8]] = []
        step {
            let cursor = try db.cursor()
            while let (key, _) = try cursor.next() { keys.append(key) }
        }
        step {
            let cursor = try db.cursor(reverse: true)
            while try cursor.next() != nil {}
        }
        // Every quarter of the scan, its last key, the key just after each (usually absent) and the empty key.
        let seen = stride(from: 0, to: keys.count, by: max(1, keys.count / 4)).map { keys[$0] } + keys.suffix(1)
        for key in seen + seen.map({ $0 + [0] }) + [[]] {
            step { _ = try db.get(key) }
        }
        let readsSucceeded = succeeded
        step {
            try db.put(Array("fuzz".utf8), Array("written after recovery".utf8))
            try db.flush()
        }
        step { try db.close() }
        return (readsSucceeded, succeeded)
    }

    /// The directory's files and contents, or a trap when it cannot be read (the machine's fault, not the input's).
    private static func snapshot(_ scratch: FuzzScratch) -> [String: [UInt8]] {
        do {
            return try FuzzDirectory.contents(of: scratch.path)
        } catch {
            fatalError("cannot read the scratch directory: \(error)")
        }
    }
}
