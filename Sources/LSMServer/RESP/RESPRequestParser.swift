import NIOCore

/// The request side of RESP as a state machine over bytes: each call takes the next request off the front of a
/// buffer, or says that more bytes are needed, or throws the protocol error the bytes make.
///
/// A request is a multibulk array of bulk strings (`*N\r\n` then N × `$LEN\r\nBYTES\r\n`), as every client
/// library sends it, in RESP2 and RESP3 alike, or else an inline command line (anything not starting with `*`,
/// ended by LF or CRLF), as telnet users and redis-benchmark's PING_INLINE send it. As in Redis, an array of no
/// elements (`*0`, `*-1`) and a blank inline line are skipped, an element other than a bulk string (a nested array,
/// an integer) is an error, and a bulk string's bytes are taken as they are.
///
/// Nothing is allocated by a length a client declares: a request stays in the caller's buffer until all its bytes
/// have arrived, while the parser keeps only how far it has checked it (a few integers), so a request that arrives
/// in many pieces is scanned once, not again from its start each time. The outcome depends only on the bytes, not on
/// how they were split: the same requests, then the same error or the same unfinished tail. After an error the
/// connection is to be closed; the parser starts afresh if called again.
public struct RESPRequestParser: Sendable {
    /// The bounds requests are held to.
    public var limits: RESPLimits
    private var progress = Progress.none

    /// How far a request that has not arrived whole has been checked, relative to the buffer's reader index.
    private enum Progress: Sendable {
        case none
        /// A multibulk request of `count` elements, which start at `elements`; the first `parsed` are complete and
        /// the next starts at `offset`.
        case multibulk(count: Int, elements: Int, parsed: Int, offset: Int)
        /// An inline line whose first `searched` bytes hold no line feed.
        case inline(searched: Int)
    }

    /// What the bytes at the front of the buffer hold.
    private enum Step {
        case incomplete(Progress)
        /// An empty request of this many bytes, to skip.
        case skipped(Int)
        /// A request and the number of bytes it took.
        case request(RESPRequest, Int)
    }

