#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reference LZ4 library, liblz4, loaded at run time (its runtime library is on the machines this project runs
/// on, its header is not), to check the engine's codec against it both ways.
struct ReferenceLZ4: @unchecked Sendable {
    private typealias Compress = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32, Int32)
        -> Int32
    private typealias Decompress = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32, Int32)
        -> Int32

    /// The library's file name, as the dynamic loader finds it.
    static let libraryName = "liblz4.so.1"

    private let compressDefault: Compress
    private let decompressSafe: Decompress

    /// The library, or nil (with the loader's message in `failure`) when it cannot be loaded.
    static let shared: Result<ReferenceLZ4, LoadFailure> = load()

    struct LoadFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Whether the environment says this is a CI run, where not finding the library is a failure, not a skip.
    static var isCI: Bool { getenv("CI").map { String(cString: $0) } == "true" }

    private init(compress: Compress, decompress: Decompress) {
        compressDefault = compress
        decompressSafe = decompress
    }

    private static func load() -> Result<ReferenceLZ4, LoadFailure> {
        guard let handle = dlopen(libraryName, RTLD_NOW) else {
            return .failure(LoadFailure(description: dlerror().map { String(cString: $0) } ?? "dlopen failed"))
        }
        guard let compress = dlsym(handle, "LZ4_compress_default"),
              let decompress = dlsym(handle, "LZ4_decompress_safe") else {
            let missing = "\(libraryName) lacks LZ4_compress_default or LZ4_decompress_safe"
            return .failure(LoadFailure(description: missing))
        }
        return .success(ReferenceLZ4(compress: unsafeBitCast(compress, to: Compress.self),
                                     decompress: unsafeBitCast(decompress, to: Decompress.self)))
    }

    /// liblz4's LZ4_compress_default of `input`.
    func compress(_ input: [UInt8]) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: input.count + input.count / 255 + 16)
        let count = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                compressDefault(source.baseAddress?.assumingMemoryBound(to: CChar.self),
                                target.baseAddress?.assumingMemoryBound(to: CChar.self),
                                Int32(source.count), Int32(target.count))
            }
        }
        guard count > 0 else { return nil }
        return Array(output.prefix(Int(count)))
    }

    /// liblz4's LZ4_decompress_safe of `block` into exactly `size` bytes; nil when it reports an error or produces
    /// another size.
    func decompress(_ block: [UInt8], size: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: max(1, size))
        let count = block.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                decompressSafe(source.baseAddress?.assumingMemoryBound(to: CChar.self),
                               target.baseAddress?.assumingMemoryBound(to: CChar.self),
                               Int32(source.count), Int32(size))
            }
        }
        guard count == size else { return nil }
        return Array(output.prefix(size))
    }
}
