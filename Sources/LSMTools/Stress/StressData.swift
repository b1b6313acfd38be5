/// How the stress tool names keys and fills values so that any wrong answer is recognisable.
///
/// Key `i` is `k` and `i` in ten zero-padded digits, so bytewise order is numeric order. A value is
/// `<key>@<version>|` followed by filler letters that depend on key and version, up to the value size (values
/// are never shorter than that header): a value read back names the key and the write it came from, and a
/// damaged byte anywhere makes it differ from the value that write stored.
enum StressData {
    /// The largest key space a run may use: ten digits are plenty, and each thread keeps 8 bytes per key.
    static let maxKeys = 100_000_000
    private static let keyDigits = 10

    /// Marks an expectation as "deleted at this version" (the other bits hold the version).
    static let deletedFlag: UInt64 = 1 << 63

    /// The key with index `index`.
    static func key(_ index: Int) -> [UInt8] {
        var key = [UInt8](repeating: UInt8(ascii: "0"), count: 1 + keyDigits)
        key[0] = UInt8(ascii: "k")
        var rest = index
        var position = keyDigits
        while rest > 0 && position > 0 {
            key[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            position -= 1
        }
        return key
    }

    /// The key's text, for messages.
    static func keyText(_ index: Int) -> String { String(decoding: key(index), as: UTF8.self) }

    /// The index a key names, or nil when it is not a key this tool writes.
    static func keyIndex<Bytes: Collection<UInt8>>(_ key: Bytes) -> Int? {
        guard key.count == 1 + keyDigits, key.first == UInt8(ascii: "k") else { return nil }
        var index = 0
        for byte in key.dropFirst() {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            index = index * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return index
    }

    /// The value written for key `index` at `version`, at least `size` bytes long.
    static func value(key index: Int, version: UInt64, size: Int) -> [UInt8] {
        var value = key(index)
        value.append(UInt8(ascii: "@"))
        value.append(contentsOf: String(version).utf8)
        value.append(UInt8(ascii: "|"))
        let start = UInt64(index) &* 7 &+ version &* 13
        var j: UInt64 = 0
        while value.count < size {
            value.append(UInt8(ascii: "a") + UInt8((start &+ j) % 26))
            j += 1
        }
        return value
    }

    /// The key index and version a value's header names, or nil when it has no well-formed header.
    static func header(of value: [UInt8]) -> (key: Int, version: UInt64)? {
        let keyLength = 1 + keyDigits
        guard value.count > keyLength + 2, value[keyLength] == UInt8(ascii: "@"),
            let key = keyIndex(value[0..<keyLength])
        else { return nil }
        var version: UInt64 = 0
        var position = keyLength + 1
        while position < value.count && value[position] != UInt8(ascii: "|") {
            let byte = value[position]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"), position - keyLength <= 19 else { return nil }
            version = version * 10 + UInt64(byte - UInt8(ascii: "0"))
            position += 1
        }
        guard position < value.count, position > keyLength + 1 else { return nil }
        return (key, version)
    }

    /// The version of key `index` that `value` is exactly, or nil when it is no intact value of that key.
    static func version(of value: [UInt8], key index: Int, size: Int) -> UInt64? {
        guard let header = header(of: value), header.key == index,
            value == Self.value(key: index, version: header.version, size: size)
        else { return nil }
        return header.version
    }

    /// `key K: expected X, got Y` when `got` is not what the expectation `state` (see ``deletedFlag``) calls for,
    /// or nil when it is.
    static func mismatch(key index: Int, expected state: UInt64, got: [UInt8]?, size: Int) -> String? {
        let matches =
            state == 0 || state & deletedFlag != 0 ? got == nil : got == value(key: index, version: state, size: size)
        if matches { return nil }
        return "key \(keyText(index)): expected \(describeExpectation(key: index, state: state, size: size)), "
            + "got \(describe(got, size: size))"
    }

    /// What a thread expects for a key, in words: the value it wrote last, or why it expects nothing.
    static func describeExpectation(key index: Int, state: UInt64, size: Int) -> String {
        if state == 0 { return "nil (never written)" }
        if state & deletedFlag != 0 { return "nil (deleted at version \(state & ~deletedFlag))" }
        return describe(value(key: index, version: state, size: size), size: size)
    }

    /// What was read, in words: nil, an intact value (key and version), a damaged one, or undecodable bytes.
    static func describe(_ value: [UInt8]?, size: Int) -> String {
        guard let value else { return "nil" }
        guard let header = header(of: value) else {
            let shown = Quoting.format(Array(value.prefix(40)))
            return "an undecodable value of \(value.count) bytes: \(shown)\(value.count > 40 ? "..." : "")"
        }
        let name = "\(keyText(header.key))@\(header.version)"
        if value == Self.value(key: header.key, version: header.version, size: size) {
            return "\(name) (\(value.count) bytes)"
        }
        return "\(name) with damaged bytes (\(value.count) bytes)"
    }
}
