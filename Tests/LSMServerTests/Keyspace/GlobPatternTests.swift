import Testing
@testable import LSMServer

@Suite struct GlobPatternTests {
    private func matches(_ pattern: String, _ subject: String) -> Bool {
        GlobPattern(Array(pattern.utf8)).matches(Array(subject.utf8))
    }

    @Test func starsAndQuestionMarksMatchRunsAndSingleBytes() {
        #expect(matches("*", "anything"))
        #expect(matches("h?llo", "hello"))
        #expect(matches("h?llo", "hallo"))
        #expect(!matches("h?llo", "hllo"))
        #expect(matches("h*llo", "hllo"))
        #expect(matches("h*llo", "heeeello"))
        #expect(!matches("h*llo", "heeeellox"))
        #expect(matches("*llo", "hello"))
        #expect(matches("he*", "he"))
        #expect(matches("a**b", "ab"))
        #expect(matches("*a*b*", "xxaxxbxx"))
        #expect(!matches("*a*b*", "xxbxxaxx"))
        #expect(!matches("abc", "abcd"))
        #expect(!matches("abcd", "abc"))
    }

    @Test func classesRangesNegationAndEscapes() {
        #expect(matches("h[ae]llo", "hello"))
        #expect(matches("h[ae]llo", "hallo"))
        #expect(!matches("h[ae]llo", "hillo"))
        #expect(matches("h[^e]llo", "hallo"))
        #expect(!matches("h[^e]llo", "hello"))
        #expect(matches("h[a-b]llo", "hbllo"))
        #expect(!matches("h[a-b]llo", "hcllo"))
        // A reversed range is the same range.
        #expect(matches("h[z-a]llo", "hmllo"))
        #expect(matches("[\\]]", "]"))
        #expect(matches("[\\-]", "-"))
        #expect(!matches("[\\-]", "\\"))
        #expect(matches("\\*", "*"))
        #expect(!matches("\\*", "x"))
        #expect(matches("\\?\\[", "?["))
        #expect(matches("[*?]", "?"))
        #expect(!matches("[*?]", "x"))
    }

    @Test func malformedPatternsReadAsRedisReadsThem() {
        // An unclosed class is a class ending the pattern.
        #expect(matches("x[abc", "xb"))
        #expect(!matches("x[abc", "xbc"))
        #expect(!matches("[", "["))
        #expect(matches("[^", "z"))
        // `[a-]`: a range from `]` (0x5D) to `a` (0x61), unclosed.
        #expect(matches("[a-]", "_"))
        #expect(!matches("[a-]", "-"))
        // An empty class matches nothing; the bracket after it is a literal.
        #expect(!matches("[]a]", "a"))
        #expect(!matches("[]a]", "]"))
        // A trailing backslash is a backslash.
        #expect(matches("a\\", "a\\"))
        #expect(matches("[a\\", "\\"))
    }

    @Test func theEmptySubjectMatchesOnlyTheEmptyPattern() {
        #expect(matches("", ""))
        #expect(!matches("*", ""))
        #expect(!matches("**", ""))
        #expect(!matches("", "a"))
    }

    @Test func bytesAreMatchedBinarySafelyAndRangesCompareThemUnsigned() {
        let pattern = GlobPattern([0x00, UInt8(ascii: "*"), UInt8(ascii: "["), 0x80, UInt8(ascii: "-"), 0xFF,
                                   UInt8(ascii: "]")])
        #expect(pattern.matches([0x00, 0x0D, 0x0A, 0x90]))
        #expect(pattern.matches([0x00, 0xFF]))
        #expect(!pattern.matches([0x00, 0x7F]))
        #expect(!pattern.matches([0x01, 0xFF]))
        #expect(GlobPattern([UInt8(ascii: "?")]).matches([0xC3]))
    }

    @Test func literalPrefixStopsAtTheFirstWildcardAndKeepsEscapedBytes() {
        #expect(GlobPattern(Array("user:*".utf8)).literalPrefix == Array("user:".utf8))
        #expect(GlobPattern(Array("a\\*b?c".utf8)).literalPrefix == Array("a*b".utf8))
        #expect(GlobPattern(Array("a[b]c".utf8)).literalPrefix == Array("a".utf8))
        #expect(GlobPattern(Array("*a".utf8)).literalPrefix.isEmpty)
        #expect(!GlobPattern(Array("user:*".utf8)).isLiteral)
        #expect(GlobPattern(Array("us\\*er".utf8)).isLiteral)
        #expect(GlobPattern(Array("us\\*er".utf8)).literalPrefix == Array("us*er".utf8))
        #expect(GlobPattern([]).isLiteral)
    }

