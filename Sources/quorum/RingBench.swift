import Atomics
#if canImport(Glibc)
import Glibc
#endif
import CURing
import Histogram
import QuorumRings

/// An element the ring benchmarks can stamp with a sequence number and read it back.
protocol BenchElement: BitwiseCopyable, SendableMetatype {
    init(sequence: UInt64)
    var sequence: UInt64 { get }
}

extension UInt64: BenchElement {
    init(sequence: UInt64) { self = sequence }
    var sequence: UInt64 { self }
}

/// A 64-byte message, the size of a small market-data event.
struct Payload64: BenchElement {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    init(sequence: UInt64) { words = (sequence, 1, 2, 3, 4, 5, 6, 7) }
    var sequence: UInt64 { words.0 }
}

/// The measurements behind `quorum bench rings`. Each run starts its threads, releases
/// them together, and times from release to the consumer's last message; a checksum of
/// every sequence number received proves nothing was lost or duplicated.
struct RingBench {
    var messages: Int
    var capacity: Int
    var producer: CPUSet
    var consumer: CPUSet

    enum Failure: Error, CustomStringConvertible {
        case checksum(test: String, expected: UInt64, found: UInt64)
        var description: String {
            switch self {
            case .checksum(let test, let expected, let found):
                "\(test): checksum \(found) differs from the expected \(expected): messages were lost or duplicated"
            }
        }
    }

    var expectedSum: UInt64 { UInt64(messages) &* UInt64(messages - 1) / 2 }

    /// One producer, one consumer on the other core; returns millions of messages/s.
    func spsc<E: BenchElement>(_: E.Type, batchedProducer: Bool) throws -> Double {
        let ring = try SPSCRing<E>(capacity: capacity)
        let go = ManagedAtomic<Bool>(false)
        let n = messages
        let producerThread = try PinnedThread.start(name: "bench-producer", cpus: producer) {
            while !go.load(ordering: .acquiring) { sched_yield() }
            var next = 0
            if batchedProducer {
                while next < n {
                    let claim = ring.claim(upTo: min(256, n - next))
                    if claim.isEmpty { spinPause(); continue }
                    for i in 0..<claim.count { claim[i] = E(sequence: UInt64(next + i)) }
                    ring.commit(claim.count)
                    next += claim.count
                }
            } else {
                while next < n {
                    if ring.push(E(sequence: UInt64(next))) { next += 1 } else { spinPause() }
                }
            }
        }
        let result = ManagedAtomic<UInt64>(0)
        let end = ManagedAtomic<UInt64>(0)
        let consumerThread = try PinnedThread.start(name: "bench-consumer", cpus: consumer) {
            while !go.load(ordering: .acquiring) { sched_yield() }
            var received = 0
            var sum: UInt64 = 0
            while received < n {
                let run = ring.readable()
                if run.isEmpty { spinPause(); continue }
                for e in run { sum &+= e.sequence }
                received += run.count
                ring.release(run.count)
            }
            end.store(curing_monotonic_ns(), ordering: .releasing)
            result.store(sum, ordering: .releasing)
        }
        let start = curing_monotonic_ns()
        go.store(true, ordering: .releasing)
        producerThread.join()
        consumerThread.join()
        try check("spsc", result.load(ordering: .acquiring))
        return Double(n) / Double(end.load(ordering: .acquiring) - start) * 1000
    }

