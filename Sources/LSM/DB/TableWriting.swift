/// Writes the entries of a sorted iterator into a new, synced table file and describes it for the manifest.
///
/// Used by memtable flushes (and by recovery, which flushes what it replays from the logs). On any failure the
/// partial file is removed, so a failed flush leaves nothing behind.
func writeTable(
    from iterator: any InternalIterator, number: UInt64, databaseID: DatabaseID, directory: String,
    fileSystem: any FileSystem, options: TableOptions
) throws(LSMError) -> FileMetaData {
    let path = FileNames.path(directory, FileNames.table(number))
    do {
        let file = try fileSystem.openWritable(path, truncate: true)
        let builder = TableBuilder(file: file, options: options,
                                   identity: TableIdentity(databaseID: databaseID, fileNumber: number))
        try iterator.seekToFirst()
        while iterator.isValid {
            try builder.add(key: iterator.key, value: iterator.value)
            try iterator.next()
        }
        let properties = try builder.finish()
        try file.sync()
        try file.close()
        // The manifest will name this file: its directory entry must be durable first.
        try fileSystem.syncDirectory(directory)
        return FileMetaData(
            number: number, size: properties.fileSize, smallest: properties.smallestKey,
            largest: properties.largestKey, entryCount: properties.entryCount)
    } catch {
        try? fileSystem.removeFile(path)
        throw error
    }
}
