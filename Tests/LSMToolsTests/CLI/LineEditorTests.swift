import Testing
@testable import LSMTools

/// An editor fed key bytes as a terminal sends them, remembering what the keys finished.
private struct Keyboard {
    var editor: LineEditor
    var outcomes: [LineEditor.Outcome] = []

    init(columns: Int = 80, history: [String] = [], maxBytes: Int = CLILineReader.defaultMaxLineBytes) {
        var lines = LineHistory(path: nil)
        for line in history { lines.add(Array(line.utf8)) }
        editor = LineEditor(prompt: "lsm> ", history: lines, maxBytes: maxBytes)
        editor.columns = columns
        editor.start()
        _ = editor.takeScreen()
    }

    /// Feeds `keys` and returns what the screen is told.
    @discardableResult
    mutating func type(_ keys: [UInt8]) -> String {
        for byte in keys {
            if let outcome = editor.feed(byte) { outcomes.append(outcome) }
        }
        return editor.takeScreen()
    }

    @discardableResult
    mutating func type(_ text: String) -> String { type(Array(text.utf8)) }

    var line: String { String(decoding: editor.line, as: UTF8.self) }
}

/// Key sequences: escape sequences of VT100 and xterm (CSI and SS3 forms), and control keys.
private enum Key {
    static let left = "\u{1B}[D"
    static let right = "\u{1B}[C"
    static let up = "\u{1B}[A"
    static let down = "\u{1B}[B"
    static let home = "\u{1B}[H"
    static let end = "\u{1B}[F"
    static let delete = "\u{1B}[3~"
    static let backspace = "\u{7F}"
    static let enter = "\r"

    /// Ctrl and `letter`.
    static func control(_ letter: Character) -> String {
        String(UnicodeScalar(letter.asciiValue! & 0x1F))
    }
}

/// Redrawing the row: `\r`, prompt and text, erase to the end of the row, `\r`, then the cursor `column` right.
private func row(_ text: String, cursor column: Int) -> String {
    "\rlsm> \(text)\u{1B}[0K\r\u{1B}[\(column)C"
}

@Suite struct LineEditorTests {
    @Test func typedCharactersAreDrawnAfterThePrompt() {
        var editor = LineEditor(prompt: "lsm> ", history: LineHistory(path: nil))
        editor.start()
        #expect(editor.takeScreen() == row("", cursor: 5))
        #expect(editor.takeScreen() == "", "nothing changed since")
        var keys = Keyboard()
        #expect(keys.type("get a") == row("get a", cursor: 10))
        #expect(keys.line == "get a")
    }

    @Test func enterHandsTheLineOverAndStartsAnEmptyOne() {
        var keys = Keyboard()
        #expect(keys.type("put a 1\r") == row("put a 1", cursor: 12) + "\r\n")
        #expect(keys.outcomes == [.line(Array("put a 1".utf8))])
        #expect(keys.line == "")
        // A line feed enters too; after a carriage return it is the same Enter (CR LF), else an empty line.
        keys.type("x\r\ny\n\n")
        #expect(keys.outcomes.dropFirst() == [.line(Array("x".utf8)), .line(Array("y".utf8)), .line([])])
    }

    @Test(arguments: [
        (Key.left, Key.right), ("\u{1B}OD", "\u{1B}OC"), (Key.control("B"), Key.control("F")),
        ("\u{1B}[1;5D", "\u{1B}[1;5C"),
    ])
    func leftAndRightMoveTheCursor(left: String, right: String) {
        var keys = Keyboard()
        keys.type("abc")
        #expect(keys.type(left + left) == row("abc", cursor: 6))
        keys.type("X")
        #expect(keys.line == "aXbc")
        #expect(keys.type(right) == row("aXbc", cursor: 8))
        // Past either end the cursor stays.
        #expect(keys.type(right + right) == row("aXbc", cursor: 9))
        keys.type(left + left + left + left + left + left + "<")
        #expect(keys.line == "<aXbc")
    }

    @Test(arguments: [
        (Key.home, Key.end), ("\u{1B}[1~", "\u{1B}[4~"), ("\u{1B}[7~", "\u{1B}[8~"), ("\u{1B}OH", "\u{1B}OF"),
        (Key.control("A"), Key.control("E")),
    ])
    func homeAndEndGoToTheEnds(home: String, end: String) {
        var keys = Keyboard()
        keys.type("scan")
        #expect(keys.type(home) == row("scan", cursor: 5))
        keys.type("r")
        #expect(keys.type(end) == row("rscan", cursor: 10))
        keys.type(" a")
        #expect(keys.line == "rscan a")
    }

