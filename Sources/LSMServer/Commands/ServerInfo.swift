#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the server says of itself, and of the process and system it runs in (INFO's server, memory and cpu
/// sections).
enum ServerInfo {
    /// The Redis version whose commands and replies the server follows, which HELLO and INFO report: clients pick
    /// their features by it.
    static let redisVersion = "7.2.0"
    /// This server's own version.
    static let version = "0.1.0"
    /// This process's random identity (INFO's run_id), as Redis makes one at each start.
    static let runID = randomHex(count: 40)
    /// The replication ID INFO's replication section shows: random too, as a Redis master's is; no replica uses it.
    static let replicationID = randomHex(count: 40)

    /// The system's name, release and machine (`Linux 6.8.0 x86_64`), as `uname` gives them.
    static let operatingSystem: String = {
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(text(name.sysname)) \(text(name.release)) \(text(name.machine))"
    }()

    /// The event notification the network layer (SwiftNIO) uses on this system.
    static var multiplexingAPI: String {
        #if os(Linux)
        "epoll"
        #else
        "kqueue"
        #endif
    }

    /// The process's resident memory in bytes (Linux's `/proc/self/statm`); nil elsewhere or when unreadable.
    static func residentBytes() -> Int? {
        #if os(Linux)
        let descriptor = open("/proc/self/statm", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // "size resident shared ...", in pages.
        let fields = buffer[0..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }

    /// The machine's physical memory in bytes.
    static var physicalMemoryBytes: Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// CPU time used, as Redis shows it (`seconds.microseconds`): by the process (`who` RUSAGE_SELF) or its
    /// waited-for children (RUSAGE_CHILDREN), in the system and in user space.
    static func cpuTime(_ who: Int32) -> (system: String, user: String) {
        var usage = rusage()
        #if canImport(Glibc)
        let result = getrusage(__rusage_who_t(who), &usage)
        #else
        let result = getrusage(who, &usage)
        #endif
        guard result == 0 else { return ("0.000000", "0.000000") }
        func text(_ time: timeval) -> String {
            let micro = String(time.tv_usec)
            return "\(time.tv_sec)." + String(repeating: "0", count: max(0, 6 - micro.count)) + micro
        }
        return (text(usage.ru_stime), text(usage.ru_utime))
    }

    /// `count` random lowercase hexadecimal digits.
    private static func randomHex(count: Int) -> String {
        let digits = Array("0123456789abcdef")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in digits[Int(generator.next() % 16)] })
    }
}
