import Foundation
import LSM

/// Foundation's `Data` as a key or value: `Data` lends its bytes in place, and `Database.get(_:as:snapshot:)`
/// returns a value as `Data`.
///
/// ```swift
/// import LSM
/// import LSMFoundation
///
/// try db.put(Data("user:1".utf8), jsonData)
/// let json = try db.get(Data("user:1".utf8), as: Data.self)
/// ```
///
/// The `LSM` library itself does not depend on Foundation; this small library adds what needs it.
extension Data: ContiguousRawBytes {
    public func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        // `withUnsafeBytes` only rethrows `any Error`: the typed error is carried out in a `Result`.
        let result: Result<R, E> = withUnsafeBytes { bytes in Result { () throws(E) -> R in try body(bytes) } }
        return try result.get()
    }
}

extension Data: RawBytesInitializable {
    public init(copyingRawBytes bytes: UnsafeRawBufferPointer) {
        self.init(bytes)
    }
}
