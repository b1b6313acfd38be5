/// Iterates the tables of one sorted level (level 1 and deeper) as one sequence, opening each table only when
/// the iteration reaches it.
final class LevelIterator: InternalIterator {
    private let files: [FileMetaData]
    private let tableCache: TableCache
    private var index = 0
    private var tableIterator: TableIterator?

    init(files: [FileMetaData], tableCache: TableCache) {
        self.files = files
        self.tableCache = tableCache
    }

    var isValid: Bool { tableIterator?.isValid ?? false }
    var key: UnsafeRawBufferPointer { tableIterator!.key }
    var value: UnsafeRawBufferPointer { tableIterator!.value }

    func seekToFirst() throws(LSMError) {
        try open(0)
        try tableIterator?.seekToFirst()
        try skipEmptyForward()
    }

    func seekToLast() throws(LSMError) {
        try open(files.count - 1)
        try tableIterator?.seekToLast()
        try skipEmptyBackward()
    }

    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError) {
        // The first file whose largest key is >= target holds the first entry >= target, if any file does.
        var low = 0
        var high = files.count
        while low < high {
            let mid = (low + high) / 2
            let below = files[mid].largest.withUnsafeBytes { compareInternalKeys($0, target) < 0 }
            if below { low = mid + 1 } else { high = mid }
        }
        try open(low)
        try tableIterator?.seek(target)
        try skipEmptyForward()
    }

    func next() throws(LSMError) {
        guard let tableIterator else { return }
        try tableIterator.next()
        if !tableIterator.isValid { try skipEmptyForward() }
    }

    func prev() throws(LSMError) {
        try tableIterator?.prev()
        try skipEmptyBackward()
    }

    private func open(_ newIndex: Int) throws(LSMError) {
        index = newIndex
        guard newIndex >= 0 && newIndex < files.count else {
            tableIterator = nil
            return
        }
        tableIterator = try tableCache.table(number: files[newIndex].number).makeIterator()
    }

    private func skipEmptyForward() throws(LSMError) {
        while let iterator = tableIterator, !iterator.isValid {
            try open(index + 1)
            try tableIterator?.seekToFirst()
        }
    }

    private func skipEmptyBackward() throws(LSMError) {
        while let iterator = tableIterator, !iterator.isValid {
            try open(index - 1)
            try tableIterator?.seekToLast()
        }
    }
}