    @Test func backspaceAndDeleteRemoveACharacter() {
        var keys = Keyboard()
        keys.type("abcd")
        keys.type(Key.backspace)
        #expect(keys.line == "abc")
        keys.type(Key.left + Key.left + Key.control("H"))
        #expect(keys.line == "bc")
        keys.type(Key.backspace)
        #expect(keys.line == "bc", "nothing before the cursor")
        #expect(keys.type(Key.delete) == row("c", cursor: 5))
        keys.type(Key.end + Key.delete)
        #expect(keys.line == "c", "nothing under the cursor")
        // Ctrl-D on a line that is not empty deletes under the cursor and ends nothing.
        keys.type(Key.home + Key.control("D"))
        #expect(keys.line == "")
        #expect(keys.outcomes.isEmpty)
    }

    @Test func controlDOnAnEmptyLineEndsTheInput() {
        var keys = Keyboard()
        #expect(keys.type(Key.control("D")) == "\r\n")
        #expect(keys.outcomes == [.endOfInput])
        // The line is drawn as it is before the cursor leaves it, and nothing is drawn after.
        var emptied = Keyboard()
        #expect(emptied.type("a" + Key.backspace + Key.control("D")) == row("", cursor: 5) + "\r\n")
        #expect(emptied.outcomes == [.endOfInput])
    }

    @Test func controlCAbandonsTheLineForAFreshPrompt() {
        var keys = Keyboard(history: ["get a"])
        keys.type("put half")
        #expect(keys.type(Key.control("C")) == row("put half", cursor: 13) + "^C\r\n" + row("", cursor: 5))
        #expect(keys.line == "")
        #expect(keys.outcomes.isEmpty)
        #expect(keys.editor.history.entries == [Array("get a".utf8)], "an abandoned line is not kept")
        keys.type("get b\r")
        #expect(keys.outcomes == [.line(Array("get b".utf8))])
    }

    @Test func controlUKAndWDeleteToTheStartTheEndAndAWord() {
        var keys = Keyboard()
        keys.type("put key value" + Key.left + Key.left)
        keys.type(Key.control("K"))
        #expect(keys.line == "put key val")
        keys.type(Key.control("W"))
        #expect(keys.line == "put key ")
        keys.type(Key.control("W"))
        #expect(keys.line == "put ", "spaces before the cursor, then the word before them")
        keys.type("k2" + Key.left + Key.left + Key.control("U"))
        #expect(keys.line == "k2")
        #expect(keys.type("!") == row("!k2", cursor: 6))
    }

    @Test func controlLClearsTheScreenAndRedraws() {
        var keys = Keyboard()
        keys.type("get a")
        #expect(keys.type(Key.control("L")) == "\u{1B}[H\u{1B}[2J" + row("get a", cursor: 10))
    }

    @Test func otherControlKeysAndUnknownSequencesAreIgnored() {
        var keys = Keyboard()
        keys.type("ab")
        for ignored in [
            "\t", Key.control("G"), Key.control("T"), Key.control("R"), "\u{1B}[5~", "\u{1B}b", "\u{1B}\u{1B}",
            "\u{1B}[" + String(repeating: "1", count: 20) + "~", "\u{0}",
        ] {
            keys.type(ignored)
            #expect(keys.line == "ab", "\(ignored)")
        }
        keys.type("c")
        #expect(keys.line == "abc")
    }

    @Test(arguments: [(Key.up, Key.down), (Key.control("P"), Key.control("N")), ("\u{1B}OA", "\u{1B}OB")])
    func upAndDownBrowseTheHistory(up: String, down: String) {
        var keys = Keyboard(history: ["put a 1", "get a"])
        keys.type("sc")
        #expect(keys.type(up) == row("get a", cursor: 10))
        keys.type(up)
        #expect(keys.line == "put a 1")
        keys.type(up)
        #expect(keys.line == "put a 1", "the oldest stays")
        keys.type(down)
        #expect(keys.line == "get a")
        keys.type(down)
        #expect(keys.line == "sc", "the line being typed comes back")
        keys.type(down)
        #expect(keys.line == "sc")
    }

    @Test func editsWhileBrowsingAreKeptUntilEnterAndTheHistoryGrows() {
        var keys = Keyboard(history: ["put a 1", "get a"])
        keys.type(Key.up + Key.up + Key.backspace + "2")
        #expect(keys.line == "put a 2")
        keys.type(Key.down + Key.up)
        #expect(keys.line == "put a 2", "the edit is kept while browsing")
        keys.type(Key.enter)
        #expect(keys.outcomes == [.line(Array("put a 2".utf8))])
        let entries = keys.editor.history.entries.map { String(decoding: $0, as: UTF8.self) }
        #expect(entries == ["put a 1", "get a", "put a 2"])
        keys.type(Key.up + Key.up + Key.up)
        #expect(keys.line == "put a 1", "the entry itself was not changed")
        keys.type(Key.control("C") + Key.up)
        #expect(keys.line == "put a 2")
    }

