/// A glob pattern as KEYS and SCAN's MATCH read it: Redis's `stringmatchlen`, binary-safe.
///
/// `*` matches any run of bytes, `?` any one byte, `[abc]` one of the bytes listed, `[^abc]` one byte not listed,
/// `[a-z]` a range (reversed ranges such as `[z-a]` too), and `\x` the byte `x` itself, also inside brackets.
/// Malformed patterns read as Redis reads them: an unclosed `[abc` is the class `[abc]` ending the pattern, a `-`
/// right before the closing `]` starts a range up to `]` itself (`[a-]` is `[]-a]`, unclosed), a trailing `\`
/// is a literal backslash. The empty string matches only the empty pattern, not even `*`, as in Redis (KEYS and
/// SCAN take the pattern `*` to mean "no pattern" before matching, so they list the empty key).
///
/// Two departures from Redis, both where Redis's behaviour is an accident: ranges compare bytes as unsigned (Redis
/// compares C `char`s, which are signed on x86 and unsigned on ARM, so `[a-\xff]` differs between its builds), and
/// there is no limit on the nesting of `*` (Redis stops matching, and reports no match, past 1000 nested stars).
///
/// The pattern is compiled once into one-byte tokens and stars; matching backtracks only to the last star, so a
/// match takes at most (pattern length × subject length) steps, and patterns such as `*a*a*a*a*b` cannot blow up.
struct GlobPattern: Sendable {
    /// One step of a compiled pattern.
    enum Token: Sendable, Equatable {
        /// Exactly this byte.
        case byte(UInt8)
        /// Any one byte (`?`).
        case anyByte
        /// One byte of the set (a bracket class, negation already applied).
        case oneOf(ByteSet)
        /// Any run of bytes, empty included (`*`, consecutive stars as one).
        case anyRun
    }

    let tokens: [Token]

    init(_ pattern: some Collection<UInt8>) {
        tokens = Self.compile(Array(pattern))
    }

    /// The bytes every match starts with: the tokens before the first that is not a plain byte. KEYS and SCAN
    /// seek to it and stop past it.
    var literalPrefix: [UInt8] {
        var prefix: [UInt8] = []
        for token in tokens {
            guard case .byte(let byte) = token else { break }
            prefix.append(byte)
        }
        return prefix
    }

    /// Whether the pattern matches exactly one string, its ``literalPrefix``.
    var isLiteral: Bool {
        tokens.allSatisfy { if case .byte = $0 { true } else { false } }
    }

    /// Whether `subject` matches the whole pattern.
    func matches<Subject: RandomAccessCollection<UInt8>>(_ subject: Subject) -> Bool where Subject.Index == Int {
        // Redis's loop runs only while bytes remain, so an empty subject matches nothing but the empty pattern.
        if subject.isEmpty { return tokens.isEmpty }
        var token = 0
        var index = subject.startIndex
        // The last star passed, and where its run currently ends: on a mismatch the star takes one byte more.
        // Backtracking to earlier stars is never needed, since the tokens after the last star can start anywhere
        // the earlier ones could have let them.
        var lastStar: Int?
        var lastStarEnd = index
        while index < subject.endIndex {
            if token < tokens.count {
                switch tokens[token] {
                case .anyRun:
                    lastStar = token
                    lastStarEnd = index
                    token += 1
                    continue
                case .anyByte:
                    token += 1
                    index += 1
                    continue
                case .byte(let byte) where byte == subject[index]:
                    token += 1
                    index += 1
                    continue
                case .oneOf(let set) where set.contains(subject[index]):
                    token += 1
                    index += 1
                    continue
                default:
                    break
                }
            }
            guard let star = lastStar else { return false }
            token = star + 1
            lastStarEnd += 1
            index = lastStarEnd
        }
        while token < tokens.count, tokens[token] == .anyRun { token += 1 }
        return token == tokens.count
    }

    /// The tokens of `pattern`, read as `stringmatchlen` reads it. A read past the end sees a zero byte, as Redis
    /// reads the terminator of its strings; no pattern character is zero, so a zero never changes a decision.
    private static func compile(_ pattern: [UInt8]) -> [Token] {
        let star = UInt8(ascii: "*"), question = UInt8(ascii: "?"), open = UInt8(ascii: "[")
        let close = UInt8(ascii: "]"), caret = UInt8(ascii: "^"), dash = UInt8(ascii: "-")
        let backslash = UInt8(ascii: "\\")
        let count = pattern.count
        func at(_ index: Int) -> UInt8 { index < count ? pattern[index] : 0 }

        var tokens: [Token] = []
        var index = 0
        while index < count {
            switch pattern[index] {
            case star:
                while at(index + 1) == star { index += 1 }
                tokens.append(.anyRun)
            case question:
                tokens.append(.anyByte)
            case open:
                index += 1
                let negated = at(index) == caret
                if negated { index += 1 }
                var set = ByteSet()
                while true {
                    if at(index) == backslash && count - index >= 2 {
                        index += 1
                        set.insert(pattern[index])
                    } else if at(index) == close {
                        break
                    } else if index >= count {
                        // Unclosed: the class ends the pattern.
                        break
                    } else if count - index >= 3 && pattern[index + 1] == dash {
                        set.insert(pattern[index], through: pattern[index + 2])
                        index += 2
                    } else {
                        set.insert(pattern[index])
                    }
                    index += 1
                }
                tokens.append(.oneOf(negated ? set.inverted : set))
            case backslash:
                // A trailing backslash stands for itself.
                if count - index >= 2 { index += 1 }
                tokens.append(.byte(pattern[index]))
            default:
                tokens.append(.byte(pattern[index]))
            }
            index += 1
        }
        return tokens
    }
}

/// A set of bytes, one bit each.
struct ByteSet: Sendable, Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    func contains(_ byte: UInt8) -> Bool {
        word(byte >> 6) & (1 << UInt64(byte & 63)) != 0
    }

    mutating func insert(_ byte: UInt8) {
        let bit: UInt64 = 1 << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    /// Inserts every byte from the smaller of `a` and `b` to the larger.
    mutating func insert(_ a: UInt8, through b: UInt8) {
        for byte in min(a, b)...max(a, b) { insert(byte) }
    }

    /// Every byte this set does not hold.
    var inverted: ByteSet {
        var result = ByteSet()
        result.words = (~words.0, ~words.1, ~words.2, ~words.3)
        return result
    }

    private func word(_ index: UInt8) -> UInt64 {
        switch index {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
    }

    static func == (lhs: ByteSet, rhs: ByteSet) -> Bool {
        lhs.words == rhs.words
    }
}
