/// The lines entered at the `lsm cli` prompt, oldest first, kept between sessions in a file (`~/.lsm_history`), as
/// redis-cli keeps `~/.rediscli_history`.
///
/// The history is bounded: the newest ``maxEntries`` lines, none longer than ``maxEntryBytes``. A blank line, or
/// one equal to the line before it, is not added. The file holds one line per entry, as typed (UTF-8 or not);
/// only this user can read it. Without a file (no home directory), or when it cannot be written, the history
/// lasts as long as the session.
struct LineHistory {
    /// The most lines kept.
    static let maxEntries = 1000
    /// The longest line kept, in bytes: a huge pasted batch is not worth recalling, nor rewriting at every line.
    static let maxEntryBytes = 64 << 10

    /// The file the history is read from and written to, or nil for none.
    let path: String?
    private(set) var entries: [[UInt8]] = []

    /// The history in the file at `path`, if there is one and it can be read; an empty one otherwise.
    init(path: String?) {
        self.path = path
        let limit = Self.maxEntries * (Self.maxEntryBytes + 1)
        guard let path, let contents = FileTree.contents(of: path, limit: limit) else { return }
        for line in contents.split(separator: 0x0A) { add(Array(line)) }
    }

    /// `$HOME/.lsm_history`, or nil when `home` (the value of `HOME`) is unset or empty.
    static func defaultPath(home: String?) -> String? {
        guard let home, !home.isEmpty else { return nil }
        return (home.hasSuffix("/") ? home : home + "/") + ".lsm_history"
    }

    /// Adds `line` as the newest entry, dropping the oldest beyond ``maxEntries``, unless it is blank, too long or
    /// the same as the newest.
    mutating func add(_ line: [UInt8]) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }), line.count <= Self.maxEntryBytes,
            line != entries.last, !line.contains(0x0A)
        else { return }
        entries.append(line)
        if entries.count > Self.maxEntries { entries.removeFirst(entries.count - Self.maxEntries) }
    }

    /// Writes the entries to the file, if there is one; a failure is ignored (the history is a convenience).
    func save() {
        guard let path else { return }
        var contents: [UInt8] = []
        for entry in entries { contents += entry + [0x0A] }
        try? FileTree.write(contents, to: path, permissions: 0o600)
    }
}
