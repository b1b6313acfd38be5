#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Testing
@testable import LSM

/// Two openers of a new directory at once. Each looks at the directory before it takes the lock, so both may see
/// no database there; the one that takes the lock second must find the database the first created (and never create
/// another over it), or, while the first still has it open, get `.databaseLocked` and change nothing.
///
/// Opener A pauses in `OpenHooks.beforeLock` (after its first look, before the lock) while opener B runs; every wait
/// is bounded, so a lost wake-up fails the test instead of hanging it.
@Suite struct OpenRaceTests {
    /// A looked and saw no database; B creates one, writes synced data and closes; A goes on: it must open B's
    /// database, see B's writes, and leave them in place through its own writes, its close and a reopen.
    @Test(arguments: [false, true])
    func openerThatLookedFirstOpensTheDatabaseCreatedMeanwhile(directoryExists: Bool) throws {
        try raceWhileAIsPaused("openrace", directoryExists: directoryExists) { path, a, b, writtenByB in
            var written = writtenByB
            try b.close()
            let identity = try Database.info(at: path).databaseID

            a.proceed()
            let outcome = try #require(a.outcome(), "opener A finished within the time limit")
            let db: Database
            switch outcome {
            case .success(let opened): db = opened
            case .failure(let error):
                Issue.record("opener A failed instead of opening the database B created: \(error)")
                return
            }
            #expect(try databaseContents(db) == written, "A sees exactly B's writes (not a new, empty database)")
            for (key, value) in written { #expect(try db.get(key) == value) }
            try db.put(Array("a".utf8), Array("written by A".utf8), sync: true)
            written[Array("a".utf8)] = Array("written by A".utf8)
            try db.close()

            let info = try Database.info(at: path)
            #expect(info.databaseID == identity, "the database keeps B's identity: A did not create another one")
            let reopened = try Database.open(path)
            #expect(try databaseContents(reopened) == written, "B's and A's writes survive A's close and a reopen")
            try reopened.close()
            let report = try Database.check(at: path)
            #expect(report.isClean, "check after the race: \(report.problems)")
        }
    }

    /// A looked and saw no database; B creates one and still has it open when A goes on: A must get
    /// `.databaseLocked` and change no file, and B's data must be whole afterwards.
    @Test(arguments: [false, true])
    func openerThatLookedFirstIsLockedOutWhileTheCreatorHasItOpen(directoryExists: Bool) throws {
        try raceWhileAIsPaused("openrace-locked", directoryExists: directoryExists) { path, a, b, writtenByB in
            var written = writtenByB
            let before = databaseFiles(in: path)

            a.proceed()
            let outcome = try #require(a.outcome(), "opener A finished within the time limit")
            switch outcome {
            case .success(let opened):
                Issue.record("opener A opened a database another opener holds")
                try? opened.close()
            case .failure(let error):
                #expect(error.code == .databaseLocked, "A is locked out: \(error)")
            }
            let after = databaseFiles(in: path)
            #expect(after == before, "A changed files: before \(before.keys.sorted()), after \(after.keys.sorted())")

            // B goes on undisturbed.
            for (key, value) in written { #expect(try b.get(key) == value) }
            try b.put(Array("b-last".utf8), Array("after A failed".utf8), sync: true)
            written[Array("b-last".utf8)] = Array("after A failed".utf8)
            try b.close()
            let reopened = try Database.open(path)
            #expect(try databaseContents(reopened) == written, "B's writes survive")
            try reopened.close()
            #expect(try Database.check(at: path).isClean)
        }
    }

    /// Both openers look, see no database and pause; the first released creates the database, writes and closes;
    /// then the second is released: it must open that database.
    @Test func bothOpenersPausedBeforeTheLock() throws {
        try inNewDatabaseDirectory("openrace-both", directoryExists: false) { path in
            let first = PausedOpener(path: path)
            defer { first.abandon() }
            try #require(first.waitUntilPaused())
            let second = PausedOpener(path: path)
            defer { second.abandon() }
            try #require(second.waitUntilPaused())

            first.proceed()
            let created = try #require(first.outcome()).get()
            try created.put(Array("first".utf8), Array("1".utf8), sync: true)
            try created.close()
            let identity = try Database.info(at: path).databaseID

            second.proceed()
            let opened = try #require(second.outcome()).get()
            #expect(try opened.get(Array("first".utf8)) == Array("1".utf8), "the second opener sees the first's write")
            try opened.put(Array("second".utf8), Array("2".utf8), sync: true)
            try opened.close()
            #expect(try Database.info(at: path).databaseID == identity)
            let reopened = try Database.open(path)
            #expect(try databaseContents(reopened) == [Array("first".utf8): Array("1".utf8),
                                                       Array("second".utf8): Array("2".utf8)])
            try reopened.close()
        }
    }

