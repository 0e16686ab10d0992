import Atomics
import Glibc
import QuorumRings
import Testing

/// A loop that drains an SPSC ring and counts what it saw.
final class CountingLoop: Loop, @unchecked Sendable {
    let name: String
    let ring: SPSCRing<UInt64>
    let seen = ManagedAtomic<Int>(0)
    var expected: UInt64 = 0
    let disorder = ManagedAtomic<Int>(0)

    init(name: String, ring: SPSCRing<UInt64>) {
        self.name = name
        self.ring = ring
    }

    func poll() -> Int {
        var n = 0
        while let v = ring.pop() {
            if v != expected { disorder.wrappingIncrement(ordering: .relaxed) }
            expected = v + 1
            n += 1
        }
        if n > 0 { seen.wrappingIncrement(by: n, ordering: .releasing) }
        return n
    }
}

@Suite(.serialized) struct LoopRunnerTests {
    func feed(_ rings: [SPSCRing<UInt64>], count: Int, wakeup: Wakeup?) {
        for i in 0..<count {
            for ring in rings {
                while !ring.push(UInt64(i)) { sched_yield() }
            }
            wakeup?.wake()
            if i % 1000 == 0 { sched_yield() }
        }
    }

    @Test(arguments: [WaitStrategy.busySpin, .yield(spins: 10), .park(spins: 10, timeoutNanoseconds: 50_000_000)])
    func aRunnerPollsEveryLoopRoundRobinUntilStopped(_ wait: WaitStrategy) throws {
        let rings = try (0..<3).map { _ in try SPSCRing<UInt64>(capacity: 64) }
        let loops = rings.enumerated().map { CountingLoop(name: "loop-\($0.offset)", ring: $0.element) }
        let runner = try LoopRunner(name: "test", loops: loops, cpus: nil, wait: wait)
        let obtained = try runner.start()
        #expect(!obtained.isEmpty)
        #expect(runner.isRunning)
        feed(rings, count: 20_000, wakeup: runner.wakeup)
        while loops.contains(where: { $0.seen.load(ordering: .acquiring) < 20_000 }) { sched_yield() }
        runner.stop()
        #expect(!runner.isRunning)
        for loop in loops {
            #expect(loop.seen.load(ordering: .acquiring) == 20_000)
            #expect(loop.disorder.load(ordering: .relaxed) == 0)
        }
        #expect(runner.rounds > 0)
    }

    @Test func aParkedRunnerWakesForNewWorkWellBeforeItsTimeout() throws {
        let ring = try SPSCRing<UInt64>(capacity: 8)
        let loop = CountingLoop(name: "parked", ring: ring)
        // A 10-minute timeout: only a wake-up can get the message through in time.
        let runner = try LoopRunner(name: "parked", loops: [loop], cpus: nil, wait: .park(spins: 1, timeoutNanoseconds: 600_000_000_000))
        try runner.start()
        for i in 0..<50 {
            // Let the runner fall asleep, then hand it one message.
            for _ in 0..<200 { sched_yield() }
            #expect(ring.push(UInt64(i)))
            runner.wakeup.wake()
            while loop.seen.load(ordering: .acquiring) < i + 1 { sched_yield() }
        }
        runner.stop()
        #expect(loop.seen.load(ordering: .acquiring) == 50)
        #expect(runner.idleRounds > 0, "it did go idle between messages")
    }

    @Test func pinningToCPUsThatDoNotExistFailsWithoutStarting() throws {
        let available = CPUSet.available
        let missing = (0..<64).first { !available.contains($0) }!
        let runner = try LoopRunner(name: "bad", loops: [], cpus: CPUSet([missing]), wait: .busySpin)
        #expect(throws: ThreadError.unavailableCPUs(requested: CPUSet([missing]), available: available)) {
            try runner.start()
        }
        #expect(!runner.isRunning, "nothing is left running")
    }

    @Test func aPinnedThreadRunsOnlyWhereItWasPinned() throws {
        let available = CPUSet.available
        let target = available.cpus.last!
        let where_ = ManagedAtomic<Int>(-1)
        let thread = try PinnedThread.start(name: "pinned", cpus: CPUSet([target])) {
            var cpu = -1
            for _ in 0..<100 { cpu = Affinity.currentCPU; sched_yield() }
            where_.store(cpu, ordering: .releasing)
        }
        thread.join()
        #expect(thread.obtained == CPUSet([target]))
        #expect(where_.load(ordering: .acquiring) == target)
    }
}
