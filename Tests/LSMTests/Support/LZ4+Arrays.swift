@testable import LSM

/// The LZ4 codec on arrays, for the tests: the engine itself compresses into reused buffers (``BlockCompressor``)
/// and decompresses into a block's own allocation (``CompressedBlock``).
extension LZ4 {
    /// `input` compressed into a new array.
    static func compress(_ input: [UInt8]) -> [UInt8] {
        var compressor = LZ4Compressor()
        var output = [UInt8](repeating: 0, count: compressedBound(input.count))
        let count = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { compressor.compress(source, into: $0) }
        }
        output.removeSubrange(count...)
        return output
    }

    /// `input` decompressed into a new array of exactly `size` bytes (at least 0).
    static func decompress(_ input: [UInt8], size: Int) throws(LZ4Error) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        try input.withBytes { (source: UnsafeRawBufferPointer) throws(LZ4Error) in
            try output.withMutableBytes { (target: UnsafeMutableRawBufferPointer) throws(LZ4Error) in
                try decompress(source, into: target)
            }
        }
        return output
    }
}
