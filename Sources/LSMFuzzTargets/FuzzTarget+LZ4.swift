import LSM

extension FuzzTarget {
    /// Decodes the input as a table decodes a block stored with LZ4 (`varint32 size ‖ LZ4 bytes`), then takes it as
    /// plain data: stored that way and decoded again, it must come back unchanged. Accepted: the decoding
    /// succeeded.
    func runLZ4(_ input: UnsafeRawBufferPointer) -> Bool {
        let accepted: Bool
        do {
            _ = try CompressedBlock.contents(ofStored: input)
            accepted = true
        } catch {
            accepted = false
        }
        let data = [UInt8](input)
        let stored = CompressedBlock.stored(data)
        let decoded = stored.withUnsafeBytes { try? CompressedBlock.contents(ofStored: $0) }
        guard decoded == data else {
            fatalError("LZ4 round trip broke: \(data.count) bytes stored as \(stored.count) decode to "
                       + "\(decoded.map { "\($0.count) other bytes" } ?? "an error")")
        }
        return accepted
    }
}
