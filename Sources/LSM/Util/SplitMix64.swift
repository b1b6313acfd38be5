#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The package's seeded pseudo-random generator, splitmix64: the skiplist draws node heights from it, the benchmark
/// draws the keys and values `peerbench.c` draws from the same seeds, a stress run's choices follow from `--seed`,
/// and a failing test seed replays exactly. `package`, so the tools and tests share it.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    @inlinable
    package init(seed: UInt64) { state = seed }

    /// A generator for one of several independent streams (a worker thread, a crash cycle) of one seed.
    package init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    @inlinable
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fills `buffer` with successive draws, each stored little-endian, the last cut to the bytes that remain (one
    /// call per buffer, for callers in other modules that fill many).
    @inlinable
    package mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 8 <= buffer.count {
            buffer.storeBytes(of: next().littleEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        guard offset < buffer.count else { return }
        let last = next()
        for index in offset..<buffer.count {
            buffer[index] = UInt8(truncatingIfNeeded: last >> (8 * UInt64(index - offset)))
        }
    }

    /// A seed for a run that was not given one: from the clock and the process id, printed so it can be reused.
    package static func freshSeed() -> UInt64 {
        var mixer = SplitMix64(seed: MonotonicClock.nanoseconds() ^ (UInt64(UInt32(bitPattern: getpid())) << 32))
        return mixer.next()
    }
}
