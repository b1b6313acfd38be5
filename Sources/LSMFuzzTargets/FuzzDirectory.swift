import LSM

/// A database directory packed into one byte string: the input of the `directory` fuzz target.
///
/// The encoding is a sequence of files, each `[name byte][length][contents]`, made so that libFuzzer's mutations
/// nearly always leave an input that still decodes to the files a database writes:
/// - The name byte's top two bits give the kind of file and its low six bits the file number (0 to 63):
///   `00` `CURRENT` (the number is ignored), `01` `MANIFEST-NNNNNN`, `10` `NNNNNN.wal`, `11` `NNNNNN.sst`. Every
///   byte names a file.
/// - The length is an unsigned LEB128 varint. A length past the end of the input, or a varint the input cuts off,
///   takes the rest of the input.
/// - A later file of the same name replaces an earlier one.
///
/// Every byte string decodes to some directory (the empty string to an empty one). The encoding lists files in
/// name-byte order: `CURRENT` first, then manifests, logs and tables by number.
public struct FuzzDirectory: Sendable, Equatable {
    /// The files, by name.
    public private(set) var files: [String: [UInt8]]

    /// The directory an input encodes.
    public init(decoding input: UnsafeRawBufferPointer) {
        files = [:]
        var position = 0
        while position < input.count {
            let name = Self.names[Int(input[position])]
            position += 1
            var length = 0
            var shift = 0
            while position < input.count {
                let byte = input[position]
                position += 1
                if shift < 63 {
                    length |= Int(byte & 0x7F) << shift
                } else if byte & 0x7F != 0 {
                    length = .max  // beyond any input: the rest of it
                }
                shift += 7
                if byte < 0x80 { break }
            }
            let end = length <= input.count - position ? position + length : input.count
            files[name] = Array(input[position..<end])
            position = end
        }
    }

    /// The files of the database directory at `path`, without `LOCK` and `LOG` (which are not database state).
    ///
    /// Throws `.invalidArgument` for a file the encoding has no name for (any other name, or a number above 63),
    /// or the error of reading the directory.
    public init(packing path: String) throws(LSMError) {
        files = try Self.contents(of: path)
        if let stranger = files.keys.sorted().first(where: { Self.nameBytes[$0] == nil }) {
            throw LSMError(.invalidArgument, "cannot pack \(stranger): only CURRENT, manifests, logs and tables "
                           + "numbered up to 63 have a name byte", path: path)
        }
    }

    /// The input that decodes to these files.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        // Every name came from `names`, through decoding or a check when packing.
        for (byte, name) in files.keys.map({ (Self.nameBytes[$0]!, $0) }).sorted(by: { $0.0 < $1.0 }) {
            let contents = files[name]!
            bytes.append(byte)
            var length = contents.count
            while length >= 0x80 {
                bytes.append(UInt8(length & 0x7F) | 0x80)
                length >>= 7
            }
            bytes.append(UInt8(length))
            bytes += contents
        }
        return bytes
    }

    /// Writes every file into the existing directory at `path`, replacing files of the same names.
    public func write(into path: String) throws(LSMError) {
        for (name, bytes) in files {
            guard FuzzScratch.save(bytes, to: path + "/" + name) != nil else {
                throw LSMError(.ioError, "cannot write \(name)", path: path)
            }
        }
    }

    /// Every file in the directory at `path` with its contents, except `LOCK` and `LOG`: the files a database open
    /// may add without changing the database.
    public static func contents(of path: String) throws(LSMError) -> [String: [UInt8]] {
        var contents: [String: [UInt8]] = [:]
        for name in try PosixFileSystem().listDirectory(path) where name != "LOCK" && name != "LOG" {
            guard let bytes = FuzzScratch.load(path + "/" + name) else {
                throw LSMError(.ioError, "cannot read \(name)", path: path)
            }
            contents[name] = bytes
        }
        return contents
    }

    /// The name each byte stands for.
    private static let names: [String] = (0...255).map { byte in
        let digits = String(byte & 0x3F)
        let number = String(repeating: "0", count: 6 - digits.count) + digits
        switch byte >> 6 {
        case 0: return "CURRENT"
        case 1: return "MANIFEST-" + number
        case 2: return number + ".wal"
        default: return number + ".sst"
        }
    }

    /// The byte for each name (the smallest, for `CURRENT`).
    private static let nameBytes: [String: UInt8] = Dictionary(
        names.enumerated().map { ($0.element, UInt8($0.offset)) }, uniquingKeysWith: min)
}
