import Testing
@testable import LSM

/// Keys and values from every kind of contiguous bytes, and values read back as each type `get` returns.
@Suite struct BytesAPITests {
    @Test func stringAndSubstringKeysAndValues() throws {
        try withTemporaryDatabase("bytes-string") { db in
            let line = "user:7=ünïcödé"
            let separator = line.firstIndex(of: "=")!
            let key = line[..<separator]
            let value = line[line.index(after: separator)...]
            try db.put(key, value)
            #expect(try db.get("user:7", as: String.self) == "ünïcödé")
            #expect(try db.get(key) == Array("ünïcödé".utf8))
            // A substring that does not start at its base's start lends the right bytes.
            try db.put(line.dropFirst(5), "suffix")
            #expect(try db.get("7=ünïcödé", as: String.self) == "suffix")
            try db.delete(key)
            #expect(try db.get(key) == nil)
        }
    }

    @Test func unsafeRawBufferPointerKeysAndValues() throws {
        try withTemporaryDatabase("bytes-raw") { db in
            let key: [UInt8] = [0, 1, 2, 0xFF]
            let value: [UInt8] = Array(repeating: 0xAB, count: 5000)
            try key.withUnsafeBytes { key in
                try value.withUnsafeBytes { value in try db.put(key, value) }
                #expect(try db.get(key) == value)
            }
            var mutable: [UInt8] = [9, 9]
            try mutable.withUnsafeMutableBytes { try db.put($0, "mutable") }
            try mutable.withUnsafeBufferPointer { try db.put("typed", $0) }
            #expect(try db.get([9, 9] as [UInt8], as: String.self) == "mutable")
            #expect(try db.get("typed") == "\u{9}\u{9}")
            try key.withUnsafeBytes { try db.delete($0) }
            #expect(try db.get(key) == nil)
        }
    }

    @Test func rawSpanAndSpanKeysAndValues() throws {
        try withTemporaryDatabase("bytes-span") { db in
            // ArraySlice's span is available on every platform the package builds for.
            let key = Array("span-key".utf8)[...]
            let value = ContiguousArray("span-value".utf8)
            try db.put(key.span.bytes, value.span.bytes)
            let asString = try db.get(key.span.bytes, as: String.self)
            #expect(asString == "span-value")
            let asBytes = try db.get(key.span)
            #expect(asBytes == Array("span-value".utf8))
            var batch = WriteBatch()
            batch.put(value.span, key.span)
            batch.delete(key.span.bytes)
            try db.write(batch)
            #expect(try db.get(key) == nil)
            #expect(try db.get(value, as: String.self) == "span-key")
            try db.delete(value.span.bytes)
            let deleted = try db.get(value.span)
            #expect(deleted == nil)
        }
    }

    @Test func writeBatchTakesMixedKindsOfBytes() throws {
        try withTemporaryDatabase("bytes-batch") { db in
            var batch = WriteBatch()
            batch.put("a", [1, 2] as [UInt8])
            batch.put(Array("b".utf8)[...], "two")
            batch.put(ContiguousArray("c".utf8), "three")
            batch.put([0x64], [4])
            batch.delete("a")
            #expect(batch.count == 5)
            try db.write(batch)
            #expect(try db.get("a") == nil)
            #expect(try db.get("b") == "two")
            #expect(try db.get("c", as: String.self) == "three")
            #expect(try db.get("d", as: [UInt8].self) == [4])
        }
    }

    @Test func appendedBatchesWriteAsOneAndValidateNamesWhatAWriteWouldRefuse() throws {
        try withTemporaryDatabase("batch-append") { db in
            var first = WriteBatch()
            first.put("a", "1")
            first.put("b", "2")
            var second = WriteBatch()
            second.delete("a")
            second.put("c", "3", expiresAt: Timestamp(millisecondsSinceEpoch: Int64.max))
            var merged = first
            merged.append(contentsOf: second)
            #expect(merged.count == 4)
            var sequential = WriteBatch()
            sequential.put("a", "1")
            sequential.put("b", "2")
            sequential.delete("a")
            sequential.put("c", "3", expiresAt: Timestamp(millisecondsSinceEpoch: Int64.max))
            #expect(merged == sequential)
            try merged.validate()
            try db.write(merged)
            #expect(try db.get("a") == nil)
            #expect(try db.get("b") == "2")
            #expect(try db.get("c") == "3")

            var inverted = WriteBatch()
            inverted.deleteRange(from: "z", to: "a")
            #expect(throws: LSMError.self) { try inverted.validate() }
            var tooLong = WriteBatch()
            tooLong.put([UInt8](repeating: 7, count: Limits.maxKeySize + 1), [1])
            let refusal = #expect(throws: LSMError.self) { try tooLong.validate() }
            #expect(refusal?.code == .keyTooLarge)
            merged.append(contentsOf: tooLong)
            #expect(throws: LSMError.self) { try merged.validate() }
        }
    }

    @Test func aBatchFromBytesEncodesAsOneFromArrays() {
        var fromArrays = WriteBatch()
        fromArrays.put(Array("key".utf8), Array("value".utf8))
        fromArrays.delete(Array("gone".utf8))
        var fromBytes = WriteBatch()
        fromBytes.put("key", "value"[...])
        let gone = Array("gone".utf8)[...]
        fromBytes.delete(gone.span)
        #expect(fromBytes == fromArrays)
        #expect(fromBytes.byteCount == WriteBatch.headerSize + (1 + 1 + 3 + 1 + 5) + (1 + 1 + 4))
    }

    @Test func limitsApplyToKeysFromBytes() throws {
        try withTemporaryDatabase("bytes-limits") { db in
            let long = [UInt8](repeating: 1, count: Limits.maxKeySize + 1)
            let put = #expect(throws: LSMError.self) { try long.withUnsafeBytes { try db.put($0, "v") } }
            #expect(put?.code == .keyTooLarge)
            let get = #expect(throws: LSMError.self) { try db.get(long[...]) }
            #expect(get?.code == .keyTooLarge)
            var batch = WriteBatch()
            let longSlice = long[...]
            batch.delete(longSlice.span.bytes)
            let write = #expect(throws: LSMError.self) { try db.write(batch) }
            #expect(write?.code == .keyTooLarge)
        }
    }

    @Test func getReturnsEachInitializableType() throws {
        try withTemporaryDatabase("bytes-get-as") { db in
            try db.put("k", [0x68, 0x69, 0xFF] as [UInt8])
            #expect(try db.get("k", as: [UInt8].self) == [0x68, 0x69, 0xFF])
            // Invalid UTF-8 is replaced, as String(decoding:as:) does.
            #expect(try db.get("k", as: String.self) == "hi\u{FFFD}")
            #expect(try db.get("absent", as: String.self) == nil)
        }
    }
}
