/// The iterator every layer offers over its sorted entries (skiplist, block, table, level, merge).
///
/// Positioned or not (``isValid``); ``key`` and ``value`` borrow memory the iterator owns and are valid only until
/// the iterator next moves or is released: copy them to keep them. Keys are internal keys (see `InternalKey.swift`)
/// except where an iterator documents otherwise (an index block's keys are separators). Moves that read from disk
/// throw ``LSMError``; after a throw the iterator is invalid.
protocol InternalIterator: AnyObject {
    var isValid: Bool { get }
    /// Positions at the first entry.
    func seekToFirst() throws(LSMError)
    /// Positions at the last entry.
    func seekToLast() throws(LSMError)
    /// Positions at the first entry whose key is >= `target` in this iterator's order.
    func seek(_ target: UnsafeRawBufferPointer) throws(LSMError)
    /// Moves to the next entry; requires ``isValid``.
    func next() throws(LSMError)
    /// Moves to the previous entry; requires ``isValid``.
    func prev() throws(LSMError)
    /// The current key; requires ``isValid``.
    var key: UnsafeRawBufferPointer { get }
    /// The current value; requires ``isValid``.
    var value: UnsafeRawBufferPointer { get }
}

extension InternalIterator {
    func seek(_ target: [UInt8]) throws(LSMError) {
        try target.withBytes { (p: UnsafeRawBufferPointer) throws(LSMError) in try seek(p) }
    }
}
