/// One change to the set of tables and counters, as the manifest records it: the difference between two versions.
///
/// Encoded as a sequence of tagged fields (a varint32 tag, then the field), in any order, so that a snapshot and an
/// incremental edit share one format. docs/FORMAT.md lists the tags byte by byte.
struct VersionEdit: Equatable {
    /// A table added at a level.
    struct NewFile: Equatable {
        var level: Int
        var file: FileMetaData
    }

    /// A table removed from a level.
    struct DeletedFile: Hashable {
        var level: Int
        var number: UInt64
    }

    /// A write-ahead log the database stopped appending to: its final size, and where its last record starts
    /// (the size when it holds no record).
    struct ClosedLog: Equatable, Sendable {
        var number: UInt64
        var size: UInt64
        var lastRecordOffset: UInt64
    }

    /// The manifest format version this build writes: version 3 databases may hold values that expire, which
    /// builds that read only versions 1 and 2 would take for damage; version 4 databases may hold tables of format 4
    /// (packed trailers), which builds that read only versions 1 to 3 cannot read.
    static let currentFormatVersion: UInt32 = 4
    /// The manifest format versions this build reads: versions 1 (no identity, logs not tracked) to 3 are upgraded
    /// to the current version by the first open that writes.
    static let readableFormatVersions: ClosedRange<UInt32> = 1...4

    /// The manifest format version; present in the first edit of every manifest.
    var formatVersion: UInt32?
    /// The database's identity; present in the first edit of every version 2 manifest.
    var databaseID: DatabaseID?
    /// Write-ahead logs numbered below this are fully contained in tables and need no replay.
    var logNumber: UInt64?
    /// The next unused file number.
    var nextFileNumber: UInt64?
    /// The sequence number of the last write contained in the tables or the logs at or above ``logNumber``.
    var lastSequence: SequenceNumber?
    var deletedFiles: [DeletedFile] = []
    var newFiles: [NewFile] = []
    /// Write-ahead logs created: they hold writes not yet in tables until the log number passes them.
    var addedLogs: [UInt64] = []
    /// Write-ahead logs closed (synced, no further appends), with their final sizes.
    var closedLogs: [ClosedLog] = []

    /// Field tags. Values are part of the on-disk format: never renumber them.
    enum Tag: UInt32 {
        case formatVersion = 1
        case logNumber = 2
        case nextFileNumber = 3
        case lastSequence = 4
        case deletedFile = 5
        case newFile = 6
        case databaseID = 7
        case addedLog = 8
        case closedLog = 9
        /// A new table that holds range deletions: the fields of ``newFile`` and their count (format 3).
        case newFileWithRangeDeletions = 10
    }

    /// Whether the edit uses fields that only format version 2 defines.
    var usesVersion2Fields: Bool { databaseID != nil || !addedLogs.isEmpty || !closedLogs.isEmpty }

    mutating func addFile(level: Int, _ file: FileMetaData) {
        newFiles.append(NewFile(level: level, file: file))
    }

    mutating func deleteFile(level: Int, number: UInt64) {
        deletedFiles.append(DeletedFile(level: level, number: number))
    }

    /// The edit's bytes: counters first, then deletions, additions and logs. docs/FORMAT.md, "Version edit".
    func encode() -> [UInt8] {
        var out: [UInt8] = []
        if let formatVersion {
            out.appendVarint32(Tag.formatVersion.rawValue)
            out.appendVarint32(formatVersion)
        }
        if let databaseID {
            out.appendVarint32(Tag.databaseID.rawValue)
            out.appendLengthPrefixed(databaseID.bytes)
        }
        let counters = [(Tag.logNumber, logNumber), (.nextFileNumber, nextFileNumber), (.lastSequence, lastSequence)]
        for (tag, value) in counters {
            if let value {
                out.appendVarint32(tag.rawValue)
                out.appendVarint64(value)
            }
        }
        for deleted in deletedFiles {
            out.appendVarint32(Tag.deletedFile.rawValue)
            out.appendVarint32(UInt32(deleted.level))
            out.appendVarint64(deleted.number)
        }
        for added in newFiles {
            let withRangeDeletions = added.file.rangeDeletionCount > 0
            out.appendVarint32((withRangeDeletions ? Tag.newFileWithRangeDeletions : Tag.newFile).rawValue)
            out.appendVarint32(UInt32(added.level))
            out.appendVarint64(added.file.number)
            out.appendVarint64(added.file.size)
            out.appendVarint64(added.file.entryCount)
            out.appendLengthPrefixed(added.file.smallest)
            out.appendLengthPrefixed(added.file.largest)
            if withRangeDeletions { out.appendVarint64(added.file.rangeDeletionCount) }
        }
        for number in addedLogs {
            out.appendVarint32(Tag.addedLog.rawValue)
            out.appendVarint64(number)
        }
        for closed in closedLogs {
            out.appendVarint32(Tag.closedLog.rawValue)
            out.appendVarint64(closed.number)
            out.appendVarint64(closed.size)
            out.appendVarint64(closed.lastRecordOffset)
        }
        return out
    }

