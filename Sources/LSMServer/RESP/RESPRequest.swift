import NIOCore

/// One command a client sent: its name and arguments, each a byte string (binary-safe).
///
/// Both request forms give one: a multibulk array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`), whose
/// arguments are slices sharing the storage of the buffer they were parsed from, and an inline command line
/// (`GET k\r\n`), split by Redis's quoting rules.
public struct RESPRequest: Sendable, Hashable {
    /// The command name, then its arguments; never empty (an empty request is skipped, as Redis skips it).
    public var arguments: [ByteBuffer]

    /// A request of these arguments.
    public init(arguments: [ByteBuffer]) {
        self.arguments = arguments
    }

    /// Writes the request as a client sends it: an array of bulk strings.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeRESPHeader(RESPType.array, arguments.count)
        for argument in arguments {
            buffer.writeRESPHeader(RESPType.bulkString, argument.readableBytes)
            buffer.writeImmutableBuffer(argument)
            buffer.writeRESPLineEnd()
        }
    }
}
