import LSM

/// What the generic key commands need beyond reading and writing one key: walking keys without copying their
/// values, and finding a random key.
extension Keyspace {
    /// Calls `body` with each live key of database `db` from `start` on (the first key >= `start`; empty: from the
    /// first key), in bytewise order, with its type, until `body` returns false.
    ///
    /// The key's bytes are lent for the call only, and values are never copied, so that KEYS and SCAN pay for the
    /// keys they return rather than for every value they pass.
    func forEachKeyType(
        db: Int, from start: [UInt8],
        _ body: (_ key: Slice<UnsafeRawBufferPointer>, _ type: KeyType) throws(CommandError) -> Bool
    ) throws(CommandError) {
        var failure: CommandError?
        var goesOn = true
        do {
            let cursor = try database.cursor(from: KeyEncoding.metadataKey(db: db, start),
                                             to: KeyEncoding.metadataRange(db: db).end)
            while goesOn, try cursor.next(borrowing: { engineKey, value in
                guard let first = value.first, let type = KeyType(rawValue: first) else {
                    failure = CommandError.damagedRecord
                    goesOn = false
                    return
                }
                do throws(CommandError) {
                    goesOn = try body(engineKey.dropFirst(2), type)
                } catch {
                    failure = error
                    goesOn = false
                }
            }) {}
        } catch {
            throw CommandError(error)
        }
        if let failure { throw failure }
    }

    /// A random live key of database `db`, nil when it has none.
    ///
    /// Keys are not counted, so the choice descends the key space by seeks instead of scanning it: the keys still
    /// possible share a prefix; their branches are the distinct bytes that follow it (listed by one seek each), and
    /// the prefix itself may be a key too. One of these is picked at random, and the descent repeats inside the
    /// branch picked until one key is left. Every key can come out, whatever gaps lie between keys, though not with
    /// equal chances: a key's chance is the product of 1/(choices) at each branching point above it. Redis's own
    /// choice is not uniform either.
    func randomKey(db: Int) throws(CommandError) -> [UInt8]? {
        let range = KeyEncoding.metadataRange(db: db)
        do {
            // Both cursors read one snapshot, so that each finds what the other found.
            let snapshot = try database.snapshot()
            let forward = try database.cursor(from: range.start, to: range.end, snapshot: snapshot)
            let backward = try database.cursor(from: range.start, to: range.end, reverse: true, snapshot: snapshot)
            // Engine keys throughout: their first two bytes (namespace and database) are shared by all.
            guard var smallest = try Self.firstKey(forward, seekingTo: range.start),
                  var largest = try Self.firstKey(backward, seekingTo: range.end)
            else { return nil }
            for _ in 0..<Self.randomKeyDescentLimit where smallest != largest {
                let shared = zip(smallest, largest).prefix { $0 == $1 }.count
                let prefix = Array(smallest[..<shared])
                // The byte after the prefix of each branch, in order: each seek passes the previous branch.
                var branches: [Int] = []
                var next = shared < smallest.count ? Int(smallest[shared]) : 0
                while next <= 0xFF, let first = try Self.firstKey(forward, seekingTo: prefix + [UInt8(next)]),
                      first.starts(with: prefix) {
                    branches.append(Int(first[shared]))
                    next = Int(first[shared]) + 1
                }
                // −1 stands for the prefix itself, when it is a key (then it is the smallest).
                let choices = (smallest.count == shared ? [-1] : []) + branches
                guard let choice = choices.randomElement(), choice >= 0 else { break }
                let branch = prefix + [UInt8(choice)]
                guard let first = try Self.firstKey(forward, seekingTo: branch),
                      let last = try Self.lastKey(backward, startingWith: branch)
                else { break }
                smallest = first
                largest = last
            }
            return Array(smallest.dropFirst(2))
        } catch {
            throw CommandError(error)
        }
    }

    /// How many branching points RANDOMKEY descends at most (each costs a seek per branch and three more, at
    /// most 260); past it, the smallest key left is taken.
    private static let randomKeyDescentLimit = 32

    /// The engine key `cursor` gives first once sought to `key`: going forward, the first at or after it; in
    /// reverse, the last at or before it.
    private static func firstKey(_ cursor: Cursor, seekingTo key: [UInt8]) throws(LSMError) -> [UInt8]? {
        cursor.seek(to: key)
        var found: [UInt8]?
        _ = try cursor.next { engineKey, _ in found = Array(engineKey) }
        return found
    }

    /// The largest engine key starting with `prefix`, read with the reverse `cursor`; nil when none does.
    private static func lastKey(_ cursor: Cursor, startingWith prefix: [UInt8]) throws(LSMError) -> [UInt8]? {
        // The smallest key above every key starting with `prefix`: drop trailing 0xFF bytes, add one to the last.
        // The prefix starts with the namespace byte, which is not 0xFF, so one byte is always left.
        var bound = prefix
        while bound.last == 0xFF { bound.removeLast() }
        bound[bound.count - 1] += 1
        // The reverse cursor stops at or before `bound`; `bound` itself, if it is a key, is past the prefix.
        cursor.seek(to: bound)
        var found: [UInt8]?
        repeat {
            found = nil
            _ = try cursor.next { engineKey, _ in found = Array(engineKey) }
        } while found == bound
        guard let found, found.starts(with: prefix) else { return nil }
        return found
    }
}
