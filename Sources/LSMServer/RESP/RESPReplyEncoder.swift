import NIOCore

/// Writes replies into a `ByteBuffer` in RESP2 or RESP3, straight into its storage: numbers are written as digits
/// without making strings, and aggregates element by element.
///
/// Besides ``write(_:into:)`` for a whole ``RESPReply``, each type has a method of its own, and aggregates have
/// header methods after which the caller writes the elements, so a reply can also be written as it is produced.
public struct RESPReplyEncoder: Sendable {
    /// The protocol the replies are written in.
    public var version: RESPVersion

    /// An encoder writing `version`.
    public init(version: RESPVersion = .resp2) {
        self.version = version
    }

    /// Writes `reply`, with its elements.
    public func write(_ reply: RESPReply, into buffer: inout ByteBuffer) {
        switch reply {
        case .simpleString(let text): writeSimpleString(text, into: &buffer)
        case .error(let message): writeError(message, into: &buffer)
        case .integer(let value): writeInteger(value, into: &buffer)
        case .bulkString(let bytes): writeBulkString(bytes, into: &buffer)
        case .null: writeNull(into: &buffer)
        case .nullArray: writeNullArray(into: &buffer)
        case .array(let elements):
            writeArrayHeader(count: elements.count, into: &buffer)
            for element in elements { write(element, into: &buffer) }
        case .map(let pairs):
            writeMapHeader(count: pairs.count, into: &buffer)
            for (key, value) in pairs {
                write(key, into: &buffer)
                write(value, into: &buffer)
            }
        case .set(let members):
            writeSetHeader(count: members.count, into: &buffer)
            for member in members { write(member, into: &buffer) }
        case .double(let value): writeDouble(value, into: &buffer)
        case .boolean(let value): writeBoolean(value, into: &buffer)
        case .verbatimString(let text): writeVerbatimString(text, into: &buffer)
        }
    }

    /// `+text`; CR and LF in `text` are written as spaces, so the reply stays one line.
    public func writeSimpleString(_ text: String, into buffer: inout ByteBuffer) {
        writeLine(RESPType.simpleString, text, into: &buffer)
    }

    /// `-message`, the message starting with its code (`ERR`, `WRONGTYPE`); CR and LF in it are written as spaces.
    public func writeError(_ message: String, into buffer: inout ByteBuffer) {
        writeLine(RESPType.error, message, into: &buffer)
    }

    /// `:value`.
    public func writeInteger(_ value: Int64, into buffer: inout ByteBuffer) {
        buffer.writeRESPHeader(RESPType.integer, value)
    }

    /// `$count`, the bytes, CRLF.
    public func writeBulkString(_ bytes: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        buffer.writeRESPHeader(RESPType.bulkString, bytes.count)
        if bytes.withContiguousStorageIfAvailable({ buffer.writeLineEnded(UnsafeRawBufferPointer($0)) }) == nil {
            buffer.writeBytes(bytes)
            buffer.writeRESPLineEnd()
        }
    }

    /// No value: `$-1` in RESP2, `_` in RESP3.
    public func writeNull(into buffer: inout ByteBuffer) {
        writeNull(orRESP2: RESPType.bulkString, into: &buffer)
    }

    /// No array: `*-1` in RESP2, `_` in RESP3.
    public func writeNullArray(into buffer: inout ByteBuffer) {
        writeNull(orRESP2: RESPType.array, into: &buffer)
    }

    /// `*count`; the caller writes the `count` elements after it.
    public func writeArrayHeader(count: Int, into buffer: inout ByteBuffer) {
        buffer.writeRESPHeader(RESPType.array, count)
    }

    /// `%count` in RESP3, `*2×count` in RESP2; the caller writes `count` keys, each followed by its value.
    public func writeMapHeader(count: Int, into buffer: inout ByteBuffer) {
        switch version {
        case .resp2: buffer.writeRESPHeader(RESPType.array, 2 * count)
        case .resp3: buffer.writeRESPHeader(RESPType.map, count)
        }
    }

