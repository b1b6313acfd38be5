#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import LSMTools

/// The parsers that read untrusted bytes, each behind one entry point that libFuzzer (through `lsm-fuzz`) and the
/// corpus replay in `swift test` both call.
///
/// An entry point feeds the input to the parser through the library's public API, as a user's damaged file or
/// typed line would reach it. A thrown ``LSMError`` or parse error is a correct answer to bad input; anything else
/// (a trap, an out-of-bounds access under the address sanitizer, a broken round trip) is a bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The write-ahead log reader and the write batch decoder (`LogFile`).
    case wal
    /// The SSTable reader: footer, index, filter, properties and data blocks (`TableFile`, with `verify()`).
    case table
    /// The manifest reader: `Database.info(at:)` (whose success counts as accepting the input), `Database.check(at:)`
    /// and the recovery `Database.open` runs.
    case manifest
    /// The CLI's quoting parser, and that formatting what it parsed parses back to the same bytes.
    case quoting
    /// A whole database directory (a ``FuzzDirectory``): `Database.info(at:)`, `Database.check(at:)`, then
    /// `Database.open` and, when it opens, scans both ways, reads, a write, a flush and a close. An open that throws
    /// must leave every file as it was. Accepted: the open and everything after it succeeded.
    case directory
    /// A table's point read (`TableFile.get`: filter probe, index seek, data block) for lookup keys the input lists
    /// after the table (see ``pointReadSeparator``) and keys taken from the table's entries, each answer checked
    /// against a scan of the entries when the table verifies. Accepted: the table verified and every lookup
    /// succeeded.
    case pointread
    /// The LZ4 decompressor, on the input as a stored compressed block (`CompressedBlock`), and a round trip of the
    /// input through the compressor.
    case lz4
    /// The server's RESP request parser (`RESPRequestParser`) on the input as a client's byte stream, fed whole,
    /// byte by byte and in two pieces, which must give the same requests and the same error; each request written
    /// again must parse back to itself.
    case resp

    /// Runs one input; returns whether the parser accepted it whole (false: it was rejected with an error).
    /// Traps when the parser breaks a property it promises.
    @discardableResult
    public func run(_ input: UnsafeRawBufferPointer, in scratch: FuzzScratch) -> Bool {
        switch self {
        case .wal: return runLog(input, scratch)
        case .table: return runTable(input, scratch)
        case .manifest: return runManifest(input, scratch)
        case .quoting: return runQuoting(input)
        case .directory: return runDirectory(input, scratch)
        case .pointread: return runPointRead(input, scratch)
        case .lz4: return runLZ4(input)
        case .resp: return runRESP(input)
        }
    }

    private func runLog(_ input: UnsafeRawBufferPointer, _ scratch: FuzzScratch) -> Bool {
        let path = scratch.store(input, as: "000001.wal")
        do {
            let log = try LogFile.open(path)
            while try log.next() != nil {}
            return log.tornTail == nil
        } catch {
            return false
        }
    }

    private func runTable(_ input: UnsafeRawBufferPointer, _ scratch: FuzzScratch) -> Bool {
        let path = scratch.store(input, as: "000001.sst")
        do {
            let table = try TableFile.open(path)
            _ = try table.indexEntries()
            let entries = table.entries()
            while try entries.next() != nil {}
            try table.verify()
            return true
        } catch {
            return false
        }
    }

    private func runManifest(_ input: UnsafeRawBufferPointer, _ scratch: FuzzScratch) -> Bool {
        // Each run starts from an empty directory: a recovery that succeeds writes files of its own.
        scratch.clear()
        // A manifest of format version 2 records its own number in its file header (bytes 32..<40, after the
        // 8-byte magic number): store it under that name, so a sound manifest is accepted.
        var number: UInt64 = 1
        if input.count >= 40, input.prefix(8).elementsEqual([0x89, 0x4C, 0x53, 0x4D, 0x4C, 0x4F, 0x47, 0x0A]) {
            number = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 32, as: UInt64.self)) % 1_000_000
        }
        let name = "MANIFEST-" + String(repeating: "0", count: max(0, 6 - String(number).count)) + String(number)
        Array("\(name)\n".utf8).withUnsafeBytes { _ = scratch.store($0, as: "CURRENT") }
        _ = scratch.store(input, as: name)
        var accepted = true
        do { _ = try Database.info(at: scratch.path) } catch { accepted = false }
        _ = try? Database.check(at: scratch.path)
        // Recovery as an open runs it; the tables and logs a manifest names are missing, so this mostly fails.
        var options = Options()
        options.createIfMissing = false
        if let db = try? Database.open(scratch.path, options: options) { try? db.close() }
        return accepted
    }

    private func runQuoting(_ input: UnsafeRawBufferPointer) -> Bool {
        let line = String(decoding: input, as: UTF8.self)
        guard let words = try? Quoting.split(line) else { return false }
        let formatted = words.map(Quoting.format).joined(separator: " ")
        guard let again = try? Quoting.split(formatted), again == words else {
            fatalError("quoting round trip broke: \(words) formatted as \(formatted) parses differently")
        }
        return true
    }
}
