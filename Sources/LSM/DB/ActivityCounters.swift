/// Activity counters behind ``Statistics``.
struct ActivityCounters {
    var userBytes: UInt64 = 0
    var logBytes: UInt64 = 0
    var flushes = 0
    var flushBytes: UInt64 = 0
    var compactions = 0
    var trivialMoves = 0
    var compactionBytesRead: UInt64 = 0
    var compactionBytesWritten: UInt64 = 0
    var compactionMicros: UInt64 = 0
    var slowdowns = 0
    var slowdownMicros: UInt64 = 0
    var stops = 0
    var stopMicros: UInt64 = 0
}
