import LSM

/// A line of `lsm cli` that could not be carried out; printed as `(error) message` and the session goes on.
struct CLIError: Error, Equatable {
    var message: String
}

/// One command of `lsm cli`, parsed from the words of a line but not yet run.
///
/// Parsing is kept apart from running so that a malformed line (say a `batch` with a bad operation at its end)
/// is refused whole before anything reaches the database.
enum CLIRequest: Equatable {
    /// `expiresAfter`: milliseconds from now until the value expires, or nil for a value that does not.
    case put(key: [UInt8], value: [UInt8], expiresAfter: Int64?)
    case get(key: [UInt8])
    case delete(key: [UInt8])
    case deleteRange(start: [UInt8], end: [UInt8])
    case ttl(key: [UInt8])
    case persist(key: [UInt8])
    case scan(CLIScanRange)
    case batch(WriteBatch)
    case flush
    case compact
    case stats
    case help
    case quit

    /// A command's name, its arguments and what it does, for `help` and for wrong-argument errors.
    struct Usage {
        var names: [String]
        var arguments: String
        var summary: String

        var synopsis: String { arguments.isEmpty ? names[0] : "\(names[0]) \(arguments)" }
    }

    static let usages: [Usage] = [
        Usage(names: ["put"], arguments: "KEY VALUE [ex SECONDS | px MILLISECONDS]",
              summary: "set KEY to VALUE, expiring after the time given"),
        Usage(names: ["get"], arguments: "KEY", summary: "print the value of KEY, or (nil)"),
        Usage(names: ["delete", "del"], arguments: "KEY", summary: "remove KEY"),
        Usage(names: ["delrange"], arguments: "START END",
              summary: "remove every key from START (inclusive) to END (exclusive)"),
        Usage(names: ["ttl"], arguments: "KEY",
              summary: "print the seconds until KEY expires: -1 if it does not, -2 if it is absent"),
        Usage(names: ["persist"], arguments: "KEY", summary: "make KEY not expire; print 1, or 0 if it had no expiry"),
        Usage(names: ["scan"], arguments: "[START [END]] [limit N]",
              summary: "print KEY VALUE for keys from START (inclusive) to END (exclusive)"),
        Usage(names: ["rscan"], arguments: "[START [END]] [limit N]", summary: "the same, last key first"),
        Usage(names: ["batch"], arguments: "put K V | delete K ...", summary: "apply the operations atomically"),
        Usage(names: ["flush"], arguments: "", summary: "write the memtable to a table file"),
        Usage(names: ["compact"], arguments: "", summary: "compact the whole key range"),
        Usage(names: ["stats"], arguments: "",
              summary: "print the shape of the tree, activity counters and estimated live keys"),
        Usage(names: ["help"], arguments: "", summary: "print this list"),
        Usage(names: ["quit", "exit"], arguments: "", summary: "close the database and leave"),
    ]

    /// Parses the words of a line (the first is the command, in any case).
    static func parse(_ words: [[UInt8]]) throws(CLIError) -> CLIRequest {
        guard let first = words.first else { throw CLIError(message: "empty command") }
        let name = String(decoding: first, as: UTF8.self).lowercased()
        let arguments = Array(words.dropFirst())
        guard let usage = usages.first(where: { $0.names.contains(name) }) else {
            throw CLIError(message: "unknown command \(Quoting.excerpt(first)) (type help for the list)")
        }
        func expect(_ count: Int) throws(CLIError) {
            if arguments.count != count { throw wrongArguments(usage) }
        }
        switch usage.names[0] {
        case "put":
            guard arguments.count == 2 || arguments.count == 4 else { throw wrongArguments(usage) }
            let expiry = arguments.count == 4 ? try parseExpiry(unit: arguments[2], amount: arguments[3]) : nil
            return .put(key: arguments[0], value: arguments[1], expiresAfter: expiry)
        case "get":
            try expect(1)
            return .get(key: arguments[0])
        case "delrange":
            try expect(2)
            return .deleteRange(start: arguments[0], end: arguments[1])
        case "ttl":
            try expect(1)
            return .ttl(key: arguments[0])
        case "persist":
            try expect(1)
            return .persist(key: arguments[0])
        case "delete":
            try expect(1)
            return .delete(key: arguments[0])
        case "scan", "rscan":
            return .scan(try CLIScanRange(arguments, reverse: usage.names[0] == "rscan", usage: usage))
        case "batch":
            guard !arguments.isEmpty else { throw wrongArguments(usage) }
            return .batch(try parseBatch(arguments))
        case "flush":
            try expect(0)
            return .flush
        case "compact":
            try expect(0)
            return .compact
        case "stats":
            try expect(0)
            return .stats
        case "help":
            try expect(0)
            return .help
        default:  // quit, exit
            try expect(0)
            return .quit
        }
    }

