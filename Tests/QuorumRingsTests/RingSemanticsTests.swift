import Testing
@testable import QuorumRings

/// Single-threaded semantics, swept over every capacity from 1 to 64: the powers of two
/// must behave exactly like a FIFO of that size, everything else must be refused.
@Suite struct RingSemanticsTests {
    static let capacities = Array(1...64)

    @Test(arguments: capacities)
    func spscRejectsOrAcceptsCapacity(_ capacity: Int) throws {
        if capacity & (capacity - 1) != 0 {
            #expect(throws: RingError.invalidCapacity(capacity, allowed: "a power of two in 1...\(1 << 30)")) {
                _ = try SPSCRing<UInt64>(capacity: capacity)
            }
            #expect(throws: RingError.self) { _ = try MPSCRing<UInt64>(capacity: capacity) }
            #expect(throws: RingError.self) { _ = try BroadcastRing<UInt64>(capacity: capacity, readers: 1) }
            return
        }
        let ring = try SPSCRing<UInt64>(capacity: capacity)
        #expect(ring.capacity == capacity)
        #expect(ring.pop() == nil, "a new ring is empty")
        // Fill, observe full, drain in order; then go round many times so every slot
        // wraps with every phase of the head.
        var next: UInt64 = 0
        var expected: UInt64 = 0
        for round in 0..<(3 * capacity + 2) {
            let burst = (round % capacity) + 1
            for _ in 0..<burst {
                #expect(ring.push(next))
                next += 1
            }
            if burst == capacity {
                #expect(!ring.push(999), "full at exactly \(capacity)")
                #expect(ring.approximateCount == capacity)
            }
            for _ in 0..<burst {
                #expect(ring.pop() == expected)
                expected += 1
            }
            #expect(ring.pop() == nil)
        }
    }

    @Test(arguments: [1, 2, 4, 8, 16, 32, 64])
    func spscBatchClaimWrapsAndStopsAtFull(_ capacity: Int) throws {
        let ring = try SPSCRing<UInt32>(capacity: capacity)
        var written: UInt32 = 0
        var read: UInt32 = 0
        for round in 0..<(4 * capacity) {
            let want = (round * 7) % (capacity + 3) + 1
            let claim = ring.claim(upTo: want)
            // The ring is empty at each round's start: a claim gets all it asks, up to capacity.
            #expect(claim.count == min(want, capacity))
            for i in 0..<claim.count {
                claim[i] = written
                written += 1
            }
            ring.commit(claim.count)
            // Drain in two steps so partial releases are exercised.
            let firstRun = ring.readable(upTo: max(1, claim.count / 2))
            for value in firstRun {
                #expect(value == read)
                read += 1
            }
            ring.release(firstRun.count)
            while true {
                let run = ring.readable()
                if run.isEmpty { break }
                for value in run {
                    #expect(value == read)
                    read += 1
                }
                ring.release(run.count)
            }
        }
        #expect(read == written)
        #expect(written > UInt32(capacity), "the sweep wrapped around")
        // Full ring: a claim comes back empty; a partly full one gets what is free.
        while ring.push(written) { written += 1 }
        #expect(ring.claim(upTo: 1).isEmpty)
        #expect(ring.approximateCount == capacity)
        #expect(ring.pop() == read)
        #expect(ring.claim(upTo: 5).count == 1)
        ring.commit(0)
        // Publishing nothing leaves the ring as it was.
        #expect(ring.approximateCount == capacity - 1)
    }

    @Test(arguments: [1, 2, 4, 8, 16, 32, 64])
    func mpscIsAFIFOOfItsCapacity(_ capacity: Int) throws {
        let ring = try MPSCRing<UInt64>(capacity: capacity)
        #expect(ring.pop() == nil)
        var next: UInt64 = 0
        var expected: UInt64 = 0
        for round in 0..<(3 * capacity + 2) {
            let burst = (round % capacity) + 1
            for _ in 0..<burst {
                #expect(ring.push(next))
                next += 1
            }
            if burst == capacity { #expect(!ring.push(999), "full at exactly \(capacity)") }
            var drained: [UInt64] = []
            let count = ring.drain { drained.append($0) }
            #expect(count == burst)
            #expect(drained == Array(expected..<(expected + UInt64(burst))))
            expected += UInt64(burst)
            #expect(ring.pop() == nil)
        }
    }

    @Test(arguments: [1, 2, 4, 8, 16, 32, 64])
    func broadcastWaitsForTheSlowestReader(_ capacity: Int) throws {
        let ring = try BroadcastRing<UInt64>(capacity: capacity, readers: 3)
        for r in 0..<3 { #expect(ring.read(r) == .empty) }
        var published: UInt64 = 0
        var seen = [UInt64](repeating: 0, count: 3)
        for round in 0..<(3 * capacity + 2) {
            while ring.publish(published) { published += 1 }
            // Full: nobody has read the oldest `capacity` entries... reader 0 reads all,
            // reader 1 half, reader 2 none; the producer stays blocked on reader 2.
            #expect(published - seen.min()! == UInt64(capacity), "round \(round): full at \(capacity)")
            while case .element(let v) = ring.read(0) { #expect(v == seen[0]); seen[0] += 1 }
            for _ in 0..<(capacity / 2) {
                guard case .element(let v) = ring.read(1) else { Issue.record("reader 1 starved"); break }
                #expect(v == seen[1]); seen[1] += 1
            }
            #expect(!ring.publish(published), "still blocked by reader 2")
            while case .element(let v) = ring.read(2) { #expect(v == seen[2]); seen[2] += 1 }
            while case .element(let v) = ring.read(1) { #expect(v == seen[1]); seen[1] += 1 }
            #expect(seen == [published, published, published])
            for r in 0..<3 { #expect(ring.read(r) == .empty) }
        }
        for r in 0..<3 { #expect(ring.lostCount(r) == 0) }
    }

    @Test(arguments: [1, 2, 4, 8, 16, 32, 64])
    func broadcastRunsReadInPlaceAndHoldBackTheProducer(_ capacity: Int) throws {
        let ring = try BroadcastRing<UInt64>(capacity: capacity, readers: 2)
        var published: UInt64 = 0
        var seen: [UInt64] = [0, 0]
        for round in 0..<(3 * capacity + 2) {
            while ring.publish(published) { published += 1 }
            #expect(published - seen.min()! == UInt64(capacity), "round \(round): full")
            // Reader 0 takes everything in runs of at most 3; reader 1 one run of half.
            while true {
                let run = ring.readable(0, upTo: 3)
                if run.isEmpty { break }
                for v in run { #expect(v == seen[0]); seen[0] += 1 }
                ring.release(0, run.count)
            }
            let half = ring.readable(1, upTo: max(1, capacity / 2))
            #expect(half.count == max(1, capacity / 2))
            for v in half { #expect(v == seen[1]); seen[1] += 1 }
            // Until reader 1 releases, the producer still may not reuse its slots.
            #expect(!ring.publish(published))
            ring.release(1, half.count)
            while true {
                let run = ring.readable(1)
                if run.isEmpty { break }
                for v in run { #expect(v == seen[1]); seen[1] += 1 }
                ring.release(1, run.count)
            }
            #expect(seen == [published, published])
        }
    }

    @Test(arguments: [2, 4, 8, 16, 32, 64])
    func broadcastLapsSlowReadersAndCountsTheLoss(_ capacity: Int) throws {
        let ring = try BroadcastRing<UInt64>(capacity: capacity, readers: 2, overflow: .lapSlowReaders)
        // Reader 0 keeps up; reader 1 sleeps through 5 laps.
        let total = UInt64(5 * capacity + 3)
        var seen0: UInt64 = 0
        for value in 0..<total {
            #expect(ring.publish(value), "lapping mode never refuses")
            #expect(ring.read(0) == .element(value))
            seen0 += 1
        }
        // With tail t, entries t - C + 1 ... t - 1 are intact: reader 1 lost the rest.
        let oldestIntact = total - UInt64(capacity) + 1
        #expect(ring.read(1) == .lost(Int(oldestIntact)))
        for value in oldestIntact..<total { #expect(ring.read(1) == .element(value)) }
        #expect(ring.read(1) == .empty)
        #expect(ring.lostCount(1) == Int(oldestIntact))
        #expect(ring.lostCount(0) == 0)
        #expect(seen0 == total)
    }

    @Test func broadcastRejectsBadShapes() {
        #expect(throws: RingError.invalidReaderCount(0, allowed: "1...256")) {
            _ = try BroadcastRing<UInt64>(capacity: 8, readers: 0)
        }
        // A lapping ring needs one slot for the entry being overwritten.
        #expect(throws: RingError.invalidCapacity(1, allowed: "a power of two in 2...\(1 << 30)")) {
            _ = try BroadcastRing<UInt64>(capacity: 1, readers: 1, overflow: .lapSlowReaders)
        }
        #expect(throws: RingError.self) { _ = try SPSCRing<UInt8>(capacity: 0) }
        #expect(throws: RingError.self) { _ = try SPSCRing<UInt8>(capacity: -4) }
        #expect(throws: RingError.self) { _ = try SPSCRing<UInt8>(capacity: 1 << 31) }
    }

    @Test func errorMessagesNameTheValueAndWhatIsAllowed() {
        let error = RingError.invalidCapacity(1000, allowed: "a power of two in 1...1073741824")
        #expect(error.description == "ring capacity 1000 is not allowed: expected a power of two in 1...1073741824")
    }

    @Test(arguments: [1, 2, 4, 8, 16, 32, 64])
    func spscWithElementsLargerThanALineIsTheSameFIFO(_ capacity: Int) throws {
        // 64-byte elements plus the sequence word take two lines per slot.
        struct Wide: Equatable { var a: UInt64, b: UInt64, c: UInt64, d: UInt64, e: UInt64, f: UInt64, g: UInt64, h: UInt64 }
        func wide(_ v: UInt64) -> Wide { Wide(a: v, b: v, c: v, d: v, e: v, f: v, g: v, h: ~v) }
        let ring = try SPSCRing<Wide>(capacity: capacity)
        var next: UInt64 = 0, expected: UInt64 = 0
        for round in 0..<(3 * capacity + 2) {
            let burst = (round % capacity) + 1
            if round % 2 == 0 {
                for _ in 0..<burst { #expect(ring.push(wide(next))); next += 1 }
            } else {
                let claim = ring.claim(upTo: burst)
                #expect(claim.count == burst)
                for i in 0..<claim.count { claim[i] = wide(next + UInt64(i)) }
                ring.commit(claim.count)
                next += UInt64(burst)
            }
            if burst == capacity { #expect(!ring.push(wide(999))) }
            let run = ring.readable(upTo: max(1, burst / 2))
            for v in run { #expect(v == wide(expected)); expected += 1 }
            ring.release(run.count)
            while let v = ring.pop() { #expect(v == wide(expected)); expected += 1 }
            #expect(expected == next)
        }
    }

    @Test func seqLockReturnsTheLastWrite() throws {
        struct Quote: Equatable { var bid: Int64; var ask: Int64; var size: Int32 }
        let lock = try SeqLock(Quote(bid: 1, ask: 2, size: 3))
        #expect(lock.read() == Quote(bid: 1, ask: 2, size: 3))
        #expect(lock.version == 0)
        for i in 0..<100 {
            lock.write(Quote(bid: Int64(i), ask: Int64(i + 1), size: Int32(i)))
            #expect(lock.read(attempts: 1) == Quote(bid: Int64(i), ask: Int64(i + 1), size: Int32(i)))
        }
        #expect(lock.version == 100)
    }

    @Test func oddSizedElementsKeepTheirBytes() throws {
        // 3-byte elements: broadcast slots round up to 8 bytes, racy copies handle the tail.
        struct Triple: Equatable { var a: UInt8; var b: UInt8; var c: UInt8 }
        let lapping = try BroadcastRing<Triple>(capacity: 4, readers: 1, overflow: .lapSlowReaders)
        let blocking = try BroadcastRing<Triple>(capacity: 4, readers: 1)
        let spsc = try SPSCRing<Triple>(capacity: 4)
        let mpsc = try MPSCRing<Triple>(capacity: 4)
        for i in 0..<20 {
            let t = Triple(a: UInt8(i), b: UInt8(i &* 3), c: UInt8(255 - i))
            #expect(lapping.publish(t)); #expect(lapping.read(0) == .element(t))
            #expect(blocking.publish(t)); #expect(blocking.read(0) == .element(t))
            #expect(spsc.push(t)); #expect(spsc.pop() == t)
            #expect(mpsc.push(t)); #expect(mpsc.pop() == t)
        }
    }
}
