@testable import LSM
import LSMTools

/// A fresh directory for one test, removed with everything in it by `remove()`. Made by the tools' one maker of
/// temporary directories: under `$TMPDIR` when that is set, else /tmp.
struct TemporaryDirectory {
    let path: String

    /// With `inMemory`, the directory is made under /dev/shm (a tmpfs, where fsync costs nothing) when there is one
    /// and `$TMPDIR` is not set, for tests that open thousands of small databases.
    init(_ name: String = "test", inMemory: Bool = false) {
        let fallback = inMemory && PosixFileSystem().isDirectory("/dev/shm") ? "/dev/shm" : "/tmp"
        do {
            path = try FileTree.makeTemporaryDirectory(prefix: "swift-lsm-\(name)-", fallback: fallback)
        } catch {
            preconditionFailure("cannot make a temporary directory for a test: \(error)")
        }
    }

    /// A path inside the directory.
    func appending(_ name: String) -> String { path + "/" + name }

    func remove() {
        try? FileTree.remove(path)
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

extension FileSystem {
    /// The whole file's contents (tests only read files they made, so their size is known to be small).
    func readWholeFile(_ path: String) throws(LSMError) -> [UInt8] {
        let file = try openReadable(path)
        return try file.readExactly(at: 0, count: Int(file.size))
    }

    /// Replaces the file at `path` with `bytes`: how tests plant, copy and damage files.
    func writeWholeFile(_ bytes: [UInt8], to path: String) throws(LSMError) {
        let file = try openWritable(path, truncate: true)
        try file.append(bytes)
        try file.close()
    }
}

extension TableIdentity {
    /// An identity for tables that tests write outside any database.
    static func testing(_ fileNumber: UInt64 = 1) -> TableIdentity {
        TableIdentity(databaseID: DatabaseID(bytes: Array(repeating: 7, count: DatabaseID.byteCount))!,
                      fileNumber: fileNumber)
    }
}

/// `payloads` framed as a log of format version 1 (no file header, 9-byte record headers), as databases written
/// before format version 2 hold them.
func version1Log(_ payloads: [[UInt8]]) -> [UInt8] {
    var bytes: [UInt8] = []
    for payload in payloads {
        bytes.appendFixed32(payload.withUnsafeBytes { RecordFileFormat.version1Checksum(type: 1, payload: $0) })
        bytes.appendFixed32(UInt32(payload.count))
        bytes.append(1)
        bytes += payload
    }
    return bytes
}
