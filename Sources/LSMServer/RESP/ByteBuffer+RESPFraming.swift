import NIOCore

extension ByteBuffer {
    /// Writes a type byte, a decimal number and CRLF: `*3\r\n`, `$5\r\n`, `:42\r\n`.
    mutating func writeRESPHeader(_ type: UInt8, _ value: Int) {
        writeRESPHeader(type, Int64(value))
    }

    /// Writes a type byte, a decimal number and CRLF: `*3\r\n`, `$5\r\n`, `:42\r\n`, in one write.
    mutating func writeRESPHeader(_ type: UInt8, _ value: Int64) {
        let digits = Self.decimalLength(value)
        writeWithUnsafeMutableBytes(minimumWritableBytes: digits + 3) { bytes in
            bytes[0] = type
            Self.storeDecimal(value, length: digits, into: UnsafeMutableRawBufferPointer(rebasing: bytes[1...]))
            bytes[digits + 1] = UInt8(ascii: "\r")
            bytes[digits + 2] = UInt8(ascii: "\n")
            return digits + 3
        }
    }

    /// Writes `bytes` then CRLF, in one write.
    mutating func writeLineEnded(_ bytes: UnsafeRawBufferPointer) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count + 2) { target in
            UnsafeMutableRawBufferPointer(rebasing: target[..<bytes.count]).copyMemory(from: bytes)
            target[bytes.count] = UInt8(ascii: "\r")
            target[bytes.count + 1] = UInt8(ascii: "\n")
            return bytes.count + 2
        }
    }

    /// Writes CRLF.
    mutating func writeRESPLineEnd() {
        writeInteger(UInt16(0x0D0A), endianness: .big)
    }

    /// Writes `value` in decimal digits (a minus sign first when negative), without making a string.
    mutating func writeRESPDecimal(_ value: Int64) {
        let length = Self.decimalLength(value)
        writeWithUnsafeMutableBytes(minimumWritableBytes: length) { bytes in
            Self.storeDecimal(value, length: length, into: bytes)
            return length
        }
    }

    /// Stores the `length` (``decimalLength(_:)``) digits of `value`, a minus sign first when negative, at the start
    /// of `bytes`.
    private static func storeDecimal(_ value: Int64, length: Int, into bytes: UnsafeMutableRawBufferPointer) {
        // At most 20 bytes ("-9223372036854775808"), written back to front.
        var index = length
        var rest = value.magnitude
        repeat {
            index -= 1
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        } while rest > 0
        if value < 0 { bytes[0] = UInt8(ascii: "-") }
    }

    /// How many bytes `writeRESPDecimal(value)` writes.
    static func decimalLength(_ value: Int64) -> Int {
        var length = value < 0 ? 2 : 1
        var rest = value.magnitude / 10
        while rest > 0 {
            length += 1
            rest /= 10
        }
        return length
    }
}
