#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLSMFuzzer
import LSM
import LSMFuzzTargets

/// `lsm-fuzz`: the fuzz targets of `LSMFuzzTargets` as one executable.
///
/// Built by `scripts/fuzz.sh` with `-sanitize=fuzzer,address -DLSM_FUZZER`, `lsm-fuzz TARGET [libFuzzer flags and
/// corpus directories]` hands the target to libFuzzer's driver. An ordinary build replays inputs instead
/// (`lsm-fuzz TARGET FILE|DIRECTORY...`, to reproduce a crash under the debugger) and writes the seed corpus
/// (`lsm-fuzz seed DIRECTORY`). Either build packs a database directory into a `directory` input
/// (`lsm-fuzz pack DIRECTORY FILE`) and unpacks one into a directory (`lsm-fuzz unpack FILE DIRECTORY`), where the
/// `lsm` tools can look at it.
@main
enum FuzzMain {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else { usage() }
        switch (arguments[1], arguments.count) {
        case ("seed", 3):
            writeSeeds(to: arguments[2])
            return
        case ("pack", 4):
            pack(arguments[2], into: arguments[3])
            return
        case ("unpack", 4):
            unpack(arguments[2], into: arguments[3])
            return
        case ("seed", _), ("pack", _), ("unpack", _):
            usage()
        default:
            break
        }
        #if LSM_FUZZER
        // libFuzzer runs some modes (-merge=1, -fork) in child processes started with the arguments it was given,
        // which no longer hold the target's name: the environment carries it to them.
        let named = FuzzTarget(rawValue: arguments[1])
        guard let target = named ?? getenv(targetVariable).flatMap({ FuzzTarget(rawValue: String(cString: $0)) }),
              let scratch = FuzzScratch()
        else { usage() }
        setenv(targetVariable, target.rawValue, 1)
        Self.target = target
        Self.scratch = scratch
        exit(runLibFuzzer(droppingFirstArgument: named != nil))
        #else
        guard let target = FuzzTarget(rawValue: arguments[1]), let scratch = FuzzScratch() else { usage() }
        replay(Array(arguments.dropFirst(2)), target: target, scratch: scratch)
        #endif
    }

    #if LSM_FUZZER
    /// The target libFuzzer's callback runs, and its scratch directory; set once, before the driver starts.
    nonisolated(unsafe) private static var target = FuzzTarget.wal
    nonisolated(unsafe) private static var scratch: FuzzScratch?

    /// The environment variable that names the target for libFuzzer's child processes.
    private static let targetVariable = "LSM_FUZZ_TARGET"

    /// Runs libFuzzer's driver with the arguments, without the target's name when it is the first.
    private static func runLibFuzzer(droppingFirstArgument: Bool) -> Int32 {
        let dropped = droppingFirstArgument ? 1 : 0
        var argc = CommandLine.argc - Int32(dropped)
        // argv[0] stays; libFuzzer parses the rest. The array lives as long as the process, as libFuzzer expects.
        let original = CommandLine.unsafeArgv
        let shifted = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: Int(argc) + 1)
        shifted[0] = original[0]
        for index in 1..<Int(argc) { shifted[index] = original[index + dropped] }
        shifted[Int(argc)] = nil
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = shifted
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzMain.target.run(UnsafeRawBufferPointer(start: data, count: size), in: FuzzMain.scratch!)
            return 0
        }
    }
    #endif

    /// Runs each file (a directory: each file in it) through `target`, printing whether it was accepted.
    private static func replay(_ paths: [String], target: FuzzTarget, scratch: FuzzScratch) {
        for path in paths.flatMap(expand) {
            guard let bytes = FuzzScratch.load(path) else {
                print("\(path): cannot read")
                exit(1)
            }
            let accepted = bytes.withUnsafeBytes { target.run($0, in: scratch) }
            print("\(path): \(accepted ? "accepted" : "rejected")")
        }
    }

    /// The files directly in `path` when it is a directory, else `path` itself.
    private static func expand(_ path: String) -> [String] {
        guard let names = try? PosixFileSystem().listDirectory(path) else { return [path] }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
    }

    /// Writes every target's seeds into `directory/TARGET/NAME`.
    private static func writeSeeds(to directory: String) {
        guard let scratch = FuzzScratch() else { fail("cannot make a scratch directory") }
        let seeds: [FuzzTarget: [(name: String, bytes: [UInt8])]]
        do {
            seeds = try FuzzSeeds.make(in: scratch)
        } catch {
            fail("cannot make the seeds: \(error)")
        }
        for target in FuzzTarget.allCases {
            let folder = directory + "/" + target.rawValue
            makeDirectories(folder)
            for seed in seeds[target] ?? [] {
                guard let written = FuzzScratch.save(seed.bytes, to: folder + "/" + seed.name) else {
                    fail("cannot write \(folder)/\(seed.name)")
                }
                print("\(written) (\(seed.bytes.count) bytes)")
            }
        }
    }

    /// Writes the database directory at `directory` as a `directory` input to `file`.
    private static func pack(_ directory: String, into file: String) {
        let bytes: [UInt8]
        do {
            bytes = try FuzzDirectory(packing: directory).encoded
        } catch {
            fail("cannot pack \(directory): \(error)")
        }
        guard FuzzScratch.save(bytes, to: file) != nil else { fail("cannot write \(file)") }
        print("\(file) (\(bytes.count) bytes)")
    }

    /// Writes the files of the `directory` input in `file` into `directory` (created when missing).
    private static func unpack(_ file: String, into directory: String) {
        guard let bytes = FuzzScratch.load(file) else { fail("cannot read \(file)") }
        let files = bytes.withUnsafeBytes { FuzzDirectory(decoding: $0) }
        makeDirectories(directory)
        do {
            try files.write(into: directory)
        } catch {
            fail("cannot unpack into \(directory): \(error)")
        }
        for (name, contents) in files.files.sorted(by: { $0.key < $1.key }) {
            print("\(directory)/\(name) (\(contents.count) bytes)")
        }
    }

    /// Creates `path` and any missing parents (existing ones are fine).
    private static func makeDirectories(_ path: String) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            mkdir(prefix, 0o755)
        }
    }

    private static func usage() -> Never {
        let targets = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        fail("usage: lsm-fuzz \(targets) [FILE|DIRECTORY...]   (libFuzzer build: [libFuzzer flags] [CORPUS...])\n"
             + "       lsm-fuzz seed DIRECTORY\n"
            + "       lsm-fuzz pack DATABASE-DIRECTORY FILE   |   lsm-fuzz unpack FILE DIRECTORY")
    }

    private static func fail(_ message: String) -> Never {
        var line = message + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
}