    /// B takes the lock and starts creating the database; it is stopped after writing its first manifest and before
    /// `CURRENT` exists. A opens the directory meanwhile: B holds the lock, so A must get `.databaseLocked` (not
    /// `.notADatabase` with advice to repair a database that is being created) and change nothing; once B is done,
    /// A opens B's database.
    @Test(arguments: [false, true])
    func openerArrivingWhileTheDatabaseIsBeingCreatedIsLockedOut(directoryExists: Bool) throws {
        try inNewDatabaseDirectory("openrace-creating", directoryExists: directoryExists) { path in
            let gate = GatedFileSystem(holding: FileNames.current + ".tmp")
            gate.hold()
            let creator = Locked<Result<Database, LSMError>?>(nil)
            let created = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                let outcome = Result { () throws(LSMError) in
                    try Database.open(path, options: Options(), fileSystem: gate, hooks: .init())
                }
                creator.withLock { $0 = outcome }
                created.signal()
            }
            var creatorFinished = false
            defer {
                gate.release(failing: false)
                if !creatorFinished, created.wait(timeout: .now() + 10) == .success,
                   case .success(let db)? = creator.withLock({ $0 })
                {
                    try? db.close()
                }
            }
            try #require(gate.waitForArrivals(1), "B reached CURRENT's creation")
            let before = databaseFiles(in: path)
            #expect(before.keys.contains("MANIFEST-000001") && before[FileNames.current] == nil,
                    "B stopped between its first manifest and CURRENT: \(before.keys.sorted())")

            let error = try #require(throws: LSMError.self, "A opened a database another opener holds") {
                try Database.open(path).close()
            }
            #expect(error.code == .databaseLocked, "A, arriving while B creates the database: \(error)")
            #expect(databaseFiles(in: path) == before, "A changed files")

            gate.release(failing: false)
            try #require(created.wait(timeout: .now() + 10) == .success, "B finished creating the database")
            creatorFinished = true
            let b = try #require(creator.withLock { $0 }).get()
            try b.put(Array("b".utf8), Array("written by B".utf8), sync: true)
            try b.close()
            let a = try Database.open(path)
            #expect(try a.get(Array("b".utf8)) == Array("written by B".utf8), "A then opens B's database")
            try a.close()
        }
    }

    /// Without hooks: two threads open the same new directory at once, each retrying while the other holds it,
    /// write one synced key each and close. Every round ends with one database holding both keys.
    @Test func concurrentOpenersOfANewDirectoryShareOneDatabase() throws {
        let parent = TemporaryDirectory("openrace-free")
        defer { parent.remove() }
        let rounds = 40
        var failedRounds: [String: [Int]] = [:]
        var examples: [String: String] = [:]
        for round in 0..<rounds {
            let path = parent.appending("db\(round)")
            let failures = Locked<[LSMError]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { opener in
                let deadline = MonotonicClock.seconds() + 10
                while true {
                    do {
                        let db = try Database.open(path)
                        try db.put(Array("opener-\(opener)".utf8), Array("round \(round)".utf8), sync: true)
                        try db.close()
                        return
                    } catch let error as LSMError where error.code == .databaseLocked && MonotonicClock.seconds() < deadline {
                        usleep(200)
                    } catch {
                        failures.withLock { $0.append(error as! LSMError) }
                        return
                    }
                }
            }
            for error in failures.withLock({ $0 }) {
                let kind = "an opener failed with \(error.code)"
                failedRounds[kind, default: []].append(round)
                examples[kind] = examples[kind] ?? "\(error)"
            }
            let db = try Database.open(path)
            let contents = try databaseContents(db)
            try db.close()
            if contents != [Array("opener-0".utf8): Array("round \(round)".utf8),
                            Array("opener-1".utf8): Array("round \(round)".utf8)] {
                failedRounds["the database lacks an opener's write", default: []].append(round)
                examples["the database lacks an opener's write"] = "\(contents.count) key(s)"
            }
        }
        for (kind, failed) in failedRounds.sorted(by: { $0.key < $1.key }) {
            Issue.record("\(kind) in \(failed.count) of \(rounds) rounds, e.g. round \(failed[0]): \(examples[kind]!)")
        }
    }
}

