// Micro-benchmarks of the engine's hot paths, through the public API of `LSM` only.
//
// Keys are 16 ASCII digits (the key number zero padded, as `lsm bench` makes them) and values 100 bytes, so the
// numbers line up with the db_bench workloads. Every benchmark works in a database of its own, made under /tmp by
// its setup and removed by its teardown, and checks what it reads, so that a wrong answer fails the run instead
// of being timed.
//
//     cd Benchmarks && swift package --disable-sandbox benchmark

import Benchmark
import LSM

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let benchmarks: @Sendable () -> Void = {
    // On Linux the package samples CPU time in clock ticks (10 ms), so `.cpuTotal` reads 0 or 10 ms per iteration
    // here; wall clock, throughput and the allocation counts are the numbers to compare.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )

    // 1. put: 1,000 puts per iteration of fresh, ascending keys into a database that starts empty; memtable
    // flushes and compactions run in the background as they would under a real load.
    let putFixture = Fixture()
    Benchmark(
        "put 16B key 100B value",
        configuration: .init(scalingFactor: .kilo, maxIterations: 2_000)
    ) { benchmark in
        let db = putFixture.db
        for _ in benchmark.scaledIterations {
            putFixture.nextPutKey.increment()
            try db.put(putFixture.nextPutKey.bytes, putFixture.value, sync: false)
        }
        benchmark.stopMeasurement()
        // The last key written must read back.
        let stored = try db.get(putFixture.nextPutKey.bytes)
        precondition(stored == putFixture.value, "put: the last key written does not read back")
    } setup: {
        try putFixture.setUp(filledWith: 0)
    } teardown: {
        try putFixture.tearDown()
    }

    // 2. and 3. Point reads from a database of `Shape.entryCount` entries (the even key numbers), flushed to tables.
    let hitFixture = Fixture()
    Benchmark(
        "get existing key",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let db = hitFixture.db
        let keys = hitFixture.presentKeys
        var index = hitFixture.cursorIndex
        for _ in benchmark.scaledIterations {
            let key = keys[index & Shape.lookupKeyMask]
            index &+= 1
            guard let value = try db.get(key) else { preconditionFailure("get: a stored key was not found") }
            precondition(value.count == Shape.valueLength && value.starts(with: key), "get: wrong value")
            blackHole(value)
        }
        hitFixture.cursorIndex = index
    } setup: {
        try hitFixture.setUp(filledWith: Shape.entryCount)
    } teardown: {
        try hitFixture.tearDown()
    }

    let missFixture = Fixture()
    Benchmark(
        "get missing key",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let db = missFixture.db
        let keys = missFixture.missingKeys
        var index = missFixture.cursorIndex
        for _ in benchmark.scaledIterations {
            let key = keys[index & Shape.lookupKeyMask]
            index &+= 1
            let value = try db.get(key)
            precondition(value == nil, "get: a key never written was found")
        }
        missFixture.cursorIndex = index
    } setup: {
        try missFixture.setUp(filledWith: Shape.entryCount)
    } teardown: {
        try missFixture.tearDown()
    }

    // 4. A full forward scan: a new cursor over the whole database, every entry lent by `next(borrowing:)`.
    let scanFixture = Fixture()
    Benchmark(
        "cursor scan 100k entries",
        configuration: .init(maxIterations: 1_000)
    ) { benchmark in
        let cursor = try scanFixture.db.cursor()
        var count = 0
        var valueBytes = 0
        var lastFirstDigit: UInt8 = 0
        while try cursor.next(borrowing: { key, value in
            count += 1
            valueBytes += value.count
            lastFirstDigit = key[0]
        }) {}
        precondition(count == Shape.entryCount, "scan: saw \(count) entries, expected \(Shape.entryCount)")
        precondition(valueBytes == Shape.entryCount * Shape.valueLength, "scan: wrong value sizes")
        blackHole(lastFirstDigit)
    } setup: {
        try scanFixture.setUp(filledWith: Shape.entryCount)
    } teardown: {
        try scanFixture.tearDown()
    }

    // 5. A seek to a stored key and the 10 entries from it, 1,000 times per iteration on one cursor.
    let seekFixture = Fixture()
    Benchmark(
        "seek + 10 next",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let cursor = try seekFixture.db.cursor()
        let keys = seekFixture.presentKeys
        var index = seekFixture.cursorIndex
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let key = keys[index & Shape.lookupKeyMask]
            index &+= 1
            cursor.seek(to: key)
            var firstMatches = false
            var count = 0
            while count < 10, try cursor.next(borrowing: { found, value in
                if count == 0 { firstMatches = found.elementsEqual(key) }
                blackHole(value.count)
            }) {
                count += 1
            }
            // Lookup keys stay below the largest stored key number minus 20, so 10 entries always follow.
            precondition(firstMatches && count == 10, "seek: did not land on the stored key or ran short")
        }
        seekFixture.cursorIndex = index
    } setup: {
        try seekFixture.setUp(filledWith: Shape.entryCount)
    } teardown: {
        try seekFixture.tearDown()
    }
}

