import Atomics
import Foundation
import Testing
@testable import QuorumRings

/// Scale for the concurrent tests: 1 by default; the ThreadSanitizer run sets
/// QUORUM_STRESS_SCALE to a fraction because TSan slows every access tenfold.
let stressScale: Double = {
    ProcessInfo.processInfo.environment["QUORUM_STRESS_SCALE"].flatMap(Double.init) ?? 1
}()

func scaled(_ n: Int) -> Int { max(1000, Int(Double(n) * stressScale)) }

/// A payload whose words must all agree: a torn copy would mix two values.
struct Stamped: Equatable {
    var a: UInt64, b: UInt64, c: UInt64, d: UInt64, e: UInt64, f: UInt64, g: UInt64, h: UInt64
    init(_ v: UInt64) { (a, b, c, d, e, f, g, h) = (v, v, v, v, v, v, v, v) }
    var isWhole: Bool { a == b && b == c && c == d && d == e && e == f && f == g && g == h }
}

/// Runs `body` on a new thread; unpinned, so the tests run on any machine shape.
func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) throws -> PinnedThread {
    try PinnedThread.start(name: name, cpus: nil, body)
}

@Suite(.serialized) struct RingStressTests {
    @Test func spscCarriesFiftyMillionInOrder() throws {
        let total = scaled(50_000_000)
        let ring = try SPSCRing<UInt64>(capacity: 1024)
        let producer = try spawn("producer") {
            var next: UInt64 = 0
            while next < UInt64(total) {
                // Alternate single pushes and batch claims so both paths race the consumer.
                if next & 0x1_0000 == 0 {
                    if !ring.push(next) { spinPause(); continue }
                    next += 1
                } else {
                    let claim = ring.claim(upTo: min(64, total - Int(next)))
                    if claim.isEmpty { spinPause(); continue }
                    for i in 0..<claim.count { claim[i] = next + UInt64(i) }
                    ring.commit(claim.count)
                    next += UInt64(claim.count)
                }
            }
        }
        var expected: UInt64 = 0
        var outOfOrder = 0
        let check = { (v: UInt64) in
            if v != expected { outOfOrder += 1 }
            expected = v + 1
        }
        while expected < UInt64(total) {
            // Alternate batch reads and single pops so both consumer paths are raced.
            if expected & 0x2_0000 == 0 {
                let run = ring.readable(upTo: 256)
                if run.isEmpty { spinPause(); continue }
                for v in run { check(v) }
                ring.release(run.count)
            } else if let v = ring.pop() {
                check(v)
            } else {
                spinPause()
            }
        }
        producer.join()
        #expect(outOfOrder == 0)
        #expect(expected == UInt64(total))
        #expect(ring.pop() == nil)
    }

    @Test func spscCarriesWideMessagesWholeAndInOrder() throws {
        // 64-byte messages: each slot spans two cache lines.
        let total = scaled(5_000_000)
        let ring = try SPSCRing<Stamped>(capacity: 256)
        let producer = try spawn("producer") {
            var next: UInt64 = 0
            while next < UInt64(total) {
                if next & 0x4000 == 0 {
                    if ring.push(Stamped(next)) { next += 1 } else { spinPause() }
                } else {
                    let claim = ring.claim(upTo: min(32, total - Int(next)))
                    for i in 0..<claim.count { claim[i] = Stamped(next + UInt64(i)) }
                    ring.commit(claim.count)
                    next += UInt64(claim.count)
                }
            }
        }
        var expected: UInt64 = 0
        var bad = 0
        while expected < UInt64(total) {
            if expected & 0x8000 == 0 {
                let run = ring.readable(upTo: 64)
                for s in run {
                    if !s.isWhole || s.a != expected { bad += 1 }
                    expected = s.a + 1
                }
                ring.release(run.count)
                if run.isEmpty { spinPause() }
            } else if let s = ring.pop() {
                if !s.isWhole || s.a != expected { bad += 1 }
                expected = s.a + 1
            } else {
                spinPause()
            }
        }
        producer.join()
        #expect(bad == 0)
        #expect(expected == UInt64(total))
        #expect(ring.pop() == nil)
    }

    @Test func mpscKeepsEveryProducersOrderAndLosesNothing() throws {
        let producers = 4
        let perProducer = scaled(10_000_000)
        let ring = try MPSCRing<UInt64>(capacity: 4096)
        var threads: [PinnedThread] = []
        for p in 0..<producers {
            threads.append(try spawn("producer-\(p)") {
                // High 8 bits: producer; low 56: its sequence.
                let tag = UInt64(p) << 56
                var i: UInt64 = 0
                while i < UInt64(perProducer) {
                    if ring.push(tag | i) { i += 1 } else { sched_yield() }
                }
            })
        }
        var next = [UInt64](repeating: 0, count: producers)
        var violations = 0
        var received = 0
        while received < producers * perProducer {
            let n = ring.drain(limit: 1024) { value in
                let p = Int(value >> 56)
                let seq = value & ((1 << 56) - 1)
                if p >= producers || seq != next[p] { violations += 1 }
                if p < producers { next[p] = seq + 1 }
            }
            received += n
            if n == 0 { sched_yield() }
        }
        for t in threads { t.join() }
        #expect(violations == 0, "none duplicated, none reordered within a producer")
        #expect(next == [UInt64](repeating: UInt64(perProducer), count: producers), "none lost")
        #expect(ring.pop() == nil)
    }

