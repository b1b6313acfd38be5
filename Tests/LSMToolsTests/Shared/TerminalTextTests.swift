import Testing
@testable import LSMTools

/// Columns, padding and cutting of text that holds accented, wide and combining characters.
@Suite struct TerminalTextTests {
    @Test func columnsCountWideAndCombiningCharacters() {
        #expect(TerminalText.columns("abc") == 3)
        #expect(TerminalText.columns("café") == 4)
        #expect(TerminalText.columns("e\u{301}") == 1)
        #expect(TerminalText.columns("中文") == 4)
        #expect(TerminalText.columns("한") == 2)
        #expect(TerminalText.columns("😀") == 2)
        #expect(TerminalText.columns("ＡＢ") == 4)
        #expect(TerminalText.columns("") == 0)
    }

    @Test func padsAndCutsByColumns() {
        #expect(TerminalText.padRight("中", 4) == "中  ")
        #expect(TerminalText.padLeft("é", 3) == "  é")
        #expect(TerminalText.padRight("toolong", 3) == "toolong")
        #expect(TerminalText.cut("中文中文", 6) == "中...")
        #expect(TerminalText.cut("中文中", 6) == "中文中")
        #expect(TerminalText.cut("crème brûlée", 8) == "crème...")
        // A character and the mark on it are kept or cut together.
        #expect(TerminalText.cut("ae\u{301}e\u{301}xyz", 5) == "ae\u{301}...")
    }

    @Test func decodesOnlyWellFormedSequences() {
        #expect(TerminalText.scalar(in: Array("é".utf8), at: 0)?.scalar == "é")
        #expect(TerminalText.scalar(in: Array("😀".utf8), at: 0)?.length == 4)
        #expect(TerminalText.scalar(in: Array("a".utf8), at: 0) == nil)
        #expect(TerminalText.scalar(in: [0xC3], at: 0) == nil)
        #expect(TerminalText.scalar(in: [0xC1, 0x81], at: 0) == nil)
        #expect(TerminalText.scalar(in: [0xED, 0xBF, 0xBF], at: 0) == nil)
        #expect(TerminalText.scalar(in: [0x41, 0xE2, 0x82, 0xAC], at: 1)?.scalar == "€")
        #expect(TerminalText.sequenceLength(lead: 0x80) == nil)
        #expect(TerminalText.sequenceLength(lead: 0xF5) == nil)
    }
}
