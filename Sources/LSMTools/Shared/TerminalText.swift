/// How UTF-8 text shows on a terminal: which characters may be printed as themselves, how many columns they take,
/// and padding and cutting text to a number of columns.
///
/// The tools print keys and values that may hold any bytes. A character is printed as itself only when it shows
/// as a visible mark: control and format characters (which can move the cursor, reorder text or hide it), spaces
/// other than ASCII's, separators, private-use and unassigned code points are escaped instead, as is a combining
/// mark with no visible character before it to combine with.
enum TerminalText {
    /// The scalar encoded by the well-formed UTF-8 sequence starting at `index` of `bytes`, and the sequence's
    /// length; nil for an ASCII byte, a byte that cannot start a sequence, or a sequence that is cut short,
    /// overlong, a surrogate or beyond U+10FFFF.
    static func scalar<Bytes: RandomAccessCollection<UInt8>>(
        in bytes: Bytes, at index: Bytes.Index
    ) -> (scalar: Unicode.Scalar, length: Int)? {
        guard let length = sequenceLength(lead: bytes[index]), length > 1,
            bytes.distance(from: index, to: bytes.endIndex) >= length
        else { return nil }
        var value = UInt32(bytes[index]) & (0x7F >> length)
        for byte in bytes[bytes.index(after: index)..<bytes.index(index, offsetBy: length)] {
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        let smallest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x1_0000
        guard value >= smallest, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    /// How many bytes a UTF-8 sequence starting with `lead` has, or nil when no sequence starts with it.
    static func sequenceLength(lead: UInt8) -> Int? {
        switch lead {
        case 0x00...0x7F: 1
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: nil
        }
    }

    /// Whether a non-ASCII `scalar` is printed as itself; `afterVisible` says whether a visible character comes
    /// just before it, for a combining mark (or a zero-width joiner in an emoji sequence) to attach to.
    static func isShown(_ scalar: Unicode.Scalar, afterVisible: Bool) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator, .paragraphSeparator:
            false
        case .format:
            afterVisible && scalar == "\u{200D}"
        case .nonspacingMark, .spacingMark, .enclosingMark:
            afterVisible
        default:
            true
        }
    }

    /// The columns a shown scalar takes: 0 for a mark that combines with the character before it or a joiner,
    /// 2 for the wide characters of East Asian scripts and emoji, 1 for the rest. An approximation of `wcwidth`
    /// that does not depend on the locale.
    static func columns(_ scalar: Unicode.Scalar) -> Int {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if scalar.properties.isEmojiPresentation { return 2 }
        let value = scalar.value
        return wideRanges.contains { $0.contains(value) } ? 2 : 1
    }

    /// East Asian wide and fullwidth blocks: Hangul Jamo, CJK radicals to Yi, Hangul syllables, compatibility
    /// ideographs, vertical and compatibility forms, fullwidth forms, and the ideographic planes.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x2_0000...0x2_FFFD, 0x3_0000...0x3_FFFD,
    ]

    /// The columns `text` takes.
    static func columns(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + columns($1) }
    }

    /// `text` padded with spaces on the right to `width` columns (wider text is left as it is).
    static func padRight(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - columns(text)))
    }

    /// `text` padded with spaces on the left to `width` columns.
    static func padLeft(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - columns(text))) + text
    }

    /// `text` cut to at most `width` columns, its end replaced by "...", when it is wider; `width` is at least 4.
    static func cut(_ text: String, _ width: Int) -> String {
        guard columns(text) > width else { return text }
        var kept = ""
        var used = 0
        for character in text {
            let taken = character.unicodeScalars.reduce(0) { $0 + columns($1) }
            if used + taken > width - 3 { break }
            kept.append(character)
            used += taken
        }
        return kept + "..."
    }
}