    @Test func aCharacterIsOneStepHoweverManyBytes() {
        var keys = Keyboard()
        keys.type("é€😀")
        #expect(keys.type(Key.left) == row("é€😀", cursor: 7))
        keys.type("x")
        #expect(keys.line == "é€x😀")
        keys.type(Key.right + Key.backspace + Key.backspace)
        #expect(keys.line == "é€")
        keys.type(Key.home + Key.delete)
        #expect(keys.line == "€")
        // A combining mark joins the letter before it; the pair is one step and one column.
        keys.type(Key.end + "e\u{301}")
        #expect(keys.type(Key.left) == row("€e\u{301}", cursor: 6))
        keys.type(Key.delete)
        #expect(keys.line == "€")
        // Wide characters take two columns.
        keys.type("中文")
        #expect(keys.type(Key.left) == row("€中文", cursor: 8))
    }

    @Test func aCharacterTypedAByteAtATimeIsOneCharacter() {
        var keys = Keyboard()
        for byte in Array("😀".utf8) { keys.type([byte]) }
        #expect(keys.editor.line == Array("😀".utf8))
        keys.type(Key.left + "a")
        #expect(keys.line == "a😀")
    }

    @Test func bytesThatAreNotUTF8AreKeptAndShownEscaped() {
        var keys = Keyboard()
        #expect(keys.type([0x61, 0xFF, 0x62]) == row("a\\xffb", cursor: 11))
        #expect(keys.editor.line == [0x61, 0xFF, 0x62])
        keys.type(Key.left + Key.backspace)
        #expect(keys.editor.line == [0x61, 0x62], "the byte is one step")
        // A sequence broken off by an ASCII byte, an overlong one and a surrogate: every byte its own step.
        keys.type(Key.control("U"))
        keys.type([0xC3, 0x41, 0xC0, 0x80, 0xED, 0xA0, 0x80])
        #expect(keys.editor.line == [0xC3, 0x41, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x62])
        keys.type(Key.left + Key.left + Key.backspace)
        #expect(keys.editor.line == [0xC3, 0x41, 0xC0, 0x80, 0xA0, 0x80, 0x62])
        // A cut-short sequence before Enter is part of the line.
        var cut = Keyboard()
        cut.type([0x78, 0xE2, 0x82, 0x0D])
        #expect(cut.outcomes == [.line([0x78, 0xE2, 0x82])])
        // Characters that would not show are drawn escaped too, and kept as typed.
        var hidden = Keyboard()
        #expect(hidden.type("a\u{202E}b") == row("a\\xe2\\x80\\xaeb", cursor: 19))
        #expect(hidden.line == "a\u{202E}b")
    }

    @Test func aLongLineScrollsToKeepTheCursorInView() {
        // 20 columns: the prompt takes 5 and the last stays empty, leaving 14 for the line.
        var keys = Keyboard(columns: 20)
        let text = (0..<100).map { String($0 % 10) }.joined()
        let screen = keys.type(text)
        #expect(keys.line == text)
        #expect(screen == row(String(text.suffix(13)), cursor: 18))
        #expect(keys.type(Key.home) == row(String(text.prefix(14)), cursor: 5))
        // Moving right within the view does not scroll; past it, the view follows the cursor.
        #expect(keys.type(Key.right) == row(String(text.prefix(14)), cursor: 6))
        keys.type(String(repeating: Key.right, count: 13))
        #expect(keys.type(Key.right) == row(String(text.dropFirst(2).prefix(14)), cursor: 18))
        keys.type(Key.end + Key.enter)
        #expect(keys.outcomes == [.line(Array(text.utf8))])
    }

    @Test func wideCharactersScrollWholeAndTheViewNeverOverflows() {
        var keys = Keyboard(columns: 12)
        // Room for 6 columns: three wide characters, or two and the cursor at the end.
        let screen = keys.type("中文字符")
        #expect(screen == row("字符", cursor: 9))
        keys.type(Key.home)
        #expect(keys.type(Key.right) == row("中文字", cursor: 7))
        #expect(keys.line == "中文字符")
    }

    @Test func aPastedMegabyteLineIsTakenWhole() {
        var keys = Keyboard()
        let pasted = [UInt8](repeating: UInt8(ascii: "v"), count: 1 << 20)
        let screen = keys.type(Array("put k ".utf8) + pasted + [0x0D])
        #expect(keys.outcomes == [.line(Array("put k ".utf8) + pasted)])
        #expect(screen.utf8.count < 200, "one redraw of the visible part")
    }

    @Test func whatGoesBeyondTheLimitIsDropped() {
        var keys = Keyboard(maxBytes: 5)
        keys.type("abcdefg")
        #expect(keys.line == "abcde")
        keys.type(Key.backspace + "é")
        #expect(keys.line == "abcd", "a character that does not fit whole is dropped")
    }

    @Test func aPasteOfSeveralLinesIsSeveralLines() {
        var keys = Keyboard()
        keys.type("put a 1\nput b 2\nget")
        #expect(keys.outcomes == [.line(Array("put a 1".utf8)), .line(Array("put b 2".utf8))])
        #expect(keys.line == "get")
        #expect(keys.editor.history.entries.count == 2)
    }
}
