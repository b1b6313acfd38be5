import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import LSMServer

/// The sync thread of `appendfsync always`: a round's replies leave only after a sync that began once the round was
/// queued; rounds queued while a sync runs share the next one; a failed sync reaches every round it covered.
@Suite struct SyncThreadTests {
    /// A sync that waits for the test to let it finish, counting its calls and returning `failure`.
    private final class HeldSync: Sendable {
        let calls = NIOLockedValueBox(0)
        private let gate = ConditionLock(value: 0)
        let failure = NIOLockedValueBox<CommandError?>(nil)

        func sync() -> CommandError? {
            calls.withLockedValue { $0 += 1 }
            gate.lock(whenValue: 1)
            gate.unlock(withValue: 0)
            return failure.withLockedValue { $0 }
        }

        /// Lets one sync (the running one, or the next) finish.
        func finishOne() {
            gate.lock()
            gate.unlock(withValue: 1)
        }

        func waitForCalls(_ count: Int) -> Bool {
            for _ in 0..<2000 {
                if calls.withLockedValue({ $0 }) >= count { return true }
                usleep(1000)
            }
            return false
        }
    }

    /// What each round was answered with, by round, once answered.
    private final class Answers: Sendable {
        let received = NIOLockedValueBox<[String: CommandError?]>([:])

        func delivery(_ name: String, on loop: any EventLoop) -> SyncThread.Delivery {
            (loop, { [self] failure in received.withLockedValue { $0[name] = failure } })
        }

        func waitFor(_ names: Set<String>) -> Bool {
            for _ in 0..<2000 {
                if names.isSubset(of: Set(received.withLockedValue { $0.keys })) { return true }
                usleep(1000)
            }
            return false
        }

        var names: Set<String> { Set(received.withLockedValue { $0.keys }) }
    }

    @Test func roundsWaitForTheirSyncAndThoseQueuedMeanwhileShareTheNext() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let held = HeldSync()
        let answers = Answers()
        let thread = SyncThread { held.sync() }
        thread.start()

        thread.submit([answers.delivery("first", on: loop)])
        #expect(held.waitForCalls(1))
        usleep(20_000)
        #expect(answers.names.isEmpty, "a reply left before its sync finished")

        thread.submit([answers.delivery("second", on: loop), answers.delivery("third", on: loop)])
        thread.submit([answers.delivery("fourth", on: loop)])
        held.finishOne()
        #expect(answers.waitFor(["first"]))
        #expect(held.waitForCalls(2))
        usleep(20_000)
        #expect(answers.names == ["first"], "rounds queued during a sync were answered by it")

        held.finishOne()
        #expect(answers.waitFor(["second", "third", "fourth"]))
        // One sync for the first round, one shared by the three queued while it ran.
        #expect(held.calls.withLockedValue { $0 } == 2)
        thread.stop()
    }

    @Test func aFailedSyncReachesEveryRoundItCovered() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let held = HeldSync()
        held.failure.withLockedValue { $0 = CommandError("MISCONF the disk is gone") }
        let answers = Answers()
        let thread = SyncThread { held.sync() }
        thread.start()
        thread.submit([answers.delivery("a", on: group.next()), answers.delivery("b", on: group.next())])
        held.finishOne()
        #expect(answers.waitFor(["a", "b"]))
        for failure in answers.received.withLockedValue({ Array($0.values) }) {
            #expect(failure == CommandError("MISCONF the disk is gone"))
        }
        thread.stop()
    }

    @Test func stopAnswersTheRoundsStillQueued() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let held = HeldSync()
        let answers = Answers()
        let thread = SyncThread { held.sync() }
        thread.start()
        thread.submit([answers.delivery("queued", on: group.next())])
        #expect(held.waitForCalls(1))
        let stopped = NIOLockedValueBox(false)
        Thread.detachNewThread {
            thread.stop()
            stopped.withLockedValue { $0 = true }
        }
        usleep(20_000)
        #expect(!stopped.withLockedValue { $0 }, "stop returned with a round still waiting for its sync")
        held.finishOne()
        #expect(answers.waitFor(["queued"]))
        for _ in 0..<2000 where !stopped.withLockedValue({ $0 }) { usleep(1000) }
        #expect(stopped.withLockedValue { $0 })
    }
}
