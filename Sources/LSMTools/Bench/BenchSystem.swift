/// What the benchmark asks of the operating system beyond the engine: the process's write counter.
enum BenchSystem {
    /// Bytes this process (every thread of it) has handed to write-like system calls: `wchar` of `/proc/self/io`,
    /// or 0 where that file does not exist.
    static func bytesWritten() -> Int64 {
        guard let contents = FileTree.contents(of: "/proc/self/io", limit: 4096) else { return 0 }
        let text = String(decoding: contents, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int64(line.dropFirst("wchar:".count).trimmingPrefix(" ")) ?? 0
        }
        return 0
    }
}
