/// One workload of the benchmark sequence, in the order `peerbench.c` runs them (``allCases`` is that order).
enum BenchWorkload: CaseIterable, Hashable {
    case fillSequential
    case readRandom
    case readMissing
    case readSequential
    case seekRandom
    case readRandomTwoThreads
    case sizeAfterFillSequential
    case fillRandom
    case overwrite
    case readRandomAfterOverwrite
    case readWhileWriting
    case deleteRandom
    case sizeAfterRandom
    case fillSync
    case fillSyncThreads

    /// The phases; each starts from a fresh directory.
    enum Phase: CaseIterable {
        /// Sequential fill, then reads of a fully populated store.
        case sequential
        /// Random fill, overwrite and delete, with reads between.
        case random
        /// Durable writes, one thread then several.
        case sync

        /// The subdirectory of the benchmark directory the phase uses, named as `peerbench.c` names its own.
        var directoryName: String {
            switch self {
            case .sequential: "lsm-seq"
            case .random: "lsm-rand"
            case .sync: "lsm-sync"
            }
        }
    }

    var phase: Phase {
        switch self {
        case .fillSequential, .readRandom, .readMissing, .readSequential, .seekRandom, .readRandomTwoThreads,
             .sizeAfterFillSequential:
            .sequential
        case .fillRandom, .overwrite, .readRandomAfterOverwrite, .readWhileWriting, .deleteRandom, .sizeAfterRandom:
            .random
        case .fillSync, .fillSyncThreads:
            .sync
        }
    }

    /// The benchmark name in reports, as `peerbench.c` prints it; `fillsync_Nthreads` carries the thread count.
    func name(threads: Int) -> String {
        switch self {
        case .fillSequential: "fillseq"
        case .readRandom: "readrandom"
        case .readMissing: "readmissing"
        case .readSequential: "readseq"
        case .seekRandom: "seekrandom"
        case .readRandomTwoThreads: "readrandom_2threads"
        case .sizeAfterFillSequential: "size_after_fillseq"
        case .fillRandom: "fillrandom"
        case .overwrite: "overwrite"
        case .readRandomAfterOverwrite: "readrandom_after_overwrite"
        case .readWhileWriting: "readwhilewriting"
        case .deleteRandom: "deleterandom"
        case .sizeAfterRandom: "size_after_random"
        case .fillSync: "fillsync"
        case .fillSyncThreads: "fillsync_\(threads)threads"
        }
    }

    /// Whether the workload reports bytes on disk rather than a timing.
    var isSizeReport: Bool { self == .sizeAfterFillSequential || self == .sizeAfterRandom }

    /// Whether the workload builds the state a later workload of its phase measures, so it runs (unreported) when
    /// a later one is selected without it: the fills, the overwrite and the deletes. Reads change nothing, and the
    /// writes of readwhilewriting are a side effect of what it measures.
    var preparesLaterWorkloads: Bool {
        switch self {
        case .fillSequential, .fillRandom, .overwrite, .deleteRandom: true
        default: false
        }
    }

    /// Parses a `--benchmarks` list (comma-separated names, in any order, blanks ignored) into the workloads it
    /// names, or returns the first name it does not know. `fillsync_Nthreads` is accepted literally and with the
    /// actual thread count.
    static func parseList(_ list: String, threads: Int) -> Result<Set<BenchWorkload>, UnknownName> {
        var selected: Set<BenchWorkload> = []
        for piece in list.split(separator: ",") {
            let text = String(piece.filter { !$0.isWhitespace })
            if text.isEmpty { continue }
            if text == "fillsync_Nthreads" {
                selected.insert(.fillSyncThreads)
                continue
            }
            guard let workload = allCases.first(where: { $0.name(threads: threads) == text }) else {
                return .failure(UnknownName(name: text))
            }
            selected.insert(workload)
        }
        return .success(selected)
    }

    /// A `--benchmarks` entry that names no workload.
    struct UnknownName: Error, Equatable {
        var name: String
    }
}
