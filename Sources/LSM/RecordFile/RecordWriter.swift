/// Appends records to a log file in format version 2 (``RecordFileFormat``); one writer, not thread-safe.
///
/// Each record is framed into one contiguous scratch buffer and handed to the file with a single `append`, header
/// first, so a crash can leave at most the last record cut short, which readers treat as a torn tail. The scratch
/// buffer is owned here and reused, so a warmed writer allocates nothing per record; buffers grown past
/// ``retainedScratchLimit`` for an unusually large record are released again afterwards so one huge batch does not
/// pin its size in memory for the life of the log.
///
/// After an append fails the file may end in part of a record, and anything written behind it would sit after
/// damage, so the writer refuses further records and rethrows that first failure.
///
/// The bytes: docs/FORMAT.md, "Record".
final class RecordWriter {
    /// Largest scratch buffer kept between records.
    static let retainedScratchLimit = 4 << 20

    let file: any WritableFile
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0
    private var appendFailure: LSMError?

    /// A writer appending after whatever `file` already holds: its file header and whole records.
    init(file: any WritableFile) {
        self.file = file
        self.lastRecordOffset = file.size
    }

    /// Creates (or empties) the log at `path`, writes its file header and syncs it, so a manifest edit may name the
    /// log as soon as the caller has synced the directory. On failure the file is removed.
    ///
    /// With `reservationStep`, the file keeps that much disk space allocated ahead of its records
    /// (``WritableFile/reserveSpaceAhead(step:)``), which makes a synced append cheaper; it then reads as its records
    /// followed by zeros, which a reader takes for the end of an open log (docs/FORMAT.md, "Reading: torn tail or
    /// corruption"), until ``trimReservedSpace()``.
    static func create(
        _ path: String, header: RecordFileHeader, fileSystem: any FileSystem, reservationStep: UInt64 = 0
    ) throws(LSMError) -> RecordWriter {
        let file = try fileSystem.openWritable(path, truncate: true)
        if reservationStep > 0 { file.reserveSpaceAhead(step: reservationStep) }
        do {
            try file.append(header.encoded)
            try file.sync()
        } catch {
            try? file.close()
            try? fileSystem.removeFile(path)
            throw error
        }
        return RecordWriter(file: file)
    }

    deinit {
        scratch?.deallocate()
    }

    /// Bytes in the file, including what it held when the writer was made.
    var size: UInt64 { file.size }

    /// Where the last record this writer added starts; the file's size when it has added none.
    private(set) var lastRecordOffset: UInt64

    /// Appends one record carrying `payload` (which may be empty). Not durable until ``sync()``.
    func addRecord(_ payload: UnsafeRawBufferPointer) throws(LSMError) {
        try addRecord(payload, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Appends one record whose payload is `head` followed by `tail`: how a write's batch is logged behind a header
    /// stamped with its sequence, without a copy of the batch to stamp. Not durable until ``sync()``.
    func addRecord(_ head: UnsafeRawBufferPointer, _ tail: UnsafeRawBufferPointer) throws(LSMError) {
        if let appendFailure { throw appendFailure }
        let length = head.count + tail.count
        guard length <= RecordFileFormat.maxPayloadLength else {
            throw LSMError(.invalidArgument,
                           "log record of \(length) bytes exceeds the limit of \(RecordFileFormat.maxPayloadLength)",
                           path: file.path)
        }
        let record = framedRecord(head, tail)
        defer { if scratchCapacity > Self.retainedScratchLimit { releaseScratch() } }
        lastRecordOffset = file.size
        do {
            try file.append(record)
        } catch {
            appendFailure = error
            throw error
        }
    }

    func addRecord(_ payload: [UInt8]) throws(LSMError) {
        try payload.withBytes { (bytes: UnsafeRawBufferPointer) throws(LSMError) in try addRecord(bytes) }
    }

    /// Makes every record added so far durable.
    func sync() throws(LSMError) {
        try file.sync()
    }

    /// Gives back the space reserved past the records (see ``create(_:header:fileSystem:reservationStep:)``), so
    /// the file ends at its last record once synced; returns whether there was any.
    func trimReservedSpace() throws(LSMError) -> Bool {
        try file.trimReservedSpace()
    }

    func close() throws(LSMError) {
        try file.close()
    }

    /// Header and payload (`head` then `tail`) laid out in the scratch buffer; valid until the next call that
    /// touches the scratch.
    private func framedRecord(_ head: UnsafeRawBufferPointer, _ tail: UnsafeRawBufferPointer)
        -> UnsafeRawBufferPointer {
        let headerSize = RecordFileFormat.version2.recordHeaderSize
        let total = headerSize + head.count + tail.count
        let record = UnsafeMutableRawBufferPointer(start: reserveScratch(total), count: total)
        UnsafeMutableRawBufferPointer(rebasing: record[headerSize...]).copyMemory(from: head)
        UnsafeMutableRawBufferPointer(rebasing: record[(headerSize + head.count)...]).copyMemory(from: tail)
        RecordFileFormat.encodeRecordHeader(payload: UnsafeRawBufferPointer(rebasing: record[headerSize...]),
                                            into: record)
        return UnsafeRawBufferPointer(record)
    }

    /// The scratch buffer, grown (geometrically) to at least `count` bytes.
    private func reserveScratch(_ count: Int) -> UnsafeMutableRawPointer {
        if let scratch, scratchCapacity >= count { return scratch }
        let capacity = max(count, 2 * scratchCapacity, 4096)
        releaseScratch()
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        scratch = fresh
        scratchCapacity = capacity
        return fresh
    }

    private func releaseScratch() {
        scratch?.deallocate()
        scratch = nil
        scratchCapacity = 0
    }
}
