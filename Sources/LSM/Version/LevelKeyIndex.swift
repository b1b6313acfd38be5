/// The largest user key of each file of one sorted level, packed into one buffer, so that finding the file that
/// may hold a key is a binary search over bytes: no file object is touched (and retained) until the one found.
struct LevelKeyIndex: Sendable {
    /// The keys back to back, in the level's order.
    private let keys: [UInt8]
    /// `ends[i]` is where key `i` ends in `keys` (it starts where key `i - 1` ends, or at 0).
    private let ends: [Int]

    init(_ files: [FileMetaData]) {
        var keys: [UInt8] = []
        var ends: [Int] = []
        keys.reserveCapacity(files.reduce(0) { $0 + $1.largest.count })
        ends.reserveCapacity(files.count)
        for file in files {
            file.largest.withUnsafeBytes { keys.append(contentsOf: userKey(of: $0)) }
            ends.append(keys.count)
        }
        self.keys = keys
        self.ends = ends
    }

    /// The index of the first file whose largest user key is >= `userKey` (the count when there is none).
    func firstFile(endingAtOrAfter userKey: UnsafeRawBufferPointer) -> Int {
        keys.withUnsafeBytes { keys in
            ends.withUnsafeBufferPointer { ends in
                var low = 0
                var high = ends.count
                while low < high {
                    let mid = low + (high - low) / 2
                    let start = mid == 0 ? 0 : ends[mid - 1]
                    let largest = UnsafeRawBufferPointer(rebasing: keys[start..<ends[mid]])
                    if compareBytes(largest, userKey) < 0 { low = mid + 1 } else { high = mid }
                }
                return low
            }
        }
    }
}