    /// `ex SECONDS` or `px MILLISECONDS` (the unit in any case) as milliseconds; like Redis's `SET`, the amount
    /// must be a positive integer.
    private static func parseExpiry(unit: [UInt8], amount: [UInt8]) throws(CLIError) -> Int64 {
        let scale: Int64
        switch String(decoding: unit, as: UTF8.self).lowercased() {
        case "ex": scale = 1000
        case "px": scale = 1
        default: throw CLIError(message: "put: expected ex SECONDS or px MILLISECONDS, got \(Quoting.excerpt(unit))")
        }
        guard let value = Int64(String(decoding: amount, as: UTF8.self)) else {
            throw CLIError(message: "put: the expire time \(Quoting.excerpt(amount)) is not an integer or out of range")
        }
        let (milliseconds, overflow) = value.multipliedReportingOverflow(by: scale)
        guard value > 0, !overflow else {
            throw CLIError(message: "put: invalid expire time \(value) (it must be positive and fit 64 bits in "
                                    + "milliseconds)")
        }
        return milliseconds
    }

    static func wrongArguments(_ usage: Usage) -> CLIError {
        CLIError(message: "wrong number of arguments for '\(usage.names[0])' (usage: \(usage.synopsis))")
    }

    /// The operations after `batch`: `put K V` and `delete K` (or `del K`) in any number and order.
    private static func parseBatch(_ words: [[UInt8]]) throws(CLIError) -> WriteBatch {
        var batch = WriteBatch()
        var i = 0
        while i < words.count {
            let operation = String(decoding: words[i], as: UTF8.self).lowercased()
            switch operation {
            case "put":
                guard i + 2 < words.count else {
                    throw CLIError(message: "batch: 'put' needs KEY VALUE (operation \(batch.count + 1))")
                }
                batch.put(words[i + 1], words[i + 2])
                i += 3
            case "delete", "del":
                guard i + 1 < words.count else {
                    throw CLIError(message: "batch: 'delete' needs KEY (operation \(batch.count + 1))")
                }
                batch.delete(words[i + 1])
                i += 2
            default:
                throw CLIError(
                    message: "batch: expected put or delete, got \(Quoting.excerpt(words[i])) "
                        + "(operation \(batch.count + 1))")
            }
        }
        return batch
    }
}

/// The arguments of `scan` and `rscan`: optional bounds and an optional `limit N` at the end.
struct CLIScanRange: Equatable {
    /// The first key to show (inclusive), or nil for the start of the database.
    var start: [UInt8]?
    /// The key where the range stops (exclusive), or nil for the end of the database.
    var end: [UInt8]?
    /// The most entries to print, or nil for all.
    var limit: Int?
    /// Whether keys come last first.
    var reverse: Bool
}

extension CLIScanRange {
    /// Parses `[START [END]] [limit N]`; `limit` is recognised only as the next-to-last word, so a key named
    /// `limit` can still be given as a bound.
    init(_ words: [[UInt8]], reverse: Bool, usage: CLIRequest.Usage) throws(CLIError) {
        var bounds = words
        if bounds.count >= 2, String(decoding: bounds[bounds.count - 2], as: UTF8.self).lowercased() == "limit" {
            let text = String(decoding: bounds[bounds.count - 1], as: UTF8.self)
            guard let limit = Int(text), limit >= 0 else {
                throw CLIError(
                    message: "limit must be a non-negative integer, got \(Quoting.excerpt(bounds[bounds.count - 1]))")
            }
            self.limit = limit
            bounds.removeLast(2)
        } else {
            self.limit = nil
        }
        guard bounds.count <= 2 else { throw CLIRequest.wrongArguments(usage) }
        start = bounds.first
        end = bounds.count == 2 ? bounds[1] : nil
        self.reverse = reverse
    }
}
