/// This process's memory as the kernel counts it.
enum ProcessMemory {
    /// The most memory the process has had resident at once (`VmHWM` in /proc/self/status), or nil where that is
    /// not available.
    static func peakResidentBytes() -> Int? {
        guard let bytes = FileTree.contents(of: "/proc/self/status", limit: 1 << 16) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        // "VmHWM:     123456 kB"
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
        return kilobytes * 1024
    }
}
