/// Hexadecimal digits in text the tools and the server read (`\xHH` escapes): `package`, so both read them alike.
package enum HexDigit {
    /// The value of the ASCII hex digit `byte` (either case), or nil when it is not one.
    package static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
