#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import LSM

/// Damage to every kind of file of a database (of the current storage format), at many offsets, each on a fresh copy.
///
/// The database is built of synced writes: tables in levels 0 and 1, two closed logs whose flush failed (it was held
/// at a gate, then failed) and the newest log, closed by a clean close, so the manifest records three live logs. A second database is
/// built by the same operations, so it has the same file names (and sizes) but another identity. Each case applies
/// one damage (a bit flip, a truncation, zeros from an offset to the end, deletion, or replacement by the other
/// database's file of the same name) to one file of a copy, then:
/// - `Database.check(at:)` changes nothing, and reports a problem (or throws `.notADatabase`) whenever the open
///   refuses the database; a clean report means the open must succeed;
/// - an open that throws throws `.corruption` naming a file (`.notADatabase` without `CURRENT`) and changes no file
///   (a `LOCK` may appear);
/// - an open that succeeds returns exactly the acknowledged writes, from a full scan and a get of every key, except
///   that the last write may be missing when the damage lies in the last record of the newest log; a read may
///   throw `.corruption` (a damaged or foreign table is read lazily) but never return a wrong value; and after a
///   close, `check` is clean unless a read met the damage.
///
/// Failing cases are grouped by cause, one issue per group, with the cases (file, damage, offset) that show it.
@Suite struct DamageMatrixTests {
    /// A file small enough to damage at every offset.
    enum SmallFile: String, CaseIterable, Sendable {
        case current = "CURRENT"
        case manifest

        func name(in fixture: DamageFixture) -> String {
            switch self {
            case .current: FileNames.current
            case .manifest: fixture.manifestName
            }
        }
    }

    @Test(arguments: SmallFile.allCases)
    func damagedAtEveryOffset(_ file: SmallFile) throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: file.rawValue)
        let name = file.name(in: fixture)
        matrix.run(file: name, kind: file.rawValue, every: Array(0..<fixture.files[name]!.count))
        matrix.finish()
    }

    @Test func damagedNewestLog() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "newest log")
        matrix.runLog(fixture.newestLog, kind: "newest log", seed: 1)
        matrix.finish()
    }

    @Test func damagedOlderLogs() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "older logs")
        for (index, log) in fixture.olderLogs.enumerated() {
            matrix.runLog(log, kind: "older log", seed: 2 + UInt64(index))
        }
        matrix.finish()
    }

    @Test func damagedTables() throws {
        let fixture = try DamageFixture.shared.get()
        var matrix = DamageMatrix(fixture, title: "tables")
        for (index, table) in fixture.tables.enumerated() {
            var random = SplitMix64(seed: 100 + UInt64(index))
            let size = fixture.files[table.name]!.count
            var offsets = Set(table.boundaries.filter { $0 < size })
            for _ in 0..<40 { offsets.insert(Int.random(in: 0..<size, using: &random)) }
            var truncations = Set(table.boundaries.filter { $0 < size })
            for _ in 0..<10 { truncations.insert(Int.random(in: 0..<size, using: &random)) }
            matrix.run(file: table.name, kind: "table (level \(table.level))", flips: offsets.sorted(),
                       truncations: truncations.sorted(), zeroFills: offsets.sorted(), random: &random)
        }
        matrix.finish()
    }

    /// The undamaged copy opens to exactly the model, and its check is clean: the baseline every case departs from.
    @Test func undamagedCopyOpensToTheModel() throws {
        let fixture = try DamageFixture.shared.get()
        print("DamageMatrix fixture: \(fixture.states.count - 1) synced writes; files "
              + fixture.files.keys.sorted().map { "\($0) (\(fixture.files[$0]!.count) bytes)" }.joined(separator: ", ")
              + "; tables \(fixture.tables.map { "\($0.name)@L\($0.level)" }); closed logs \(fixture.olderLogs.map(\.name)) holding writes "
              + "\(fixture.olderLogs.map(\.writes)), newest \(fixture.newestLog.name) holding writes "
              + "\(fixture.newestLog.writes) in records at \(fixture.newestLog.recordStarts); "
              + "other database's files of another size: "
              + "\(fixture.files.keys.filter { fixture.foreign[$0]!.count != fixture.files[$0]!.count }.sorted()), "
              + "identical: \(fixture.files.keys.filter { fixture.foreign[$0]! == fixture.files[$0]! }.sorted())")
        var matrix = DamageMatrix(fixture, title: "undamaged")
        matrix.runUndamaged()
        #expect(matrix.refused == 0 && matrix.opened == 1)
        matrix.finish()
        #expect(fixture.olderLogs.count >= 1, "at least one closed log is live")
        #expect(fixture.tableLevels.count >= 2, "tables in two or more levels: \(fixture.tableLevels)")
    }
}