    @Test func broadcastDeliversTheWholeSequenceToThreeReaders() throws {
        let total = scaled(5_000_000)
        let ring = try BroadcastRing<Stamped>(capacity: 256, readers: 3)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 3 * 16)
        counts.initialize(repeating: 0, count: 3 * 16)
        defer { counts.deallocate() }
        let box = UnsafeSendable(counts)
        var readers: [PinnedThread] = []
        for r in 0..<3 {
            readers.append(try spawn("reader-\(r)") {
                var expected: UInt64 = 0
                var bad = 0
                while expected < UInt64(total) {
                    // Reader 2 reads in place in runs; the others one entry at a time.
                    if r == 2 {
                        let run = ring.readable(r, upTo: 100)
                        for s in run {
                            if !s.isWhole || s.a != expected { bad += 1 }
                            expected += 1
                        }
                        ring.release(r, run.count)
                        if run.isEmpty { sched_yield() }
                        continue
                    }
                    switch ring.read(r) {
                    case .element(let s):
                        if !s.isWhole || s.a != expected { bad += 1 }
                        expected += 1
                    case .empty: sched_yield()
                    case .lost: bad += 1_000_000
                    }
                }
                box.value[r * 16] = bad
                box.value[r * 16 + 1] = Int(expected)
            })
        }
        var next: UInt64 = 0
        while next < UInt64(total) {
            if ring.publish(Stamped(next)) { next += 1 } else { sched_yield() }
        }
        for t in readers { t.join() }
        for r in 0..<3 {
            #expect(counts[r * 16] == 0, "reader \(r) saw every entry whole and in order")
            #expect(counts[r * 16 + 1] == total)
            #expect(ring.lostCount(r) == 0)
        }
    }

    @Test func lappedReadersNeverSeeATornEntry() throws {
        let total = scaled(3_000_000)
        let ring = try BroadcastRing<Stamped>(capacity: 64, readers: 2, overflow: .lapSlowReaders)
        let done = ManagedAtomic<Bool>(false)
        let results = UnsafeMutablePointer<Int>.allocate(capacity: 2 * 16)
        results.initialize(repeating: 0, count: 2 * 16)
        defer { results.deallocate() }
        let box = UnsafeSendable(results)
        var readers: [PinnedThread] = []
        for r in 0..<2 {
            readers.append(try spawn("reader-\(r)") {
                var last: UInt64? = nil
                var seen = 0, lost = 0, torn = 0, backwards = 0
                while true {
                    // Read `done` before the ring: empty after done means all was read.
                    let finished = done.load(ordering: .acquiring)
                    switch ring.read(r) {
                    case .element(let s):
                        if !s.isWhole { torn += 1 }
                        if let l = last, s.a <= l { backwards += 1 }
                        last = s.a
                        seen += 1
                        // Reader 1 dawdles so that it gets lapped.
                        if r == 1 && seen % 16 == 0 { for _ in 0..<200 { spinPause() } }
                    case .lost(let n):
                        lost += n
                    case .empty:
                        if finished {
                            box.value[r * 16] = seen; box.value[r * 16 + 1] = lost
                            box.value[r * 16 + 2] = torn; box.value[r * 16 + 3] = backwards
                            box.value[r * 16 + 4] = ring.lostCount(r)
                            return
                        }
                        spinPause()
                    }
                }
            })
        }
        for v in 0..<UInt64(total) { _ = ring.publish(Stamped(v)) }
        done.store(true, ordering: .releasing)
        for t in readers { t.join() }
        for r in 0..<2 {
            let (seen, lost, torn, backwards, counted) = (results[r * 16], results[r * 16 + 1], results[r * 16 + 2], results[r * 16 + 3], results[r * 16 + 4])
            #expect(torn == 0, "reader \(r) never returns a torn entry")
            #expect(backwards == 0, "reader \(r) only moves forward")
            #expect(seen + lost == total, "reader \(r): every entry is either seen or counted lost")
            #expect(lost == counted)
        }
    }

    @Test func seqLockReadersNeverSeeATornSnapshot() throws {
        let writes = scaled(2_000_000)
        let lock = try SeqLock(Stamped(0))
        let done = ManagedAtomic<Bool>(false)
        let results = UnsafeMutablePointer<Int>.allocate(capacity: 2 * 16)
        results.initialize(repeating: 0, count: 2 * 16)
        defer { results.deallocate() }
        let box = UnsafeSendable(results)
        var readers: [PinnedThread] = []
        for r in 0..<2 {
            readers.append(try spawn("seqlock-reader-\(r)") {
                var torn = 0, backwards = 0, reads = 0
                var last: UInt64 = 0
                while !done.load(ordering: .acquiring) {
                    let s = lock.read()
                    if !s.isWhole { torn += 1 }
                    if s.a < last { backwards += 1 }
                    last = s.a
                    reads += 1
                }
                box.value[r * 16] = torn; box.value[r * 16 + 1] = backwards; box.value[r * 16 + 2] = reads
                box.value[r * 16 + 3] = Int(lock.read().a)
            })
        }
        for v in 1...UInt64(writes) { lock.write(Stamped(v)) }
        done.store(true, ordering: .releasing)
        for t in readers { t.join() }
        for r in 0..<2 {
            #expect(results[r * 16] == 0, "reader \(r) saw no torn snapshot")
            #expect(results[r * 16 + 1] == 0, "reader \(r) never went back in time")
            #expect(results[r * 16 + 2] > 0)
            #expect(results[r * 16 + 3] == writes, "the last write is what remains")
        }
        #expect(lock.version == writes)
    }
}

/// Hands a pointer to a test thread; the test joins the thread before reading.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
