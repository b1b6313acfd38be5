import LSM

/// The writer a crash-cycle parent runs (`lsm stress --child-writer`) and kills.
///
/// It prints `opening`, opens the database, prints `ready`, then forever puts random keys with increasing
/// versions, each with `sync: true`, and after each put returns prints `ack KEY VERSION` on standard output.
/// Every line is one `write(2)` to the pipe (a line is far shorter than a pipe writes at once), so the parent sees
/// exactly the acknowledgements made before the kill. If the parent goes away the next write fails and the writer
/// stops.
///
/// With ``StressConfiguration/expiryPercent``, that share of the puts expire, 1 ms to
/// ``longestExpiryMilliseconds`` after they are made by the system clock. Such a put is announced before it is
/// made, as `expiring KEY VERSION EXPIRY` (the expiry in milliseconds since the Unix epoch), so the parent knows the
/// expiry of every write that may have landed, the one the kill cut short included.
///
/// With ``StressConfiguration/rangeDeletePercent``, that share of the writes are range deletions instead of puts:
/// from a random key over 1 to ``longestRange`` keys (not past the key space), announced before they are made as
/// `deleting START END VERSION` (keys `START ..< END`) and acknowledged as `ack START VERSION`, so the parent knows
/// the keys of a range deletion the kill cut short, which may have applied to all of them or to none.
struct StressChildWriter {
    /// The longest an expiring value lives, in milliseconds.
    static let longestExpiryMilliseconds: UInt64 = 3000
    /// The most keys a range deletion covers.
    static let longestRange: UInt64 = 16

    let config: StressConfiguration
    let directory: String
    let firstVersion: UInt64
    let out: OutputSink
    let err: OutputSink

    func run() -> Int32 {
        guard say("opening") else { return 1 }
        let database: Database
        do {
            database = try Database.open(directory, options: config.databaseOptions)
        } catch {
            err.line("lsm stress: child writer: cannot open the database: \(error)")
            return 1
        }
        guard say("ready") else { return 1 }
        var random = SplitMix64(seed: config.seed)
        var version = firstVersion
        while true {
            let key = Int(random.next() % UInt64(config.keys))
            let keyBytes = StressData.key(key)
            let value = StressData.value(key: key, version: version, size: config.valueSize)
            var operation = "put \(StressData.keyText(key))"
            do {
                if config.rangeDeletePercent > 0, Int(random.next() % 100) < config.rangeDeletePercent {
                    let end = min(config.keys, key + 1 + Int(random.next() % Self.longestRange))
                    operation = "delete range \(StressData.keyText(key)) to \(StressData.keyText(end))"
                    guard say("deleting \(key) \(end) \(version)") else { return 1 }
                    try database.deleteRange(from: keyBytes, to: StressData.key(end), sync: true)
                } else if config.expiryPercent > 0, Int(random.next() % 100) < config.expiryPercent {
                    let delay = Duration.milliseconds(1 + random.next() % Self.longestExpiryMilliseconds)
                    let expiry = WallClock.system.now().advanced(by: delay)
                    guard say("expiring \(key) \(version) \(expiry.millisecondsSinceEpoch)") else { return 1 }
                    try database.put(keyBytes, value, expiresAt: expiry, sync: true)
                } else {
                    try database.put(keyBytes, value, sync: true)
                }
            } catch {
                err.line("lsm stress: child writer: \(operation) failed: \(error.conciseDescription)")
                return 1
            }
            guard say("ack \(key) \(version)") else { return 1 }
            version += 1
        }
    }

    /// Writes one line to the parent; false when it is gone.
    private func say(_ line: String) -> Bool {
        out.line(line)
        return !out.hasFailed
    }
}
