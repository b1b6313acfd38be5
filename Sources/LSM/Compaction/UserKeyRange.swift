/// A closed range of user keys, `smallest` through `largest`.
struct UserKeyRange: Sendable {
    var smallest: [UInt8]
    var largest: [UInt8]

    /// The user keys of every table in `files`, which must not be empty.
    init(covering files: [FileMetaData]) {
        smallest = files[0].smallestUserKey
        largest = files[0].largestUserKey
        for file in files.dropFirst() {
            if compareBytes(file.smallestUserKey, smallest) < 0 { smallest = file.smallestUserKey }
            if compareBytes(file.largestUserKey, largest) > 0 { largest = file.largestUserKey }
        }
    }

    /// Whether some key lies in both ranges.
    func overlaps(_ other: UserKeyRange) -> Bool {
        compareBytes(smallest, other.largest) <= 0 && compareBytes(other.smallest, largest) <= 0
    }
}