// MARK: - Data

enum Shape {
    static let keyLength = 16
    static let valueLength = 100
    /// Entries in the databases the reads use: key numbers 0, 2, 4, ..., so that odd numbers are absent but fall
    /// inside the tables' key ranges (a miss then has to be answered by the bloom filters, not by the key range).
    static let entryCount = 100_000
    /// How many precomputed lookup keys the read benchmarks cycle through (a power of two).
    static let lookupKeyCount = 1 << 14
    static let lookupKeyMask = lookupKeyCount - 1
}

/// A key: the key number as 16 zero-padded ASCII digits.
struct DecimalKey {
    private(set) var bytes: [UInt8]

    init(_ number: Int) {
        precondition(number >= 0)
        bytes = [UInt8](repeating: UInt8(ascii: "0"), count: Shape.keyLength)
        var rest = number
        var index = Shape.keyLength - 1
        while rest > 0 {
            precondition(index >= 0, "key number \(number) does not fit in \(Shape.keyLength) digits")
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
    }

    /// Adds one to the key number in place (no allocation, unlike making a new key).
    mutating func increment() {
        var index = Shape.keyLength - 1
        while index >= 0 {
            if bytes[index] == UInt8(ascii: "9") {
                bytes[index] = UInt8(ascii: "0")
                index -= 1
            } else {
                bytes[index] += 1
                return
            }
        }
        preconditionFailure("key number overflowed \(Shape.keyLength) digits")
    }
}

/// The value stored under `key`: the key's 16 digits, then 84 bytes of a fixed pattern, 100 bytes in all.
func makeValue(for key: [UInt8]) -> [UInt8] {
    var value = key
    value.reserveCapacity(Shape.valueLength)
    while value.count < Shape.valueLength { value.append(UInt8(truncatingIfNeeded: value.count &* 31 &+ 7)) }
    return value
}

/// `count` lookup key numbers below `limit`, in a scattered order (so reads do not walk the tables in key order).
func scatteredNumbers(count: Int, below limit: Int) -> [Int] {
    (0..<count).map { ($0 &* 40_503 &+ 12_345) % limit }
}

/// One benchmark's database and the data its loop reads, made by its setup and removed by its teardown.
/// Unchecked: the benchmark runner calls setup, the iterations and teardown one after another, never at once.
final class Fixture: @unchecked Sendable {
    private var directory: String?
    private var database: Database?
    var db: Database {
        guard let database else { preconditionFailure("the benchmark's setup did not open a database") }
        return database
    }
    /// Stored keys, in a scattered order, below the largest stored key number minus 20.
    private(set) var presentKeys: [[UInt8]] = []
    /// Keys between stored ones (odd key numbers), in a scattered order.
    private(set) var missingKeys: [[UInt8]] = []
    /// The value every put writes.
    let value = makeValue(for: DecimalKey(0).bytes)
    /// The last key the put benchmark wrote; its next key follows it.
    var nextPutKey = DecimalKey(0)
    /// Where the next iteration resumes in the lookup keys.
    var cursorIndex = 0

    /// Makes the directory and the database, and stores `count` entries (key numbers 0, 2, 4, ...), flushed to
    /// tables and compacted so that no background work is left to run during the measurement.
    func setUp(filledWith count: Int) throws {
        let directory = makeTemporaryDirectory()
        self.directory = directory
        let db = try Database.open(directory + "/db", options: Options())
        database = db
        nextPutKey = DecimalKey(0)
        cursorIndex = 0
        guard count > 0 else { return }
        for number in 0..<count {
            let key = DecimalKey(2 * number).bytes
            try db.put(key, makeValue(for: key), sync: false)
        }
        try db.flush()
        try db.compact()
        let storedBelow = count - 20
        presentKeys = scatteredNumbers(count: Shape.lookupKeyCount, below: storedBelow).map { DecimalKey(2 * $0).bytes }
        missingKeys = scatteredNumbers(count: Shape.lookupKeyCount, below: count).map { DecimalKey(2 * $0 + 1).bytes }
    }

    func tearDown() throws {
        defer {
            if let directory { removeTree(directory) }
            directory = nil
            database = nil
            presentKeys = []
            missingKeys = []
        }
        try database?.close()
    }
}

// MARK: - Temporary directories (Glibc, no Foundation)

/// A new, empty directory under /tmp.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/lsm-bench-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer in
        guard let made = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed: errno \(errno)") }
        return String(cString: made)
    }
}

/// Removes `path` and, if it is a directory, everything under it (without following symbolic links).
func removeTree(_ path: String) {
    if unlink(path) == 0 { return }
    guard errno == EISDIR || errno == EPERM else { return }
    var names: [String] = []
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
    }
    for name in names { removeTree(path + "/" + name) }
    rmdir(path)
}
