#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LSM
import NIOCore
import Testing
@testable import LSMServer

/// Reading replies in the server command tests: the parts of a ``RESPReply`` as plain values, and INFO's text as
/// its sections' fields.
enum ReplyReading {
    /// The text of a simple, bulk or verbatim string; nil for any other reply.
    static func string(_ reply: RESPReply) -> String? {
        switch reply {
        case .simpleString(let text): text
        case .bulkString(let bytes), .verbatimString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The elements of an array or set; nil for any other reply.
    static func elements(_ reply: RESPReply) -> [RESPReply]? {
        switch reply {
        case .array(let elements), .set(let elements): elements
        default: nil
        }
    }

    /// A map's pairs with string keys; nil for any other reply.
    static func pairs(_ reply: RESPReply) -> [(key: String, value: RESPReply)]? {
        guard case .map(let pairs) = reply else { return nil }
        return pairs.map { (string($0.key) ?? "?", $0.value) }
    }

    /// A map's value for `key`.
    static func value(_ reply: RESPReply, _ key: String) -> RESPReply? {
        pairs(reply)?.first { $0.key == key }?.value
    }

    static func integer(_ reply: RESPReply) -> Int64? {
        if case .integer(let value) = reply { return value }
        return nil
    }

    static func error(_ reply: RESPReply) -> String? {
        if case .error(let line) = reply { return line }
        return nil
    }

    static func isNull(_ reply: RESPReply) -> Bool {
        if case .null = reply { return true }
        return false
    }

    /// The strings of an array or set of strings.
    static func strings(_ reply: RESPReply) -> [String]? {
        elements(reply).map { $0.compactMap(string) }
    }

    /// The reply as a client speaking `version` reads it.
    static func encoded(_ reply: RESPReply, _ version: RESPVersion) -> String {
        var buffer = ByteBuffer()
        RESPReplyEncoder(version: version).write(reply, into: &buffer)
        return String(buffer: buffer)
    }

    /// INFO's fields by name, every section's together.
    static func infoFields(_ reply: RESPReply) -> [String: String] {
        var fields: [String: String] = [:]
        for line in (string(reply) ?? "").split(separator: "\r\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// INFO's section headings, in order.
    static func infoSections(_ reply: RESPReply) -> [String] {
        (string(reply) ?? "").split(separator: "\r\n").filter { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) }
    }
}

extension ServerHarness {
    /// Runs one command and returns the context it left: what the connection is to do after it.
    func context(after arguments: String...) -> (reply: RESPReply, context: CommandContext) {
        var context = CommandContext(server: state, session: session,
                                     arguments: arguments.map { ByteBuffer(string: $0) })
        let reply = state.commands.execute(&context)
        session = context.session
        return (reply, context)
    }

    /// Waits until no checkpoint is being taken (a BGSAVE's thread has finished); false after ten seconds.
    func waitForCheckpoints() -> Bool {
        for _ in 0..<1000 {
            if !state.checkpointInProgress.withLockedValue({ $0 }) { return true }
            usleep(10_000)
        }
        return false
    }

    /// The names of the checkpoints taken so far.
    func checkpointNames() -> [String] {
        guard let directory = opendir(state.configuration.withLockedValue({ $0.checkpointsPath })) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// TIME, SAVE, BGSAVE, LASTSAVE and SHUTDOWN.
@Suite struct ServerCommandTests {
    @Test func timeIsTheEngineClockInSecondsAndMicroseconds() throws {
        let harness = try ServerHarness()
        harness.clock.advance(123)
        #expect(harness.resp2("TIME") == "*2\r\n$10\r\n1700000000\r\n$6\r\n123000\r\n")
        #expect(harness.resp2("TIME", "x") == "-ERR wrong number of arguments for 'time' command\r\n")
    }

    @Test func saveTakesACheckpointThatOpensWithTheDataAndMovesLastSave() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        #expect(harness.resp2("LASTSAVE") == ":1700000000\r\n")
        harness.clock.advance(5_000)
        #expect(harness.resp2("SAVE") == "+OK\r\n")
        #expect(harness.resp2("LASTSAVE") == ":1700000005\r\n")
        let names = harness.checkpointNames()
        #expect(names == ["1700000005000"])
        let checkpoint = try Database.open(harness.state.configuration.withLockedValue { $0.checkpointsPath }
                                               + "/" + names[0])
        defer { try? checkpoint.close() }
        #expect(try checkpoint.get(KeyEncoding.metadataKey(db: 0, Array("k".utf8))) != nil)
        #expect(harness.state.statistics.checkpointCount == 1)
    }

    @Test func saveAndBackgroundSaveAreRefusedWhileACheckpointIsBeingTaken() throws {
        let harness = try ServerHarness()
        harness.state.checkpointInProgress.withLockedValue { $0 = true }
        #expect(harness.resp2("SAVE") == "-ERR Background save already in progress\r\n")
        #expect(harness.resp2("BGSAVE") == "-ERR Background save already in progress\r\n")
        #expect(harness.checkpointNames().isEmpty)
        #expect(harness.resp2("BGSAVE", "NOW") == "-ERR syntax error\r\n")
    }

    @Test func backgroundSaveTakesACheckpointOnItsOwnThread() throws {
        let harness = try ServerHarness()
        harness.run("SET", "k", "v")
        #expect(harness.resp2("BGSAVE") == "+Background saving started\r\n")
        #expect(harness.waitForCheckpoints())
        #expect(harness.checkpointNames().count == 1)
        let record = harness.state.statistics.withBackgroundCheckpoint { $0 }
        #expect(record.startedAt == nil && record.lastSucceeded && record.lastSeconds != nil)
        #expect(harness.state.statistics.checkpointCount == 1)
    }

    @Test func backgroundSaveScheduleRunsOneMoreCheckpointAfterTheRunningOne() throws {
        let harness = try ServerHarness()
        // A checkpoint is being taken: SCHEDULE records the request instead of refusing it.
        harness.state.checkpointInProgress.withLockedValue { $0 = true }
        #expect(harness.resp2("BGSAVE", "SCHEDULE") == "+Background saving scheduled\r\n")
        #expect(harness.state.statistics.withBackgroundCheckpoint { $0.scheduled })
        harness.state.checkpointInProgress.withLockedValue { $0 = false }
        // The next checkpoint to complete, a SAVE here, hands over to a background one for the request.
        harness.clock.advance(1_000)
        #expect(harness.resp2("SAVE") == "+OK\r\n")
        #expect(harness.waitForCheckpoints())
        #expect(!harness.state.statistics.withBackgroundCheckpoint { $0.scheduled })
        #expect(harness.checkpointNames() == ["1700000001000", "1700000001000-2"])
    }

    @Test func shutdownAsksTheServerToStopAndClosesWithoutAReply() throws {
        let harness = try ServerHarness()
        let plain = harness.context(after: "SHUTDOWN")
        #expect(plain.context.closesConnection && plain.context.suppressesReply)
        let saving = harness.context(after: "SHUTDOWN", "save", "NOW", "FORCE")
        #expect(saving.context.closesConnection)
        #expect(harness.shutdownRequests.withLockedValue { $0 } == [false, true])
    }

    @Test func shutdownRefusesContradictoryOptionsAndAbort() throws {
        let harness = try ServerHarness()
        #expect(harness.resp2("SHUTDOWN", "SAVE", "NOSAVE") == "-ERR syntax error\r\n")
        #expect(harness.resp2("SHUTDOWN", "LATER") == "-ERR syntax error\r\n")
        #expect(harness.resp2("SHUTDOWN", "ABORT", "NOW") == "-ERR syntax error\r\n")
        let abort = harness.context(after: "SHUTDOWN", "ABORT")
        #expect(ReplyReading.error(abort.reply)?.hasPrefix("ERR SHUTDOWN ABORT is not supported") == true)
        #expect(!abort.context.closesConnection)
        #expect(harness.shutdownRequests.withLockedValue { $0 }.isEmpty)
    }
}
