/// Writes the entries and range deletions of `memtable`, which holds at least one, into new table `number`, synced
/// with its directory entry, and describes it for the manifest.
///
/// Used by memtable flushes (and by recovery, which flushes what it replays from the logs). On any failure the
/// partial file is removed, so a failed flush leaves nothing behind.
func writeTable(
    from memtable: MemTable, number: UInt64, databaseID: DatabaseID, directory: String,
    fileSystem: any FileSystem, options: TableOptions
) throws(LSMError) -> FileMetaData {
    var writer = TableOutputWriter(
        fileSystem: fileSystem, directory: directory, tableOptions: options, targetFileSize: nil,
        databaseID: databaseID, newFileNumber: { number })
    writer.addRangeDeletions(memtable.rangeTombstones)
    let iterator = memtable.makeIterator()
    do throws(LSMError) {
        iterator.seekToFirst()
        while iterator.isValid {
            try writer.add(key: iterator.key, value: iterator.value, userKey: userKey(of: iterator.key))
            iterator.next()
        }
        try writer.finish()
        guard let file = writer.outputs.first else {
            throw LSMError(.invalidArgument, "a table must hold at least one entry or range deletion",
                           path: FileNames.path(directory, FileNames.table(number)))
        }
        // The manifest will name this file: its directory entry must be durable first.
        try fileSystem.syncDirectory(directory)
        return file
    } catch {
        writer.abandon()
        throw error
    }
}
