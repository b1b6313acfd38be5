import Foundation
import LSM
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import LSMServer

/// An event loop writes blind writes itself (`WriteThread.writeAtOnce`) only between the write thread's rounds, so
/// that none lands inside a round's read-modify-write commands, and replies as a round would.
@Suite struct WriteThreadTests {
    private func waitFor(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(500)
        }
        return true
    }

    private func setting(_ key: String, _ value: String) -> WriteBatch {
        var batch = WriteBatch()
        Keyspace.putString(db: 0, Array(key.utf8), Array(value.utf8), expiresAt: nil, into: &batch)
        return batch
    }

    @Test(arguments: [AppendFsync.always, .everysec, .no])
    func anEventLoopWritesOnlyBetweenRounds(mode: AppendFsync) throws {
        let harness = try ServerHarness { $0.appendFsync = mode }
        let writer = harness.state.writer
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        writer.start()
        defer { writer.stop() }

        // A round that stays open until the test lets it end.
        let roundStarted = ConditionLock(value: 0)
        let roundMayEnd = ConditionLock(value: 0)
        let roundAnswered = NIOLockedValueBox(false)
        #expect(writer.submit(WriteThread.Job(eventLoop: loop) {
            roundStarted.lock()
            roundStarted.unlock(withValue: 1)
            roundMayEnd.lock(whenValue: 1)
            roundMayEnd.unlock()
            return { _ in roundAnswered.withLockedValue { $0 = true } }
        }))
        roundStarted.lock(whenValue: 1)
        roundStarted.unlock()

        let answered = NIOLockedValueBox<[CommandError?]>([])
        let deliver: @Sendable (CommandError?) -> Void = { failure in answered.withLockedValue { $0.append(failure) } }
        #expect(!writer.writeAtOnce(setting("inside", "1"), eventLoop: loop, deliver: deliver),
                "an event loop wrote while a round ran")
        #expect(try harness.state.keyspace.record(db: 0, Array("inside".utf8)) == nil)

        roundMayEnd.lock()
        roundMayEnd.unlock(withValue: 1)
        #expect(waitFor { roundAnswered.withLockedValue { $0 } })

        // Between rounds it writes, and the replies are handed out (under `always`, once a sync covers them).
        #expect(waitFor {
            writer.writeAtOnce(setting("between", "2"), eventLoop: loop, deliver: deliver)
        })
        let written = try harness.state.keyspace.record(db: 0, Array("between".utf8))
        #expect(written.map { Array($0.payload) } == Array("2".utf8))
        #expect(waitFor { answered.withLockedValue { $0.count } == 1 })
        #expect(answered.withLockedValue { $0 }.allSatisfy { $0 == nil })
        #expect(try harness.state.keyspace.record(db: 0, Array("inside".utf8)) == nil)
    }
}
