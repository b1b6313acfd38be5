/// The write-ahead logs a format version 2 manifest records as holding writes not yet in tables, in number order:
/// each is added when it is created (before any write goes to it) and closed, with its final size, when the
/// database moves on to a newer one or closes cleanly; it is dropped once the log number passes it.
///
/// Recovery checks the directory against this list, so a log that is missing, cut short, swapped or left over is
/// found instead of silently losing the writes it held (docs/FORMAT.md, "Version edit", tags 8 and 9).
struct LiveLogs: Equatable, Sendable {
    struct Log: Equatable, Sendable {
        var number: UInt64
        /// How the log was closed; nil for the log being appended to.
        var closed: VersionEdit.ClosedLog?

        /// The size the log had when it was closed.
        var closedSize: UInt64? { closed?.size }
    }

    /// The logs, by ascending number.
    private(set) var logs: [Log] = []

    /// The log being appended to: the newest, when it is not closed.
    var open: Log? { logs.last.flatMap { $0.closed == nil ? $0 : nil } }

    func log(number: UInt64) -> Log? { logs.first { $0.number == number } }

    /// Applies `edit`'s log fields once the database's log number is `logNumber` (logs below it are in tables).
    /// Adding a log below the log number or twice, or closing one not recorded or closed already, is corruption.
    mutating func apply(_ edit: VersionEdit, logNumber: UInt64) throws(LSMError) {
        logs.removeAll { $0.number < logNumber }
        for number in edit.addedLogs {
            guard number >= logNumber else {
                throw LSMError.corruption("version edit adds log \(number), below the log number \(logNumber)")
            }
            guard log(number: number) == nil else {
                throw LSMError.corruption("version edit adds log \(number), which is already recorded")
            }
            let position = logs.firstIndex { $0.number > number } ?? logs.count
            logs.insert(Log(number: number), at: position)
        }
        for closed in edit.closedLogs {
            guard let index = logs.firstIndex(where: { $0.number == closed.number }) else {
                throw LSMError.corruption("version edit closes log \(closed.number), which is not recorded as live")
            }
            guard logs[index].closed == nil else {
                throw LSMError.corruption("version edit closes log \(closed.number) a second time")
            }
            logs[index].closed = closed
        }
    }

    /// Records every log in `edit`, as the snapshot edit that starts a new manifest must.
    func describe(into edit: inout VersionEdit) {
        for log in logs {
            edit.addedLogs.append(log.number)
            if let closed = log.closed { edit.closedLogs.append(closed) }
        }
    }
}