    /// `~count` in RESP3, `*count` in RESP2; the caller writes the `count` members after it.
    public func writeSetHeader(count: Int, into buffer: inout ByteBuffer) {
        buffer.writeRESPHeader(version == .resp3 ? RESPType.set : RESPType.array, count)
    }

    /// `,value` in RESP3, a bulk string of the same text in RESP2. An integral value below 2^62 in magnitude is
    /// written as an integer (`3`, `-0`, `10000000000000000`), as Redis writes it, any other in the shortest form
    /// that reads back the same (`0.1`, `1e+100`), infinities and NaN as `inf`, `-inf`, `nan`.
    public func writeDouble(_ value: Double, into buffer: inout ByteBuffer) {
        if value.isNaN {
            writeDoubleText("nan", into: &buffer)
        } else if value.isInfinite {
            writeDoubleText(value < 0 ? "-inf" : "inf", into: &buffer)
        } else if value == 0 && value.sign == .minus {
            writeDoubleText("-0", into: &buffer)
        } else if value.rounded(.towardZero) == value && value.magnitude < 0x1p62 {
            let integer = Int64(value)
            switch version {
            case .resp2: buffer.writeRESPHeader(RESPType.bulkString, ByteBuffer.decimalLength(integer))
            case .resp3: buffer.writeInteger(RESPType.double)
            }
            buffer.writeRESPDecimal(integer)
            buffer.writeRESPLineEnd()
        } else {
            writeDoubleText(value.description, into: &buffer)
        }
    }

    /// `#t` / `#f` in RESP3, `:1` / `:0` in RESP2.
    public func writeBoolean(_ value: Bool, into buffer: inout ByteBuffer) {
        switch version {
        case .resp2:
            buffer.writeRESPHeader(RESPType.integer, value ? 1 : 0)
        case .resp3:
            buffer.writeInteger(RESPType.boolean)
            buffer.writeInteger(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            buffer.writeRESPLineEnd()
        }
    }

    /// `=count` then `txt:` and the text in RESP3, a bulk string of the text in RESP2.
    public func writeVerbatimString(_ text: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        switch version {
        case .resp2:
            writeBulkString(text, into: &buffer)
        case .resp3:
            buffer.writeRESPHeader(RESPType.verbatimString, 4 + text.count)
            buffer.writeStaticString("txt:")
            buffer.writeBytes(text)
            buffer.writeRESPLineEnd()
        }
    }

    private func writeNull(orRESP2 type: UInt8, into buffer: inout ByteBuffer) {
        switch version {
        case .resp2:
            buffer.writeRESPHeader(type, -1)
        case .resp3:
            buffer.writeInteger(RESPType.null)
            buffer.writeRESPLineEnd()
        }
    }

    private func writeDoubleText(_ text: String, into buffer: inout ByteBuffer) {
        switch version {
        case .resp2: buffer.writeRESPHeader(RESPType.bulkString, text.utf8.count)
        case .resp3: buffer.writeInteger(RESPType.double)
        }
        buffer.writeString(text)
        buffer.writeRESPLineEnd()
    }

    private func writeLine(_ type: UInt8, _ text: String, into buffer: inout ByteBuffer) {
        var text = text
        _ = text.withUTF8 { bytes in
            // One write of the whole line: the type byte, the text with CR and LF as spaces, CRLF.
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count + 3) { line in
                let carriageReturn = UInt8(ascii: "\r"), lineFeed = UInt8(ascii: "\n")
                line[0] = type
                for (index, byte) in bytes.enumerated() {
                    line[index + 1] = byte == carriageReturn || byte == lineFeed ? UInt8(ascii: " ") : byte
                }
                line[bytes.count + 1] = carriageReturn
                line[bytes.count + 2] = lineFeed
                return bytes.count + 3
            }
        }
    }
}
