import Testing
@testable import LSMServer

@Suite struct StringCommandTests {
    @Test func setThenGetReturnsTheValueAndGetOfAMissingKeyIsNull() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v") == "+OK\r\n")
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        #expect(harness.resp2("GET", "missing") == "$-1\r\n")
    }

    @Test func setWithExpiryDisappearsOnceTheClockPassesIt() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SET", "k", "v", "PX", "1500") == "+OK\r\n")
        harness.clock.advance(1499)
        #expect(harness.resp2("GET", "k") == "$1\r\nv\r\n")
        harness.clock.advance(1)
        #expect(harness.resp2("GET", "k") == "$-1\r\n")
    }
}
