/// The line a person types at the `lsm cli` prompt, and the keys that edit it, as redis-cli's prompt has them.
///
/// The editor has no terminal of its own: ``feed(_:)`` takes the bytes the keys send, one at a time, and
/// ``takeScreen()`` gives the text that redraws the prompt and the line, so that tests drive it byte by byte and
/// check both the line and the screen. The line keeps exactly the bytes typed: UTF-8 characters (a character with
/// its combining marks is one step for the cursor) and, one byte each, bytes that are not UTF-8, which show as
/// `\xHH` as do characters that would not show (``TerminalText``). A line wider than the terminal scrolls sideways
/// to keep the cursor in view.
///
/// Keys: left and right (and Ctrl-B, Ctrl-F); Home and End (and Ctrl-A, Ctrl-E); Backspace (and Ctrl-H) and Delete;
/// up and down (and Ctrl-P, Ctrl-N) through ``history``; Ctrl-U, Ctrl-K and Ctrl-W delete to the start, to the end
/// and the word before the cursor; Ctrl-L clears the screen; Ctrl-C abandons the line for a fresh prompt; Ctrl-D
/// deletes the character under the cursor, or ends the input on an empty line; Enter (Ctrl-M or Ctrl-J) hands
/// the line over. Other control keys and escape sequences are ignored.
struct LineEditor {
    /// What a key finished.
    enum Outcome: Equatable {
        /// Enter: the line as typed.
        case line([UInt8])
        /// Ctrl-D on an empty line.
        case endOfInput
    }

    /// What is shown before the line.
    let prompt: String
    /// The terminal's width in columns; set it again when the terminal is resized.
    var columns = 80
    /// The lines entered before, which up and down bring back; a line entered is added to it.
    private(set) var history: LineHistory
    /// The longest line, in bytes: what is typed beyond it is dropped.
    private let maxBytes: Int

    /// The line's bytes.
    private var bytes: [UInt8] = []
    /// The byte length of each step of the cursor (a character with its marks, or a byte that is not UTF-8).
    private var steps: [Int] = []
    /// Where the cursor is: before step `cursor`, at byte `cursorOffset`.
    private var cursor = 0
    private var cursorOffset = 0
    /// The first step shown when the line is wider than the terminal.
    private var scroll = 0
    /// The start of a UTF-8 sequence whose other bytes have not come yet.
    private var partial: [UInt8] = []
    /// An escape sequence (ESC, `[` or `O`, parameters) whose last byte has not come yet.
    private var escape: [UInt8]?
    /// Whether the last key was a carriage return, so that a line feed right after it (CR LF) is the same Enter.
    private var afterCarriageReturn = false
    /// The history entry shown (`history.entries.count` is the new line), and the entries changed while browsing.
    private var historyIndex = 0
    private var historyEdits: [Int: [UInt8]] = [:]
    /// Text for the terminal not yet taken, and whether the line must be drawn again before it is.
    private var screen = ""
    private var needsRedraw = false

    init(prompt: String, history: LineHistory, maxBytes: Int = CLILineReader.defaultMaxLineBytes) {
        self.prompt = prompt
        self.history = history
        self.maxBytes = maxBytes
    }

    /// Starts a new, empty line: the prompt is drawn by the next ``takeScreen()``.
    mutating func start() {
        replaceLine(with: [])
        historyIndex = history.entries.count
        historyEdits = [:]
        scroll = 0
        needsRedraw = true
    }

    /// The line typed so far.
    var line: [UInt8] { bytes }

    /// The text that brings the terminal up to date with the line and the cursor, drawn once however many keys
    /// came since the last call.
    mutating func takeScreen() -> String {
        if needsRedraw { redraw() }
        defer { screen = "" }
        return screen
    }

    /// Handles one byte of a key; returns what it finished, if anything.
    mutating func feed(_ byte: UInt8) -> Outcome? {
        let followsCarriageReturn = afterCarriageReturn
        afterCarriageReturn = false
        if escape != nil { return continueEscape(byte) }
        if !partial.isEmpty {
            if byte & 0xC0 == 0x80 {
                partial.append(byte)
                if partial.count == TerminalText.sequenceLength(lead: partial[0]) { insertPartial() }
                return nil
            }
            insertPartial()
        }
        switch byte {
        case 0x0D:
            afterCarriageReturn = true
            return enter()
        case 0x0A:
            return followsCarriageReturn ? nil : enter()
        case 0x1B: escape = [byte]
        case 0x01: moveCursor(to: 0)
        case 0x02: moveCursor(to: cursor - 1)
        case 0x03: interrupt()
        case 0x04:
            guard !bytes.isEmpty else { return endOfInput() }
            delete(cursor..<cursor + 1)
        case 0x05: moveCursor(to: steps.count)
        case 0x06: moveCursor(to: cursor + 1)
        case 0x08, 0x7F: delete(cursor - 1..<cursor)
        case 0x0B: delete(cursor..<steps.count)
        case 0x0C:
            screen += "\u{1B}[H\u{1B}[2J"
            needsRedraw = true
        case 0x0E: browseHistory(by: 1)
        case 0x10: browseHistory(by: -1)
        case 0x15: delete(0..<cursor)
        case 0x17: delete(previousWordStart()..<cursor)
        case 0x00..<0x20: break
        case 0x20..<0x80: insert([byte])
        default:
            if let length = TerminalText.sequenceLength(lead: byte), length > 1 {
                partial = [byte]
            } else {
                insert([byte])
            }
        }
        return nil
    }

