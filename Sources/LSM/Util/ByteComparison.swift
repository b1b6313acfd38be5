#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytewise (memcmp) order, the only key order this library uses: shorter sorts first on a common prefix.
///
/// Keys are short, so the first 16 bytes are compared inline, eight at a time as big-endian words (whose integer
/// order is the bytes' order), before a call to `memcmp` for the rest: most comparisons end there.
@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
        var offset = 0
        while offset + 8 <= n && offset < 16 {
            let wa = UInt64(bigEndian: pa.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let wb = UInt64(bigEndian: pb.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            if wa != wb { return wa < wb ? -1 : 1 }
            offset += 8
        }
        if offset < n {
            let r = memcmp(pa + offset, pb + offset, n - offset)
            if r != 0 { return r < 0 ? -1 : 1 }
        }
    }
    return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
}

@inline(__always)
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compareBytes(pa, pb) } }
}

extension UnsafeRawBufferPointer {
    /// A copy of these bytes as an array.
    @inline(__always)
    var array: [UInt8] { [UInt8](self) }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps the closure's typed error (the standard one only rethrows `any Error`).
    @inline(__always)
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { p in Result { () throws(E) -> R in try body(p) } }
        return try result.get()
    }

    /// `withUnsafeMutableBytes` that keeps the closure's typed error.
    @inline(__always)
    mutating func withMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let result: Result<R, E> = withUnsafeMutableBytes { p in Result { () throws(E) -> R in try body(p) } }
        return try result.get()
    }
}
