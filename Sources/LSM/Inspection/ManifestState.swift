/// A database's durable state as its manifest records it, read without taking the database's lock.
///
/// Used by ``Database/info(at:)`` and ``Database/check(at:)``, which must work while another process has the
/// database open. Reading is ``VersionSet/recover()`` on a private version set, which only reads `CURRENT` and the
/// manifest. A live writer may replace the manifest between the two reads (or delete the old one), so the read is
/// bracketed by a ``Fingerprint`` of `CURRENT` and the manifest's size, and repeated when the two differ.
struct ManifestState {
    /// What identifies the manifest state on disk: the bytes of `CURRENT` and the size of the manifest it names.
    /// Edits append to the manifest or switch `CURRENT` to a new one, so a change of state changes this.
    struct Fingerprint: Equatable {
        var current: [UInt8]?
        var manifestSize: UInt64?

        static func read(directory: String, fileSystem: any FileSystem) -> Fingerprint {
            let current = try? CurrentFile.read(directory: directory, fileSystem: fileSystem)
            let number = current.flatMap(CurrentFile.manifestNumber(in:))
            let size = number.flatMap { try? fileSystem.fileSize(FileNames.path(directory, FileNames.manifest($0))) }
            return Fingerprint(current: current, manifestSize: size)
        }
    }

    /// How many times a read is attempted while a live writer keeps changing the manifest.
    static let attempts = 5

    var version: Version
    var lastSequence: UInt64
    var logNumber: UInt64
    var nextFileNumber: UInt64
    var manifestNumber: UInt64
    var formatVersion: UInt32
    var databaseID: DatabaseID?
    var liveLogs: LiveLogs
    /// Where the manifest ended in a torn record (an edit cut short by a crash).
    var manifestTornTail: TornTail?
    var fingerprint: Fingerprint

    var manifestName: String { FileNames.manifest(manifestNumber) }

    /// Reads the state of the database in `directory`, which must exist and be a directory.
    ///
    /// Throws what ``VersionSet/recover()`` throws: `.notADatabase` without `CURRENT`, `.corruption` naming the
    /// file and offset for a damaged `CURRENT` or manifest, `.unsupportedFormat` for a newer one. An error seen
    /// while the manifest was changing under the read is retried first.
    static func read(directory: String, fileSystem: any FileSystem) throws(LSMError) -> ManifestState {
        var attempt = 1
        while true {
            let before = Fingerprint.read(directory: directory, fileSystem: fileSystem)
            let versions = VersionSet(fileSystem: fileSystem, directory: directory)
            var failure: LSMError?
            do {
                try versions.recover()
            } catch {
                failure = error
            }
            let after = Fingerprint.read(directory: directory, fileSystem: fileSystem)
            if before == after || attempt == attempts {
                if let failure { throw failure }
                return ManifestState(
                    version: versions.current, lastSequence: versions.lastSequence, logNumber: versions.logNumber,
                    nextFileNumber: versions.nextFileNumber, manifestNumber: versions.manifestFileNumber,
                    formatVersion: versions.formatVersion, databaseID: versions.databaseID,
                    liveLogs: versions.liveLogs, manifestTornTail: versions.manifestTornTail, fingerprint: after)
            }
            attempt += 1
        }
    }
}

extension FileNames {
    /// The last component of `path`: the name to give ``parse(_:)``.
    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Checks that `path` is a directory holding a `CURRENT` file, so that inspecting anything else fails with
    /// a clear `.notADatabase` naming the path.
    static func checkDatabaseDirectory(_ path: String, fileSystem: any FileSystem) throws(LSMError) {
        guard !path.isEmpty else { throw LSMError(.invalidArgument, "the database path is empty") }
        guard fileSystem.fileExists(path) else {
            throw LSMError(.notADatabase, "no such directory", path: path)
        }
        guard fileSystem.isDirectory(path) else {
            throw LSMError(.notADatabase, "is a file, not a database directory", path: path)
        }
        guard fileSystem.fileExists(FileNames.path(path, FileNames.current)) else {
            throw LSMError(.notADatabase, "the directory has no CURRENT file, so it holds no database", path: path)
        }
    }
}
