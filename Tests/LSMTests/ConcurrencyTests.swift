import Dispatch
import Synchronization
import Testing
@testable import LSM

/// Many threads on one database: writers (some synced, some in batches) and readers (gets, cursors, snapshots)
/// at once, with a tiny memtable so flushes run in the background throughout. Run under
/// `swift test --sanitize=thread` to check for data races.
@Suite struct ConcurrencyTests {
    @Test func writersAndReadersShareOneDatabase() throws {
        let dir = TemporaryDirectory("concurrency")
        defer { dir.remove() }
        var options = Options()
        options.memtableSize = 8 << 10
        options.blockSize = 512
        let db = try Database.open(dir.path, options: options)

        let writerCount = 4
        let readerCount = 3
        let writesPerWriter = 1500
        let failures = Atomic<Int>(0)
        let writersDone = Atomic<Int>(0)

        // Each writer owns the keys "w<id>-<n>"; each key's value is its final version "v<n>-<round>",
        // written in increasing rounds so a reader can check it never sees a value go backwards.
        DispatchQueue.concurrentPerform(iterations: writerCount + readerCount) { thread in
            do {
                if thread < writerCount {
                    for i in 0..<writesPerWriter {
                        let key = "w\(thread)-\(i % 200)"
                        let value = "v\(i % 200)-\(i / 200)"
                        switch i % 10 {
                        case 0:
                            var batch = WriteBatch()
                            batch.put(key, value)
                            batch.put("w\(thread)-batch", "\(i)")
                            try db.write(batch)
                        case 1:
                            try db.put(key, value, sync: true)
                        default:
                            try db.put(key, value)
                        }
                    }
                    writersDone.add(1, ordering: .releasing)
                } else {
                    var lastRound: [String: Int] = [:]
                    while writersDone.load(ordering: .acquiring) < writerCount {
                        let writer = Int.random(in: 0..<writerCount)
                        let n = Int.random(in: 0..<200)
                        let key = "w\(writer)-\(n)"
                        if let value = try db.get(key) {
                            let parts = value.split(separator: "-")
                            let round = Int(parts.last ?? "") ?? -1
                            if parts.first != "v\(n)" || round < lastRound[key, default: 0] {
                                failures.add(1, ordering: .relaxed)
                            }
                            lastRound[key] = round
                        }
                        // A cursor must yield strictly increasing keys, each with a value of its own key.
                        let snapshot = try db.snapshot()
                        let cursor = try db.cursor(from: Array("w\(writer)-".utf8), snapshot: snapshot)
                        var previous: [UInt8]?
                        var seen = 0
                        while seen < 50, let (k, v) = try cursor.next() {
                            if let previous, compareBytes(previous, k) >= 0 { failures.add(1, ordering: .relaxed) }
                            let key = String(decoding: k, as: UTF8.self)
                            if key.hasPrefix("w\(writer)-"), !key.hasSuffix("-batch") {
                                let n = key.split(separator: "-").last.map(String.init) ?? ""
                                if !String(decoding: v, as: UTF8.self).hasPrefix("v\(n)-") {
                                    failures.add(1, ordering: .relaxed)
                                }
                            }
                            previous = k
                            seen += 1
                        }
                        // The snapshot's view does not move while writes go on.
                        let first = try db.get(key, snapshot: snapshot)
                        let again = try db.get(key, snapshot: snapshot)
                        if first != again { failures.add(1, ordering: .relaxed) }
                    }
                }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }

        #expect(failures.load(ordering: .relaxed) == 0)
        // Every writer's final values are there, before and after a reopen.
        for _ in 0..<2 {
            for writer in 0..<writerCount {
                for n in 0..<200 {
                    let lastI = (0..<writesPerWriter).last { $0 % 200 == n }!
                    #expect(try db.get("w\(writer)-\(n)") == "v\(n)-\(lastI / 200)")
                }
            }
            try db.flush()
        }
        let stats = try db.statistics()
        #expect(stats.flushCount > 0)
        try db.close()
        let reopened = try Database.open(dir.path, options: options)
        for writer in 0..<writerCount {
            let lastI = (0..<writesPerWriter).last { $0 % 200 == 199 }!
            #expect(try reopened.get("w\(writer)-199") == "v199-\(lastI / 200)")
        }
        try reopened.close()
    }
}
