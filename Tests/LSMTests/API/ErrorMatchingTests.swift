import Testing
@testable import LSM

/// `catch LSMError.code` patterns: they match errors of their code and nothing else.
@Suite struct ErrorMatchingTests {
    private struct OtherError: Error {}

    /// Which clause caught what `body` threw, with untyped throws.
    private func caught(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "nothing"
        } catch LSMError.keyTooLarge {
            return "keyTooLarge"
        } catch LSMError.corruption, LSMError.ioError {
            return "damage"
        } catch {
            return "other"
        }
    }

    @Test func catchClausesMatchByCode() throws {
        #expect(caught { throw LSMError(.keyTooLarge, "long") } == "keyTooLarge")
        #expect(caught { throw LSMError(.corruption, "bad block") } == "damage")
        #expect(caught { throw LSMError(.ioError, "EIO", errno: 5) } == "damage")
        #expect(caught { throw LSMError(.valueTooLarge, "long") } == "other")
        #expect(caught { throw OtherError() } == "other")
        #expect(caught {} == "nothing")
    }

    @Test func typedCatchesMatchWithoutTheTypeName() throws {
        try withTemporaryDatabase("error-typed") { db in
            let long = [UInt8](repeating: 0, count: Limits.maxKeySize + 1)
            var clause = "none"
            do throws(LSMError) {
                try db.put(long, [])
            } catch .valueTooLarge {
                clause = "valueTooLarge"
            } catch .keyTooLarge {
                clause = "keyTooLarge"
            } catch {
                clause = "other"
            }
            #expect(clause == "keyTooLarge")
        }
    }

    @Test func realFailuresAreCaughtByTheirCode() throws {
        let dir = TemporaryDirectory("error-real")
        defer { dir.remove() }
        let db = try Database.open(dir.path)
        #expect(caught { _ = try Database.open(dir.path) } == "other")
        var locked = false
        do {
            _ = try Database.open(dir.path)
        } catch LSMError.databaseLocked {
            locked = true
        } catch {
            Issue.record("a second open failed with \(error)")
        }
        #expect(locked)
        try db.close()
        var closed = false
        do {
            try db.put("k", "v")
        } catch LSMError.databaseClosed {
            closed = true
        } catch {
            Issue.record("a write after close failed with \(error)")
        }
        #expect(closed)
    }

    @Test func codesMatchInSwitches() {
        func kind(_ error: any Error) -> String {
            switch error {
            case LSMError.Code.readOnly: "readOnly"
            case LSMError.cancelled: "cancelled"
            default: "other"
            }
        }
        #expect(kind(LSMError(.readOnly, "x")) == "readOnly")
        #expect(kind(LSMError(.cancelled, "x")) == "cancelled")
        #expect(kind(LSMError(.noSpace, "x")) == "other")
        #expect(kind(OtherError()) == "other")
        #expect(LSMError.Code.cancelled.description == "cancelled")
    }
}