/// An open of `path` on its own thread that pauses in `OpenHooks.beforeLock` until ``proceed()``.
private final class PausedOpener: @unchecked Sendable {
    // Safety: `result` is behind a lock; the semaphores are thread-safe.
    private let paused = DispatchSemaphore(value: 0)
    private let resume = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let result = Locked<Result<Database, LSMError>?>(nil)
    private let released = Locked(false)

    init(path: String, options: Options = Options()) {
        DispatchQueue.global().async { [self] in
            let hooks = Database.OpenHooks(beforeLock: { [self] in
                paused.signal()
                // Bounded: a test that fails before releasing the opener does not leave it waiting for ever.
                _ = resume.wait(timeout: .now() + 20)
            })
            let outcome = Result { () throws(LSMError) in
                try Database.open(path, options: options, fileSystem: PosixFileSystem(), hooks: hooks)
            }
            result.withLock { $0 = outcome }
            finished.signal()
        }
    }

    /// Waits (at most 10 s) until the opener is in its hook; whether it got there.
    func waitUntilPaused() -> Bool {
        paused.wait(timeout: .now() + 10) == .success
    }

    /// Lets the opener take the lock and go on.
    func proceed() {
        let first = released.withLock { (done: inout Bool) -> Bool in
            defer { done = true }
            return !done
        }
        if first { resume.signal() }
    }

    /// The open's outcome, waiting at most 10 s for it; nil if it did not finish.
    func outcome() -> Result<Database, LSMError>? {
        guard finished.wait(timeout: .now() + 10) == .success else { return nil }
        finished.signal()
        return result.withLock { $0 }
    }

    /// Releases the opener if the test did not, and closes what it opened.
    func abandon() {
        proceed()
        if case .success(let db)? = outcome() { try? db.close() }
    }
}

/// Runs `body` with the path of a database directory that does not exist yet, or, with `directoryExists`, exists
/// and is empty, inside a fresh parent directory named after `name`; the parent is removed afterwards.
private func inNewDatabaseDirectory(
    _ name: String, directoryExists: Bool, _ body: (String) throws -> Void
) throws {
    let parent = TemporaryDirectory(name)
    defer { parent.remove() }
    let path = parent.appending("db")
    if directoryExists { try PosixFileSystem().createDirectory(path) }
    try body(path)
}

/// The race most tests stage: in a new database directory, opener A looks, sees no database and pauses before the
/// lock; then B creates the database and makes its writes (``openAsB(_:)``). Runs `body` with the path, A (to
/// release when the test chooses; abandoned afterwards if it was not), B's open database and what B wrote.
private func raceWhileAIsPaused(
    _ name: String, directoryExists: Bool, _ body: (String, PausedOpener, Database, ModelState) throws -> Void
) throws {
    try inNewDatabaseDirectory(name, directoryExists: directoryExists) { path in
        let a = PausedOpener(path: path)
        defer { a.abandon() }
        try #require(a.waitUntilPaused(), "opener A reached its hook before the lock")
        let (b, written) = try openAsB(path)
        try body(path, a, b, written)
    }
}

/// Opener B: opens (creating) the database at `path` and makes 25 synced writes; returns it and what it wrote.
private func openAsB(_ path: String) throws -> (Database, ModelState) {
    let b = try Database.open(path)
    var written: ModelState = [:]
    for i in 0..<25 {
        let key = Array("b-\(i)".utf8), value = Array("value of b \(i)".utf8)
        try b.put(key, value, sync: true)
        written[key] = value
    }
    return (b, written)
}