    @Test func patternsThatBlowUpNaiveBacktrackingFinish() {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 20_000)
        #expect(!GlobPattern(Array("*a*a*a*a*a*a*a*a*a*a*a*a*b".utf8)).matches(long))
        #expect(GlobPattern(Array("*a*a*a*a*a*a*a*a*a*a*a*a*a".utf8)).matches(long))
        #expect(!GlobPattern(Array(String(repeating: "*?", count: 100).utf8) + Array("b".utf8)).matches(long))
    }

    /// The pattern's matches against Redis's `stringmatchlen` transcribed directly, on random short patterns and
    /// subjects over the bytes that mean something to it.
    @Test func agreesWithRedisOnRandomPatterns() {
        var generator = SplitMix64(seed: 0x5EED_6106)
        let patternBytes = Array("ab*?[]^-\\".utf8) + [0x00, 0xFF]
        let subjectBytes = Array("ab-]^\\*".utf8) + [0x00, 0xFF]
        var matched = 0
        for _ in 0..<40_000 {
            let pattern = (0..<Int.random(in: 0...7, using: &generator)).map { _ in
                patternBytes.randomElement(using: &generator) ?? 0
            }
            func randomByte() -> UInt8 { subjectBytes.randomElement(using: &generator) ?? 0 }
            // Half the subjects are random; half follow the pattern (a star becomes up to two bytes, a question
            // mark one), so that matches are common.
            let subject: [UInt8] = Bool.random(using: &generator)
                ? (0..<Int.random(in: 0...7, using: &generator)).map { _ in randomByte() }
                : pattern.flatMap { byte -> [UInt8] in
                    switch byte {
                    case UInt8(ascii: "*"): (0..<Int.random(in: 0...2, using: &generator)).map { _ in randomByte() }
                    case UInt8(ascii: "?"): [randomByte()]
                    default: [byte]
                    }
                }
            let expected = RedisGlob.match(pattern, 0, subject, 0)
            #expect(GlobPattern(pattern).matches(subject) == expected, "pattern \(pattern), subject \(subject)")
            if expected { matched += 1 }
        }
        // The comparison means something only if both outcomes occur often.
        #expect(matched > 8_000)
        #expect(matched < 32_000)
    }
}

/// Redis's `stringmatchlen` (util.c), transcribed as it is, without its nesting limit: recursive and exponential
/// in the worst case, for comparing with on short inputs. Reads past the pattern see the terminating zero byte, as
/// in C. Ranges compare bytes unsigned (as Redis does where `char` is unsigned).
private enum RedisGlob {
    static let star = UInt8(ascii: "*"), question = UInt8(ascii: "?"), open = UInt8(ascii: "[")
    static let close = UInt8(ascii: "]"), caret = UInt8(ascii: "^"), dash = UInt8(ascii: "-")
    static let backslash = UInt8(ascii: "\\")

    /// Whether `subject[s...]` matches `pattern[p...]`.
    static func match(_ pattern: [UInt8], _ p: Int, _ subject: [UInt8], _ s: Int) -> Bool {
        var p = p, s = s
        func at(_ index: Int) -> UInt8 { index < pattern.count ? pattern[index] : 0 }
        while p < pattern.count && s < subject.count {
            switch pattern[p] {
            case star:
                while at(p + 1) == star { p += 1 }
                if pattern.count - p == 1 { return true }
                while s < subject.count {
                    if match(pattern, p + 1, subject, s) { return true }
                    s += 1
                }
                return false
            case question:
                s += 1
            case open:
                p += 1
                let negated = at(p) == caret
                if negated { p += 1 }
                var matched = false
                while true {
                    if at(p) == backslash && pattern.count - p >= 2 {
                        p += 1
                        if pattern[p] == subject[s] { matched = true }
                    } else if at(p) == close {
                        break
                    } else if p >= pattern.count {
                        p -= 1
                        break
                    } else if pattern.count - p >= 3 && pattern[p + 1] == dash {
                        let low = min(pattern[p], pattern[p + 2]), high = max(pattern[p], pattern[p + 2])
                        p += 2
                        if subject[s] >= low && subject[s] <= high { matched = true }
                    } else if pattern[p] == subject[s] {
                        matched = true
                    }
                    p += 1
                }
                if negated { matched.toggle() }
                if !matched { return false }
                s += 1
            case backslash:
                if pattern.count - p >= 2 { p += 1 }
                if pattern[p] != subject[s] { return false }
                s += 1
            default:
                if pattern[p] != subject[s] { return false }
                s += 1
            }
            p += 1
            if s == subject.count {
                while at(p) == star { p += 1 }
                break
            }
        }
        return p == pattern.count && s == subject.count
    }
}

/// A seeded generator, so that a failing random case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
