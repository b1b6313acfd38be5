import LSM

extension Optional where Wrapped == WriteBatch {
    /// Adds `batch` after the writes gathered so far (nil: none yet). The first batch becomes the gathered one
    /// itself, not a copy into a new one.
    mutating func gather(_ batch: WriteBatch) {
        if case .none = self {
            self = batch
        } else {
            self?.append(contentsOf: batch)
        }
    }
}