    /// The smallest multibulk element, `$0\r\n\r\n`: no more elements than bytes / 6 can have arrived.
    private static let smallestElement = 6
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    /// A parser holding requests to `limits`.
    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    /// Takes the next request off the front of `buffer`, moving its reader index past it (and past any empty
    /// requests before it). Nil when the buffer holds no whole request; call again with the same readable bytes and
    /// more after them. Arguments of a multibulk request are slices of `buffer`.
    ///
    /// - Throws: ``RESPProtocolError`` when the bytes break the protocol or ``limits``; the reader index is then at
    ///   the start of the request that did.
    public mutating func parse(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPRequest? {
        while buffer.readableBytes > 0 {
            let step: Step
            do {
                step = try next(in: buffer)
            } catch {
                progress = .none
                throw error
            }
            switch step {
            case .incomplete(let checked):
                progress = checked
                return nil
            case .skipped(let length):
                progress = .none
                buffer.moveReaderIndex(forwardBy: length)
            case .request(let request, let length):
                progress = .none
                buffer.moveReaderIndex(forwardBy: length)
                return request
            }
        }
        return nil
    }

    private func next(in buffer: ByteBuffer) throws(RESPProtocolError) -> Step {
        let bytes = buffer.readableBytesUInt8Span
        if bytes[0] == RESPType.array {
            return try multibulk(buffer, bytes)
        }
        return try inline(bytes)
    }

    private func multibulk(_ buffer: ByteBuffer, _ bytes: Span<UInt8>) throws(RESPProtocolError) -> Step {
        let count: Int, elements: Int, parsed: Int, offset: Int
        if case .multibulk(let known, let start, let done, let next) = progress {
            (count, elements, parsed, offset) = (known, start, done, next)
        } else {
            guard let header = try Self.headerLine(bytes, at: 0, else: .invalidMultibulkLength) else {
                return .incomplete(.none)
            }
            guard let declared = Int(exactly: header.value), declared <= limits.maxArgumentCount else {
                throw .invalidMultibulkLength
            }
            if declared <= 0 { return .skipped(header.end) }
            (count, elements, parsed, offset) = (declared, header.end, 0, header.end)
        }
        // A request that arrives whole is sliced as it is checked; one that arrived in pieces, once it is whole.
        var arguments: [ByteBuffer]? = nil
        if parsed == 0 {
            arguments = []
            arguments?.reserveCapacity(min(count, (bytes.count - offset) / Self.smallestElement))
        }
        let (end, scanned) = try scanElements(buffer, bytes, from: offset, count: count - parsed, into: &arguments)
        if parsed + scanned < count {
            return .incomplete(.multibulk(count: count, elements: elements, parsed: parsed + scanned, offset: end))
        }
        if arguments == nil {
            arguments = []
            arguments?.reserveCapacity(count)
            _ = try scanElements(buffer, bytes, from: elements, count: count, into: &arguments)
        }
        return .request(RESPRequest(arguments: arguments ?? []), end)
    }

    /// Checks up to `count` bulk strings from `offset`, appending each to `arguments` (when not nil) as a slice of
    /// `buffer`; returns where the checked ones end and how many there were.
    private func scanElements(
        _ buffer: ByteBuffer, _ bytes: Span<UInt8>, from offset: Int, count: Int, into arguments: inout [ByteBuffer]?
    ) throws(RESPProtocolError) -> (end: Int, scanned: Int) {
        var offset = offset
        var scanned = 0
        while scanned < count {
            guard let element = try bulkString(bytes, at: offset) else { break }
            if arguments != nil,
               let slice = buffer.getSlice(at: buffer.readerIndex + element.start, length: element.length) {
                arguments?.append(slice)
            }
            offset = element.end
            scanned += 1
        }
        return (offset, scanned)
    }

    /// The bulk string at `offset`: where its bytes start, how many there are, and where the next element starts;
    /// nil while it has not arrived whole.
    private func bulkString(
        _ bytes: Span<UInt8>, at offset: Int
    ) throws(RESPProtocolError) -> (start: Int, length: Int, end: Int)? {
        guard offset < bytes.count else { return nil }
        guard bytes[offset] == RESPType.bulkString else { throw .expectedBulkString(found: bytes[offset]) }
        guard let header = try Self.headerLine(bytes, at: offset, else: .invalidBulkLength) else { return nil }
        guard let length = Int(exactly: header.value), length >= 0, length <= limits.maxBulkLength else {
            throw .invalidBulkLength
        }
        // `available > length` first, so that nothing below can overflow.
        let available = bytes.count - header.end
        guard available > length else { return nil }
        guard bytes[header.end + length] == Self.carriageReturn else { throw .missingCRLFAfterBulkString }
        guard available > length + 1 else { return nil }
        guard bytes[header.end + length + 1] == Self.lineFeed else { throw .missingCRLFAfterBulkString }
        return (header.end, length, header.end + length + 2)
    }

    /// The number on the header line at `offset` (a type byte, a decimal integer, CRLF) and where the line ends;
    /// nil while the line is incomplete. A line that cannot hold an integer throws `error`, as soon as that shows:
    /// one with more characters than an integer has needs no CR to be refused.
    private static func headerLine(
        _ bytes: Span<UInt8>, at offset: Int, else error: RESPProtocolError
    ) throws(RESPProtocolError) -> (value: Int64, end: Int)? {
        let digits = offset + 1
        var index = digits
        while index < bytes.count && bytes[index] != carriageReturn {
            guard index < digits + RESPDecimal.maxLength else { throw error }
            index += 1
        }
        guard index + 1 < bytes.count else { return nil }
        guard bytes[index + 1] == lineFeed, let value = RESPDecimal.parse(bytes, digits..<index) else { throw error }
        return (value, index + 2)
    }

    /// An inline command: the line up to LF (a CR before it dropped), split into words.
    private func inline(_ bytes: Span<UInt8>) throws(RESPProtocolError) -> Step {
        var index = 0
        if case .inline(let searched) = progress { index = searched }
        while index < bytes.count && bytes[index] != Self.lineFeed {
            guard index < limits.maxInlineLength else { throw .inlineRequestTooBig }
            index += 1
        }
        guard index < bytes.count else { return .incomplete(.inline(searched: index)) }
        let lineEnd = index > 0 && bytes[index - 1] == Self.carriageReturn ? index - 1 : index
        let words = try InlineCommand.split(bytes, 0..<lineEnd)
        if words.isEmpty { return .skipped(index + 1) }
        return .request(RESPRequest(arguments: words), index + 1)
    }
}
