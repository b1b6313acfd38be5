@testable import LSM

/// An entry as an iterator shows it: its internal key and value, copied out of the iterator's buffers.
typealias IteratedEntry = (key: [UInt8], value: [UInt8])

extension InternalIterator {
    /// Every entry from the first to the last, for comparing an iterator's whole forward order with a model.
    func entriesForward() throws(LSMError) -> [IteratedEntry] {
        try collectEntries(startingWith: seekToFirst, movingWith: next)
    }

    /// Every entry from the last to the first, for comparing an iterator's whole backward order with a model.
    func entriesBackward() throws(LSMError) -> [IteratedEntry] {
        try collectEntries(startingWith: seekToLast, movingWith: prev)
    }

    private func collectEntries(
        startingWith start: () throws(LSMError) -> Void, movingWith move: () throws(LSMError) -> Void
    ) throws(LSMError) -> [IteratedEntry] {
        var entries: [IteratedEntry] = []
        try start()
        while isValid {
            entries.append((key.array, value.array))
            try move()
        }
        return entries
    }
}
