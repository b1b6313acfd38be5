/// The first byte of each RESP value, which names its type.
enum RESPType {
    static let simpleString = UInt8(ascii: "+")
    static let error = UInt8(ascii: "-")
    static let integer = UInt8(ascii: ":")
    static let bulkString = UInt8(ascii: "$")
    static let array = UInt8(ascii: "*")
    // RESP3 only.
    static let null = UInt8(ascii: "_")
    static let double = UInt8(ascii: ",")
    static let boolean = UInt8(ascii: "#")
    static let verbatimString = UInt8(ascii: "=")
    static let map = UInt8(ascii: "%")
    static let set = UInt8(ascii: "~")
}
