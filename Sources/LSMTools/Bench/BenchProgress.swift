import LSM

/// Live progress of the running workload on a terminal: one line on standard error, rewritten at most once a
/// second, erased when the workload ends. Silent when standard error is not a terminal.
final class BenchProgress {
    private let err: OutputSink
    /// Whether anything is shown: standard error is a terminal.
    let isEnabled: Bool
    private var name = ""
    private var total = 0
    /// When the line was last shown, on ``MonotonicClock``.
    private var lastShown: UInt64 = 0
    private var shown = false

    init(err: OutputSink) {
        self.err = err
        isEnabled = err.isTerminal
    }

    /// Starts tracking `name`, which runs `total` operations.
    func start(_ name: String, total: Int) {
        self.name = name
        self.total = total
        lastShown = MonotonicClock.nanoseconds()
    }

    /// Notes that `done` operations have finished; cheap enough to call after every one.
    @inline(__always)
    func tick(_ done: Int) {
        if isEnabled && done & 0x3FF == 0 { show(done) }
    }

    /// Shows the line now if a second has passed since the last one.
    func show(_ done: Int) {
        guard isEnabled else { return }
        let now = MonotonicClock.nanoseconds()
        guard now - lastShown >= 1_000_000_000 else { return }
        lastShown = now
        shown = true
        let percent = total > 0 ? BenchReporter.format("%5.1f", 100 * Double(done) / Double(total)) : "  0.0"
        err.write("\r\u{1B}[K\(name): \(done) of \(total) ops (\(percent)%)")
    }

    /// Erases the line, if one was shown.
    func finish() {
        if shown { err.write("\r\u{1B}[K") }
        shown = false
    }
}