    /// Parses an encoded edit (docs/FORMAT.md, "Version edit"). Any malformed input (truncated field, unknown or
    /// repeated tag, level out of range, key shorter than a trailer or out of order) throws `.corruption`; the
    /// caller adds the file and offset with ``LSMError/located(path:offset:)``.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(LSMError) -> VersionEdit {
        var edit = VersionEdit()
        var reader = ByteReader(bytes)
        while !reader.isAtEnd {
            let fieldStart = reader.position
            guard let rawTag = reader.readVarint32() else { throw malformed("truncated tag", at: fieldStart) }
            guard let tag = Tag(rawValue: rawTag) else { throw malformed("unknown tag \(rawTag)", at: fieldStart) }
            switch tag {
            case .formatVersion:
                guard edit.formatVersion == nil else { throw malformed("repeated format version", at: fieldStart) }
                guard let value = reader.readVarint32() else {
                    throw malformed("truncated format version", at: fieldStart)
                }
                edit.formatVersion = value
            case .logNumber:
                guard edit.logNumber == nil else { throw malformed("repeated log number", at: fieldStart) }
                edit.logNumber = try readNumber(&reader, "log number", at: fieldStart)
            case .nextFileNumber:
                guard edit.nextFileNumber == nil else { throw malformed("repeated next file number", at: fieldStart) }
                edit.nextFileNumber = try readNumber(&reader, "next file number", at: fieldStart)
            case .lastSequence:
                guard edit.lastSequence == nil else { throw malformed("repeated last sequence", at: fieldStart) }
                let sequence = try readNumber(&reader, "last sequence", at: fieldStart)
                guard sequence <= maxSequenceNumber else {
                    throw malformed("last sequence \(sequence) exceeds the largest sequence number", at: fieldStart)
                }
                edit.lastSequence = sequence
            case .deletedFile:
                let level = try readLevel(&reader, at: fieldStart)
                let number = try readNumber(&reader, "deleted file number", at: fieldStart)
                edit.deletedFiles.append(DeletedFile(level: level, number: number))
            case .newFile:
                edit.newFiles.append(try readNewFile(&reader, at: fieldStart, withRangeDeletions: false))
            case .newFileWithRangeDeletions:
                edit.newFiles.append(try readNewFile(&reader, at: fieldStart, withRangeDeletions: true))
            case .databaseID:
                guard edit.databaseID == nil else { throw malformed("repeated database identity", at: fieldStart) }
                guard let bytes = reader.readLengthPrefixed(), let id = DatabaseID(bytes: bytes) else {
                    throw malformed("database identity is not \(DatabaseID.byteCount) bytes", at: fieldStart)
                }
                edit.databaseID = id
            case .addedLog:
                edit.addedLogs.append(try readNumber(&reader, "added log number", at: fieldStart))
            case .closedLog:
                let number = try readNumber(&reader, "closed log number", at: fieldStart)
                let size = try readNumber(&reader, "closed log size", at: fieldStart)
                let last = try readNumber(&reader, "closed log's last record offset", at: fieldStart)
                guard last <= size else {
                    throw malformed("closed log \(number)'s last record starts at \(last), past its size \(size)",
                                    at: fieldStart)
                }
                edit.closedLogs.append(ClosedLog(number: number, size: size, lastRecordOffset: last))
            }
        }
        return edit
    }

    private static func readNewFile(_ reader: inout ByteReader, at fieldStart: Int, withRangeDeletions: Bool)
        throws(LSMError) -> NewFile
    {
        let level = try readLevel(&reader, at: fieldStart)
        let number = try readNumber(&reader, "new file number", at: fieldStart)
        let size = try readNumber(&reader, "new file size", at: fieldStart)
        let entryCount = try readNumber(&reader, "new file entry count", at: fieldStart)
        let smallest = try readKey(&reader, "smallest", at: fieldStart)
        let largest = try readKey(&reader, "largest", at: fieldStart)
        guard compareInternalKeys(smallest, largest) <= 0 else {
            throw malformed("file \(number) has its smallest key above its largest", at: fieldStart)
        }
        let rangeDeletions = withRangeDeletions ? try readNumber(&reader, "range deletion count", at: fieldStart) : 0
        guard !withRangeDeletions || rangeDeletions > 0 else {
            throw malformed("file \(number) is recorded with range deletions but none", at: fieldStart)
        }
        return NewFile(level: level, file: FileMetaData(number: number, size: size, smallest: smallest,
                                                        largest: largest, entryCount: entryCount,
                                                        rangeDeletionCount: rangeDeletions))
    }

    private static func readNumber(_ reader: inout ByteReader, _ what: String, at fieldStart: Int)
        throws(LSMError) -> UInt64
    {
        guard let value = reader.readVarint64() else { throw malformed("truncated \(what)", at: fieldStart) }
        return value
    }

    private static func readLevel(_ reader: inout ByteReader, at fieldStart: Int) throws(LSMError) -> Int {
        guard let level = reader.readVarint32() else { throw malformed("truncated level", at: fieldStart) }
        guard level < Version.levelCount else { throw malformed("level \(level) out of range", at: fieldStart) }
        return Int(level)
    }

    /// A length-prefixed internal key: at least a trailer long, a known kind, at most the largest key plus trailer.
    private static func readKey(_ reader: inout ByteReader, _ what: String, at fieldStart: Int)
        throws(LSMError) -> [UInt8]
    {
        guard let key = reader.readLengthPrefixed() else { throw malformed("truncated \(what) key", at: fieldStart) }
        guard key.count <= Limits.maxKeySize + internalKeyTrailerSize, ParsedInternalKey(key) != nil else {
            throw malformed("\(what) key of \(key.count) bytes is not an internal key", at: fieldStart)
        }
        return key.array
    }

    private static func malformed(_ message: String, at position: Int) -> LSMError {
        .corruption("version edit: \(message) (field at byte \(position) of the edit)")
    }
}
