#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The database's human-readable event log, the file `LOG` in its directory: opens, flushes, compactions and,
/// above all, background errors, which must not pass unnoticed. Best effort: a log that cannot be written never
/// fails the database.
///
/// It is written through the real file system, not the database's: it is diagnostics, not state, so it stays out
/// of crash simulation and fault injection, where its writes would otherwise absorb faults meant for the engine.
final class EventLog: Sendable {
    private let file: Locked<(any WritableFile)?>

    /// The `LOG` of `directory`; with nil (a read-only database, which writes nothing) messages go nowhere.
    init(directory: String?) {
        file = Locked(directory.flatMap {
            try? PosixFileSystem().openWritable(FileNames.path($0, FileNames.eventLog), truncate: false)
        })
    }

    /// Appends a timestamped line.
    func log(_ message: String) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let stamp = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
        let line = Array("\(stamp) \(message)\n".utf8)
        file.withLock { file in try? file?.append(line) }
    }

    func close() {
        file.withLock { file in
            try? file?.close()
            file = nil
        }
    }
}
