@testable import QuorumExchange
import Testing

/// Runs ids 0..<n through the faults; returns the ids in send order.
func route(_ faults: inout PacketFaults, _ n: Int) -> [Int] {
    var sent: [Int] = []
    for id in 0..<n {
        faults.offer(id)
        while let s = faults.nextToSend() { sent.append(s) }
    }
    faults.finish()
    while let s = faults.nextToSend() { sent.append(s) }
    return sent
}

@Suite struct FaultInjectionTests {
    @Test func everyNthDropIsExact() {
        var f = PacketFaults(.init(drop: .everyNth(10)))
        let sent = route(&f, 1000)
        #expect(f.dropped == 100 && sent.count == 900)
        #expect(sent == (0..<1000).filter { ($0 + 1) % 10 != 0 })  // the 10th, 20th, … offered
    }

    @Test func probabilisticDropIsSeededAndNearTheRate() {
        var a = PacketFaults(.init(drop: .probability(0.05), seed: 42))
        var b = PacketFaults(.init(drop: .probability(0.05), seed: 42))
        var c = PacketFaults(.init(drop: .probability(0.05), seed: 43))
        let sa = route(&a, 20_000)
        #expect(sa == route(&b, 20_000))
        #expect(sa != route(&c, 20_000))
        #expect(a.dropped > 800 && a.dropped < 1200)  // 1000 expected; ±6 σ
        #expect(a.dropped + UInt64(sa.count) == 20_000)
    }

    @Test func reorderStaysWithinTheWindowAndLosesNothing() {
        for window in [2, 3, 4, 8] {
            var f = PacketFaults(.init(reorder: .probability(0.3), reorderWindow: window, seed: UInt64(window)))
            let sent = route(&f, 2000)
            #expect(sent.sorted() == Array(0..<2000))
            #expect(f.held > 200)
            #expect(sent != Array(0..<2000))
            // No packet is overtaken by more than window − 1 later packets.
            var worst = 0
            for (position, id) in sent.enumerated() {
                let overtakenBy = sent[..<position].filter { $0 > id }.count
                worst = max(worst, overtakenBy)
            }
            #expect(worst <= window - 1 && worst >= 1, "window \(window): \(worst)")
        }
    }

    @Test func dropAndReorderTogether() {
        var f = PacketFaults(.init(drop: .everyNth(7), reorder: .everyNth(5), reorderWindow: 3, seed: 9))
        let sent = route(&f, 700)
        #expect(f.dropped == 100 && sent.count == 600)
        #expect(Set(sent) == Set((0..<700).filter { ($0 + 1) % 7 != 0 }))
        var again = PacketFaults(.init(drop: .everyNth(7), reorder: .everyNth(5), reorderWindow: 3, seed: 9))
        #expect(route(&again, 700) == sent)
    }

    @Test func streamDelayAndCutAfterNMessages() {
        var s = StreamFaults(.init(delayAfter: 3, delayEvery: 4, delayNanos: 5_000, cutAfter: 10))
        let actions = (0..<14).map { _ in s.next() }
        #expect(actions == [.pass, .pass, .pass, .delay(nanos: 5_000), .pass, .pass, .pass, .delay(nanos: 5_000),
                            .pass, .pass, .cut, .delay(nanos: 5_000), .pass, .pass])
        #expect(s.delayed == 3 && s.cuts == 1)
        s.reset()
        #expect(s.next() == .pass)
        var quiet = StreamFaults(.init())
        #expect((0..<100).allSatisfy { _ in quiet.next() == .pass })
    }

    @Test func corruptorFlipsExactlyOneByteOfTheChosenMessages() {
        var c = MessageCorruptor(rate: .everyNth(3), seed: 7)
        var changed = 0
        for i in 1...30 {
            var bytes = Array("8=FIX.4.4\u{1}9=5\u{1}35=0\u{1}10=000\u{1}".utf8)
            let original = bytes
            let offset = bytes.withUnsafeMutableBytes { c.corrupt($0) }
            let diff = zip(bytes, original).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            if i % 3 == 0 {
                #expect(offset != nil && diff == [offset!])
                changed += 1
            } else {
                #expect(offset == nil && diff.isEmpty)
            }
        }
        #expect(changed == 10 && c.corrupted == 10 && c.messages == 30)
        var a = MessageCorruptor(rate: .probability(0.5), seed: 3)
        var b = MessageCorruptor(rate: .probability(0.5), seed: 3)
        let da = (0..<200).map { _ in a.decide(length: 40).map { [$0.offset, Int($0.mask)] } ?? [] }
        let db = (0..<200).map { _ in b.decide(length: 40).map { [$0.offset, Int($0.mask)] } ?? [] }
        #expect(da == db && a.corrupted > 60 && a.corrupted < 140)
        #expect(da.allSatisfy { $0.isEmpty || ($0[0] < 40 && $0[1] != 0) })
        var none = MessageCorruptor(rate: .everyNth(1))
        #expect(none.decide(length: 0) == nil)
    }
}
