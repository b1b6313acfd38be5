extension FileSystem {
    /// Opens the file a user named for inspection, expected to be `kind` ("an SSTable", "a log file"). An empty path
    /// or a directory throws `.invalidArgument` saying so, where opening it would give a less telling I/O error; a
    /// missing or unreadable file throws `.ioError`.
    func openInspectedFile(_ path: String, as kind: String) throws(LSMError) -> any ReadableFile {
        guard !path.isEmpty else { throw LSMError(.invalidArgument, "the file path is empty") }
        if isDirectory(path) {
            throw LSMError(.invalidArgument, "is a directory, not \(kind)", path: path)
        }
        return try openReadable(path)
    }
}