    /// One producer, `readers` readers as loops on one runner on the consumer core.
    func broadcast(readers: Int) throws -> Double {
        let ring = try BroadcastRing<UInt64>(capacity: capacity, readers: readers)
        let go = ManagedAtomic<Bool>(false)
        let finished = ManagedAtomic<Int>(0)
        let end = ManagedAtomic<UInt64>(0)
        let loops = (0..<readers).map {
            BroadcastReaderLoop(ring: ring, reader: $0, messages: messages, finished: finished, end: end, total: readers)
        }
        let runner = try LoopRunner(name: "bench-readers", loops: loops, cpus: consumer, wait: .busySpin)
        try runner.start()
        let n = messages
        let producerThread = try PinnedThread.start(name: "bench-producer", cpus: producer) {
            while !go.load(ordering: .acquiring) { sched_yield() }
            var next = 0
            while next < n {
                if ring.publish(UInt64(next)) { next += 1 } else { spinPause() }
            }
        }
        let start = curing_monotonic_ns()
        go.store(true, ordering: .releasing)
        producerThread.join()
        // Sleep, not spin: this thread must not take a core from the measured ones.
        while finished.load(ordering: .acquiring) < readers { usleep(200) }
        runner.stop()
        for loop in loops { try check("broadcast reader \(loop.reader)", loop.sum) }
        return Double(n) / Double(end.load(ordering: .acquiring) - start) * 1000
    }

    /// Two producers, one on each core; the consumer shares the second core with its
    /// producer as two loops on one runner. Returns millions of messages/s consumed.
    func mpsc() throws -> Double {
        let ring = try MPSCRing<UInt64>(capacity: capacity)
        let go = ManagedAtomic<Bool>(false)
        let end = ManagedAtomic<UInt64>(0)
        let n = messages / 2
        let consumerLoop = MPSCConsumerLoop(ring: ring, messages: 2 * n, end: end)
        let producerLoop = MPSCProducerLoop(ring: ring, messages: n, tag: 1 << 63, go: go)
        let runner = try LoopRunner(name: "bench-mpsc", loops: [producerLoop, consumerLoop], cpus: consumer, wait: .busySpin)
        try runner.start()
        let producerThread = try PinnedThread.start(name: "bench-producer", cpus: producer) {
            while !go.load(ordering: .acquiring) { sched_yield() }
            var next = 0
            while next < n {
                if ring.push(UInt64(next)) { next += 1 } else { spinPause() }
            }
        }
        let start = curing_monotonic_ns()
        go.store(true, ordering: .releasing)
        producerThread.join()
        while end.load(ordering: .acquiring) == 0 { usleep(200) }
        runner.stop()
        if consumerLoop.orderViolations != 0 {
            throw Failure.checksum(test: "mpsc order", expected: 0, found: UInt64(consumerLoop.orderViolations))
        }
        let perProducer = UInt64(n) &* UInt64(n - 1) / 2
        if consumerLoop.sum != 2 &* perProducer {
            throw Failure.checksum(test: "mpsc", expected: 2 &* perProducer, found: consumerLoop.sum)
        }
        return Double(2 * n) / Double(end.load(ordering: .acquiring) - start) * 1000
    }

    /// Ping-pong through two SPSC rings; records each round trip / 2 in nanoseconds.
    /// Returns the histogram and the mean one-way time over the whole run.
    func hop(samples: Int) throws -> (histogram: Histogram<UInt64>, meanNanoseconds: Double) {
        let ping = try SPSCRing<UInt64>(capacity: 64)
        let pong = try SPSCRing<UInt64>(capacity: 64)
        let warmup = min(100_000, samples)
        let total = samples + warmup
        let times = UnsafeMutablePointer<UInt64>.allocate(capacity: samples)
        defer { times.deallocate() }
        let timesBox = SendablePointer(times)
        let elapsed = ManagedAtomic<UInt64>(0)
        let echo = try PinnedThread.start(name: "bench-pong", cpus: consumer) {
            var seen = 0
            while seen < total {
                guard let v = ping.pop() else { spinPause(); continue }
                while !pong.push(v) { spinPause() }
                seen += 1
            }
        }
        let driver = try PinnedThread.start(name: "bench-ping", cpus: producer) {
            var measuredStart: UInt64 = 0
            for i in 0..<total {
                if i == warmup { measuredStart = curing_monotonic_ns() }
                let t0 = curing_monotonic_ns()
                while !ping.push(UInt64(i)) { spinPause() }
                while pong.pop() == nil { spinPause() }
                let t1 = curing_monotonic_ns()
                if i >= warmup { timesBox.pointer[i - warmup] = t1 &- t0 }
            }
            elapsed.store(curing_monotonic_ns() &- measuredStart, ordering: .releasing)
        }
        driver.join()
        echo.join()
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for i in 0..<samples { _ = histogram.record(times[i] / 2) }
        return (histogram, Double(elapsed.load(ordering: .acquiring)) / Double(2 * samples))
    }

