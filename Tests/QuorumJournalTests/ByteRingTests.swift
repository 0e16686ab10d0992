import Testing
@testable import QuorumJournal
#if canImport(Glibc)
import Glibc
#endif

@Suite("One-to-one byte ring")
struct ByteRingTests {
    @Test("every small capacity: entries come out in order across wrap-around; full is reported")
    func sweepCapacities() {
        for shift in 6...10 {
            let capacity = 1 << shift
            let ring = OneToOneByteRing(capacity: capacity)
            let h = ring.handle
            var nextWrite: UInt64 = 0
            var nextRead: UInt64 = 0
            var sizes: [Int] = []
            var full = 0
            for step in 0..<4000 {
                let size = 8 * (2 + (step * 7) % min(8, capacity / 16))
                if let p = h.claim(size) {
                    p.storeBytes(of: UInt32(size), as: UInt32.self)
                    p.storeBytes(of: nextWrite, toByteOffset: 8, as: UInt64.self)
                    h.commit(size)
                    sizes.append(size)
                    nextWrite += 1
                } else {
                    full += 1
                    // Drain a little, in entry order.
                    var region = h.readable()
                    var drained = 0
                    while region.count > 0 && drained < 3 {
                        let size = Int(region.load(as: UInt32.self))
                        #expect(size == sizes.first)
                        let v = region.load(fromByteOffset: 8, as: UInt64.self)
                        #expect(v == nextRead)
                        nextRead += 1
                        sizes.removeFirst()
                        h.release(size)
                        drained += 1
                        region = h.readable()
                    }
                }
            }
            #expect(full > 0)
            #expect(nextWrite > UInt64(capacity / 8))
        }
    }

    @Test("two threads hand over a million entries intact")
    func twoThreads() async {
        let ring = OneToOneByteRing(capacity: 1 << 12)
        let h = ring.handle
        let total: UInt64 = 1_000_000
        let producer = Thread {
            var i: UInt64 = 0
            while i < total {
                let size = 16 + Int(i % 5) * 8
                guard let p = h.claim(size) else { continue }
                p.storeBytes(of: UInt32(size), as: UInt32.self)
                p.storeBytes(of: i, toByteOffset: 8, as: UInt64.self)
                h.commit(size)
                i += 1
            }
        }
        producer.start()
        var expected: UInt64 = 0
        var ok = true
        while expected < total {
            let region = h.readable()
            if region.count == 0 { continue }
            var used = 0
            while used < region.count {
                let size = Int(region.load(fromByteOffset: used, as: UInt32.self))
                if UInt32(size) == _ByteRingControlDescriptor.paddingMarker { used = region.count; break }
                if region.load(fromByteOffset: used + 8, as: UInt64.self) != expected || size != 16 + Int(expected % 5) * 8 { ok = false }
                expected += 1
                used += size
            }
            h.release(used)
        }
        #expect(ok)
        #expect(expected == total)
        withExtendedLifetime(ring) {}
    }
}

import Foundation
