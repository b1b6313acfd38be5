/// The `CURRENT` file: the name of the live manifest and a line feed (docs/FORMAT.md, "CURRENT").
enum CurrentFile {
    /// Longest `CURRENT` file read: it holds one manifest name, far shorter than this.
    static let sizeLimit = 256

    /// The bytes of a `CURRENT` naming manifest `number`.
    static func contents(naming number: UInt64) -> [UInt8] {
        Array((FileNames.manifest(number) + "\n").utf8)
    }

    /// The manifest number `bytes` name, or nil when they are not a manifest name and a line feed.
    static func manifestNumber(in bytes: [UInt8]) -> UInt64? {
        guard bytes.last == UInt8(ascii: "\n"), let text = String(validating: bytes.dropLast(), as: UTF8.self),
              case .manifest(let number) = FileNames.parse(text)
        else { return nil }
        return number
    }

    /// The bytes of the `CURRENT` file in `directory` (never more than ``sizeLimit``: a larger file is
    /// `.corruption`).
    static func read(directory: String, fileSystem: any FileSystem) throws(LSMError) -> [UInt8] {
        try fileSystem.readSmallFile(FileNames.path(directory, FileNames.current), limit: sizeLimit)
    }
}