    // MARK: Keys

    /// Hands the line over: shows its end, leaves the cursor on the next row and adds it to the history.
    private mutating func enter() -> Outcome {
        moveCursor(to: steps.count)
        redraw()
        screen += "\r\n"
        let entered = bytes
        history.add(entered)
        start()
        needsRedraw = false
        return .line(entered)
    }

    /// Ctrl-D on an empty line: leaves the cursor on the next row.
    private mutating func endOfInput() -> Outcome {
        if needsRedraw { redraw() }
        screen += "\r\n"
        return .endOfInput
    }

    /// Ctrl-C: leaves the line as it was typed, marked `^C`, and starts a fresh one below it.
    private mutating func interrupt() {
        redraw()
        screen += "^C\r\n"
        start()
    }

    /// Goes on with an escape sequence: `ESC [ parameters final` or `ESC O final`; anything else after ESC (an
    /// Alt combination) is dropped with it.
    private mutating func continueEscape(_ byte: UInt8) -> Outcome? {
        guard var sequence = escape else { return nil }
        // Keys send short sequences: the bytes of a longer one are swallowed to its end, unremembered.
        if sequence.count < 16 { sequence.append(byte) }
        escape = sequence
        if sequence.count == 2 {
            if byte != UInt8(ascii: "[") && byte != UInt8(ascii: "O") { escape = nil }
            return nil
        }
        // Parameters and intermediates (`0`...`?`, space...`/`) come until the final byte.
        if (0x20...0x3F).contains(byte) { return nil }
        escape = nil
        let parameter = sequence.dropFirst(2).dropLast().prefix { $0 != UInt8(ascii: ";") }
        switch (byte, String(decoding: parameter, as: UTF8.self)) {
        case (UInt8(ascii: "A"), _): browseHistory(by: -1)
        case (UInt8(ascii: "B"), _): browseHistory(by: 1)
        case (UInt8(ascii: "C"), _): moveCursor(to: cursor + 1)
        case (UInt8(ascii: "D"), _): moveCursor(to: cursor - 1)
        case (UInt8(ascii: "H"), _), (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): moveCursor(to: 0)
        case (UInt8(ascii: "F"), _), (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): moveCursor(to: steps.count)
        case (UInt8(ascii: "~"), "3"): delete(cursor..<cursor + 1)
        default: break
        }
        return nil
    }

    private mutating func moveCursor(to step: Int) {
        let target = min(max(step, 0), steps.count)
        guard target != cursor else { return }
        if target < cursor {
            cursorOffset -= steps[target..<cursor].reduce(0, +)
        } else {
            cursorOffset += steps[cursor..<target].reduce(0, +)
        }
        cursor = target
        needsRedraw = true
    }

    /// Deletes the steps in `range` (clamped to the line).
    private mutating func delete(_ range: Range<Int>) {
        let range = range.clamped(to: 0..<steps.count)
        guard !range.isEmpty else { return }
        let start = steps[..<range.lowerBound].reduce(0, +)
        bytes.removeSubrange(start..<start + steps[range].reduce(0, +))
        steps.removeSubrange(range)
        if cursor >= range.upperBound {
            cursor -= range.count
        } else if cursor > range.lowerBound {
            cursor = range.lowerBound
        }
        cursorOffset = steps[..<cursor].reduce(0, +)
        scroll = min(scroll, cursor)
        needsRedraw = true
    }

    /// Where Ctrl-W deletes from: back over spaces, then over the word before them.
    private func previousWordStart() -> Int {
        var step = cursor
        var offset = cursorOffset
        func isSpace() -> Bool { steps[step - 1] == 1 && bytes[offset - 1] == 0x20 }
        while step > 0 && isSpace() {
            step -= 1
            offset -= 1
        }
        while step > 0 && !isSpace() {
            offset -= steps[step - 1]
            step -= 1
        }
        return step
    }

    /// The bytes of an unfinished UTF-8 sequence: one character when they form one, else a step per byte.
    private mutating func insertPartial() {
        let pending = partial
        partial = []
        if TerminalText.scalar(in: pending, at: 0) != nil {
            insert(pending)
        } else {
            for byte in pending { insert([byte]) }
        }
    }

