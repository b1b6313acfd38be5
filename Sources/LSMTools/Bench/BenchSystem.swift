#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the benchmark asks of the operating system beyond the engine: the process's write counter.
enum BenchSystem {
    /// Bytes this process (every thread of it) has handed to write-like system calls: `wchar` of `/proc/self/io`,
    /// or 0 where that file does not exist.
    static func bytesWritten() -> Int64 {
        let fd = open("/proc/self/io", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int64(line.dropFirst("wchar:".count).trimmingPrefix(" ")) ?? 0
        }
        return 0
    }
}
