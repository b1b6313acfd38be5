@testable import LSM

extension WriteBatch {
    /// The payload of the log record that commits this batch at `sequence`: its header stamped, then its entries.
    func logRecord(sequence: UInt64) -> [UInt8] {
        withEntries { entries in
            WriteBatch.withLogRecordHeader(firstSequence: sequence, count: count) { header in
                header.array + entries.array
            }
        }
    }
}