    /// Inserts one character (or one byte that is not UTF-8) at the cursor; a mark joins the character before it.
    private mutating func insert(_ piece: [UInt8]) {
        guard bytes.count + piece.count <= maxBytes else { return }
        let joinsPrevious = cursor > 0 && Self.joins(piece, bytes[(cursorOffset - steps[cursor - 1])..<cursorOffset])
        bytes.insert(contentsOf: piece, at: cursorOffset)
        cursorOffset += piece.count
        if joinsPrevious {
            steps[cursor - 1] += piece.count
        } else {
            steps.insert(piece.count, at: cursor)
            cursor += 1
        }
        needsRedraw = true
    }

    /// Whether `piece` forms one character with the step `previous` (a combining mark, a joined emoji): both are
    /// UTF-8, and Swift counts them as one `Character`.
    private static func joins(_ piece: [UInt8], _ previous: ArraySlice<UInt8>) -> Bool {
        // Two ASCII characters never form one (CR LF, the one pair that does, is never in a line).
        if piece[0] < 0x80 && previous.last.map({ $0 < 0x80 }) == true { return false }
        let isText = { (step: ArraySlice<UInt8>) in step.count > 1 || step.first.map { $0 < 0x80 } == true }
        guard isText(piece[...]), isText(previous),
            let text = String(validating: previous + piece, as: UTF8.self)
        else { return false }
        return text.count == 1
    }

    /// Makes `line` the line, the cursor at its end.
    private mutating func replaceLine(with line: [UInt8]) {
        bytes = []
        steps = []
        cursor = 0
        cursorOffset = 0
        partial = []
        escape = nil
        for step in Self.steps(of: line) { insert(Array(step)) }
    }

    /// Shows the history entry `offset` away (older for -1), keeping the changes made to the one left.
    private mutating func browseHistory(by offset: Int) {
        let target = historyIndex + offset
        guard target >= 0 && target <= history.entries.count else { return }
        historyEdits[historyIndex] = bytes
        historyIndex = target
        replaceLine(with: historyEdits[target] ?? history.entries[target])
        scroll = 0
    }

    /// `line` cut into the cursor's steps: a character with the marks that join it, or a byte that is not UTF-8.
    private static func steps(of line: [UInt8]) -> [ArraySlice<UInt8>] {
        var steps: [ArraySlice<UInt8>] = []
        var index = 0
        while index < line.count {
            let length = line[index] < 0x80 ? 1 : TerminalText.scalar(in: line, at: index)?.length ?? 1
            steps.append(line[index..<index + length])
            index += length
        }
        return steps
    }

    // MARK: Drawing

    /// Draws the prompt and the part of the line around the cursor, clears the rest of the row and puts the
    /// cursor in place, as linenoise does: `\r`, the text, `ESC [0K`, `\r` and `ESC [nC`.
    private mutating func redraw() {
        needsRedraw = false
        let promptColumns = TerminalText.columns(prompt)
        // The last column stays empty, so that the terminal never wraps the row.
        let room = max(columns - promptColumns - 1, 1)
        // The first step shown stays where it was unless the cursor left the view: then the view moves just
        // enough to show the cursor and the step under it (or, at the end, a column for the cursor).
        scroll = min(scroll, cursor)
        let cursorCell = cursor < steps.count ? shown(step: cursor, offset: cursorOffset).columns : 1
        var used = cursorCell
        var first = cursor
        var firstOffset = cursorOffset
        while first > scroll {
            let width = shown(step: first - 1, offset: firstOffset - steps[first - 1]).columns
            if used + width > room { break }
            used += width
            first -= 1
            firstOffset -= steps[first]
        }
        scroll = first
        let cursorColumn = promptColumns + used - cursorCell
        var text = ""
        var filled = 0
        var step = scroll
        var offset = firstOffset
        while step < steps.count {
            let (piece, width) = shown(step: step, offset: offset)
            if filled + width > room { break }
            text += piece
            filled += width
            offset += steps[step]
            step += 1
        }
        screen += "\r" + prompt + text + "\u{1B}[0K\r"
        if cursorColumn > 0 { screen += "\u{1B}[\(cursorColumn)C" }
    }

    /// How the step starting at byte `offset` shows: UTF-8 that shows as itself, anything else as `\xHH` a byte.
    private func shown(step: Int, offset: Int) -> (text: String, columns: Int) {
        var text = ""
        var columns = 0
        for piece in Quoting.pieces(of: Array(bytes[offset..<offset + steps[step]])) {
            switch piece {
            case .ascii(let byte) where byte >= 0x20 && byte < 0x7F:
                text.unicodeScalars.append(Unicode.Scalar(byte))
                columns += 1
            case .text(let scalar):
                text.unicodeScalars.append(scalar)
                columns += TerminalText.columns(scalar)
            case .ascii(let byte), .escaped(let byte):
                text += "\\x"
                Quoting.appendHex(byte, to: &text)
                columns += 4
            }
        }
        return (text, columns)
    }
}