    private func check(_ test: String, _ sum: UInt64) throws {
        if sum != expectedSum { throw Failure.checksum(test: test, expected: expectedSum, found: sum) }
    }
}

struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// One broadcast reader as a loop: drains what is ready, sums it, and reports when done.
final class BroadcastReaderLoop: Loop, @unchecked Sendable {
    let name: String
    let ring: BroadcastRing<UInt64>
    let reader: Int
    let messages: Int
    let finished: ManagedAtomic<Int>
    let end: ManagedAtomic<UInt64>
    let total: Int
    var received = 0
    var sum: UInt64 = 0

    init(ring: BroadcastRing<UInt64>, reader: Int, messages: Int, finished: ManagedAtomic<Int>, end: ManagedAtomic<UInt64>, total: Int) {
        self.name = "reader-\(reader)"
        self.ring = ring
        self.reader = reader
        self.messages = messages
        self.finished = finished
        self.end = end
        self.total = total
    }

    func poll() -> Int {
        guard received < messages else { return 0 }
        let run = ring.readable(reader, upTo: 1024)
        for v in run { sum &+= v }
        ring.release(reader, run.count)
        let work = run.count
        received += work
        if received == messages, finished.wrappingIncrementThenLoad(ordering: .acquiringAndReleasing) == total {
            end.store(curing_monotonic_ns(), ordering: .releasing)
        }
        return work
    }
}

/// The second MPSC producer, sharing the consumer's core as a loop.
final class MPSCProducerLoop: Loop, @unchecked Sendable {
    let name = "producer-b"
    let ring: MPSCRing<UInt64>
    let messages: Int
    let tag: UInt64
    let go: ManagedAtomic<Bool>
    var next = 0

    init(ring: MPSCRing<UInt64>, messages: Int, tag: UInt64, go: ManagedAtomic<Bool>) {
        self.ring = ring
        self.messages = messages
        self.tag = tag
        self.go = go
    }

    func poll() -> Int {
        guard next < messages, go.load(ordering: .relaxed) else { return 0 }
        var work = 0
        while work < 256, next < messages, ring.push(tag | UInt64(next)) {
            next += 1
            work += 1
        }
        return work
    }
}

/// The MPSC consumer: checks each producer's order and sums the sequence numbers.
final class MPSCConsumerLoop: Loop, @unchecked Sendable {
    let name = "consumer"
    let ring: MPSCRing<UInt64>
    let messages: Int
    let end: ManagedAtomic<UInt64>
    var received = 0
    var sum: UInt64 = 0
    var nextA: UInt64 = 0
    var nextB: UInt64 = 0
    var orderViolations = 0

    init(ring: MPSCRing<UInt64>, messages: Int, end: ManagedAtomic<UInt64>) {
        self.ring = ring
        self.messages = messages
        self.end = end
    }

    func poll() -> Int {
        guard received < messages else { return 0 }
        var work = 0
        while work < 1024, let v = ring.pop() {
            let seq = v & ~(1 << 63)
            if v >> 63 == 0 {
                if seq != nextA { orderViolations += 1 }
                nextA = seq + 1
            } else {
                if seq != nextB { orderViolations += 1 }
                nextB = seq + 1
            }
            sum &+= seq
            work += 1
        }
        received += work
        if received == messages { end.store(curing_monotonic_ns(), ordering: .releasing) }
        return work
    }
}
