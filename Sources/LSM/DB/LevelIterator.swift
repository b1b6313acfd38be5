/// Iterates the tables of one sorted level (level 1 and deeper) as one sequence, opening each table only when
/// the iteration reaches it. The open table's ``TableCursor`` is kept inline, so a step within it passes through
/// no further objects.
final class LevelIterator: InternalIterator {
    private let files: [FileMetaData]
    private let tableCache: TableCache
    /// Whether the tables' blocks go into the block cache (see ``TableCursor/init(table:fillsCache:)``).
    private let fillsCache: Bool
    /// The file ``cursor`` reads. Past either end the cursor stays on the first or last file, invalid.
    private var index = 0
    // Unchecked: only this object's own methods touch it, one at a time (it is not thread-safe), and a checked
    // access costs more than most of the moves it guards.
    @exclusivity(unchecked) private var cursor: TableCursor

    /// An iterator over `files`, which must not be empty; it opens the first table.
    init(files: [FileMetaData], tableCache: TableCache, fillsCache: Bool = true) throws(LSMError) {
        precondition(!files.isEmpty, "a level iterator needs at least one table")
        self.files = files
        self.tableCache = tableCache
        self.fillsCache = fillsCache
        cursor = TableCursor(table: try tableCache.table(number: files[0].number), fillsCache: fillsCache)
    }

    var isValid: Bool { cursor.isValid }
    var key: UnsafeRawBufferPointer { cursor.key }
    var value: UnsafeRawBufferPointer { cursor.value }

    func seekToFirst() throws(LSMError) {
        try open(0)
        try cursor.seekToFirst()
        try skipEmptyForward()
    }

    func seekToLast() throws(LSMError) {
        try open(files.count - 1)
        try cursor.seekToLast()
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
        guard low < files.count else { return cursor.invalidate() }
        try open(low)
        try cursor.seek(target)
        try skipEmptyForward()
    }

    func next() throws(LSMError) {
        try cursor.next()
        if !cursor.isValid { try skipEmptyForward() }
    }

    func prev() throws(LSMError) {
        try cursor.prev()
        if !cursor.isValid { try skipEmptyBackward() }
    }

    /// Points the cursor at file `newIndex` (unpositioned), unless it is there already.
    private func open(_ newIndex: Int) throws(LSMError) {
        guard newIndex != index else { return }
        cursor = TableCursor(table: try tableCache.table(number: files[newIndex].number), fillsCache: fillsCache)
        index = newIndex
    }

    private func skipEmptyForward() throws(LSMError) {
        while !cursor.isValid && index + 1 < files.count {
            try open(index + 1)
            try cursor.seekToFirst()
        }
    }

    private func skipEmptyBackward() throws(LSMError) {
        while !cursor.isValid && index > 0 {
            try open(index - 1)
            try cursor.seekToLast()
        }
    }
}
