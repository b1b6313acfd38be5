/// The user-key bounds of every file of a version, packed into memory the index owns, so that finding the files
/// that may hold a key compares bytes only: no file object or array is touched (and retained) until one is found.
/// A point read asks it about every level, most of which do not hold the key.
///
/// Not copyable: it owns its memory and frees it when it goes. Immutable after `init`, so it may be read from any
/// thread.
struct FileBoundsIndex: ~Copyable, @unchecked Sendable {
    private let levelCount: Int
    /// `levelCount + 1` level starts (the index of each level's first file among all files, then the file count),
    /// followed by three offsets into ``keys`` per file: where its smallest user key starts, where its largest
    /// starts (the smallest's end), and where its largest ends.
    private let offsets: UnsafeMutablePointer<Int>
    private let keys: UnsafeMutableRawPointer

    init(_ levels: [[FileMetaData]]) {
        levelCount = levels.count
        let fileCount = levels.reduce(0) { $0 + $1.count }
        let byteCount = levels.reduce(0) { total, files in
            files.reduce(total) { $0 + $1.smallest.count + $1.largest.count }
        }
        offsets = .allocate(capacity: levelCount + 1 + 3 * fileCount)
        keys = .allocate(byteCount: max(byteCount, 1), alignment: 1)
        var fileIndex = 0
        var end = 0
        for (level, files) in levels.enumerated() {
            offsets[level] = fileIndex
            for file in files {
                let entry = offsets + levelCount + 1 + 3 * fileIndex
                entry[0] = end
                end = Self.append(file.smallest, to: keys, at: end)
                entry[1] = end
                end = Self.append(file.largest, to: keys, at: end)
                entry[2] = end
                fileIndex += 1
            }
        }
        offsets[levelCount] = fileIndex
    }

    deinit {
        offsets.deallocate()
        keys.deallocate()
    }

    /// Copies the user-key part of `internalKey` to `keys + offset`; returns where it ends.
    private static func append(_ internalKey: [UInt8], to keys: UnsafeMutableRawPointer, at offset: Int) -> Int {
        internalKey.withUnsafeBytes { bytes in
            let key = userKey(of: bytes)
            if let base = key.baseAddress { (keys + offset).copyMemory(from: base, byteCount: key.count) }
            return offset + key.count
        }
    }

    @inline(__always)
    func fileCount(level: Int) -> Int {
        offsets[level + 1] - offsets[level]
    }

    /// The bytes from offset `field` to offset `field + 1` of the file `index` of `level`.
    @inline(__always)
    private func bound(_ field: Int, file index: Int, level: Int) -> UnsafeRawBufferPointer {
        let entry = offsets + levelCount + 1 + 3 * (offsets[level] + index)
        return UnsafeRawBufferPointer(start: keys + entry[field], count: entry[field + 1] - entry[field])
    }

    @inline(__always)
    private func smallest(file index: Int, level: Int) -> UnsafeRawBufferPointer {
        bound(0, file: index, level: level)
    }

    @inline(__always)
    private func largest(file index: Int, level: Int) -> UnsafeRawBufferPointer {
        bound(1, file: index, level: level)
    }

    /// Whether `key` lies in the user-key range of file `index` of `level`, ends included.
    @inline(__always)
    func file(_ index: Int, ofLevel level: Int, contains key: UnsafeRawBufferPointer) -> Bool {
        compareBytes(smallest(file: index, level: level), key) <= 0
            && compareBytes(largest(file: index, level: level), key) >= 0
    }

    /// The index of the first file of the sorted `level` (1 or deeper) whose largest user key is at or after
    /// `key`, or the level's file count when there is none.
    func firstFile(inLevel level: Int, endingAtOrAfter key: UnsafeRawBufferPointer) -> Int {
        var low = 0
        var high = fileCount(level: level)
        while low < high {
            let mid = low + (high - low) / 2
            if compareBytes(largest(file: mid, level: level), key) < 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The index of the file of the sorted `level` (1 or deeper) whose user-key range contains `key`, if one does:
    /// the only file of the level that may hold it.
    func file(inLevel level: Int, holding key: UnsafeRawBufferPointer) -> Int? {
        // Most levels of a small or young database are empty: they cost one subtraction.
        guard fileCount(level: level) > 0 else { return nil }
        let index = firstFile(inLevel: level, endingAtOrAfter: key)
        guard index < fileCount(level: level), compareBytes(smallest(file: index, level: level), key) <= 0 else {
            return nil
        }
        return index
    }
}
