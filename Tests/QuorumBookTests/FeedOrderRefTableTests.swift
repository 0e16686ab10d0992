import Testing
@testable import QuorumBook
import QuorumWire

/// The manager's feed-wide reference table: direct-mapped slots with the books' maps as the
/// overflow path. Small tables force collisions, overflow and slot reuse.
@Suite struct FeedOrderRefTableTests {
    let h = { (locate: UInt16) in ITCH.Header(stockLocate: StockLocate(locate), trackingNumber: 0, timestamp: Timestamp(1)) }

    func add(_ locate: UInt16, _ ref: UInt64, _ side: Side = .buy, _ qty: UInt32 = 100, _ price: UInt32 = 1000) -> ITCHMessage {
        .addOrder(.init(header: h(locate), orderRef: OrderRef(ref), side: side, shares: Qty(qty), stock: Stock("X"),
                        price: Price(price)))
    }
    func delete(_ locate: UInt16, _ ref: UInt64) -> ITCHMessage {
        .orderDelete(.init(header: h(locate), orderRef: OrderRef(ref)))
    }

    @Test func collidingReferencesOverflowToTheBookMapAndAreRemovedFromEither() {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 16, maxSymbols: 2, feedRefSlots: 8))
        var ev = IgnoreBookEvents()
        // 3, 11 and 19 share slot 3; so does 3 + 2^32 (same slot, same 32-bit tag).
        for (i, r) in [3, 11, 19, 3 + (1 << 32)].enumerated() { m.apply(add(1, UInt64(r)), sequence: UInt64(i), &ev) }
        #expect(m.overflowedOrders == 3)
        #expect(m.checkInvariants() == nil)
        for r: UInt64 in [3, 11, 19, 3 + (1 << 32)] { #expect(m.order(StockLocate(1), OrderRef(r))?.qty == Qty(100)) }
        #expect(m.order(StockLocate(1), OrderRef(27)) == nil)
        // Remove the slot's owner: the overflowed ones stay found; a new ref takes the free slot.
        m.apply(delete(1, 3), sequence: 10, &ev)
        #expect(m.order(StockLocate(1), OrderRef(3)) == nil)
        #expect(m.order(StockLocate(1), OrderRef(3 + (1 << 32)))?.qty == Qty(100))
        m.apply(add(1, 27), sequence: 11, &ev)
        #expect(m.overflowedOrders == 3)
        for r: UInt64 in [11, 19, 3 + (1 << 32)] { m.apply(delete(1, r), sequence: 12, &ev) }
        #expect(m.overflowedOrders == 0)
        #expect(m.counters.anomalies == 0)
        #expect(m.totalOrders == 1)
        #expect(m.checkInvariants() == nil)
    }

    @Test func theSameReferenceInTwoBooksStaysPerBook() {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 16, levelsPerSide: 8, maxSymbols: 2, feedRefSlots: 16))
        var ev = IgnoreBookEvents()
        m.apply(add(1, 5, .buy, 10), sequence: 0, &ev)
        m.apply(add(2, 5, .sell, 20, 2000), sequence: 1, &ev)
        m.apply(add(2, 5, .sell, 30, 2000), sequence: 2, &ev)  // duplicate in book 2
        #expect(m.counters.duplicateOrderRef == 1)
        #expect(m.order(StockLocate(1), OrderRef(5))?.qty == Qty(10))
        #expect(m.order(StockLocate(2), OrderRef(5))?.qty == Qty(20))
        m.apply(delete(1, 5), sequence: 3, &ev)
        #expect(m.order(StockLocate(1), OrderRef(5)) == nil)
        #expect(m.order(StockLocate(2), OrderRef(5))?.qty == Qty(20))
        m.apply(delete(1, 5), sequence: 4, &ev)  // gone from book 1 only
        #expect(m.counters.unknownOrderRef == 1)
        #expect(m.checkInvariants() == nil)
    }

    @Test func slotsLeftByRemoveAllAreReused() {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 16, levelsPerSide: 8, maxSymbols: 1, feedRefSlots: 8))
        var ev = IgnoreBookEvents()
        for r in 0..<6 as Range<UInt64> { m.apply(add(1, r), sequence: r, &ev) }
        m.withMutableBook(StockLocate(1)) { $0.removeAll() }
        // The freed nodes are reused by new references in the same slots.
        for r in 8..<14 as Range<UInt64> { m.apply(add(1, r), sequence: r, &ev) }
        #expect(m.overflowedOrders == 0)
        for r in 0..<6 as Range<UInt64> { #expect(m.order(StockLocate(1), OrderRef(r)) == nil) }
        for r in 8..<14 as Range<UInt64> { #expect(m.order(StockLocate(1), OrderRef(r)) != nil) }
        #expect(m.counters.anomalies == 0)
    }

    @Test func disabledTableKeepsEveryReferenceInTheBookMaps() {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 16, levelsPerSide: 8, maxSymbols: 1, feedRefSlots: 0))
        var ev = IgnoreBookEvents()
        for r in 1...5 as ClosedRange<UInt64> { m.apply(add(1, r), sequence: r, &ev) }
        #expect(m.overflowedOrders == 5)
        m.apply(delete(1, 3), sequence: 6, &ev)
        #expect(m.order(StockLocate(1), OrderRef(3)) == nil)
        #expect(m.checkInvariants() == nil)
    }

    /// Every small table size, sequential references wrapping the table many times, with
    /// random long-lived orders that collide, against a dictionary.
    @Test(arguments: [1, 2, 4, 8, 16, 32, 64])
    func randomFlowAgreesWithADictionary(slots: Int) {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 128, levelsPerSide: 64, maxSymbols: 3, feedRefSlots: slots))
        var ev = IgnoreBookEvents()
        var live: [UInt64: (locate: UInt16, qty: UInt32)] = [:]
        var keys: [UInt64] = []
        var rng = UInt64(0x9E37_79B9 &* UInt64(slots))
        func next() -> UInt64 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407  // &: LCG, wraps by design
            return rng >> 33
        }
        var ref: UInt64 = 1
        for seq in 0..<20_000 as Range<UInt64> {
            if keys.count < 100 && (keys.isEmpty || next() % 3 != 0) {
                let locate = UInt16(1 + next() % 3)
                let qty = UInt32(1 + next() % 50)
                m.apply(add(locate, ref, next() & 1 == 0 ? .buy : .sell, qty, UInt32(1000 + (next() % 20) * 2)),
                        sequence: seq, &ev)
                live[ref] = (locate, qty)
                keys.append(ref)
                ref += 1 + next() % 3
            } else {
                let i = Int(next() % UInt64(keys.count))
                let r = keys[i]
                let o = live[r]!
                if next() & 1 == 0 {
                    m.apply(delete(o.locate, r), sequence: seq, &ev)
                    live[r] = nil
                    keys.swapAt(i, keys.count - 1)
                    keys.removeLast()
                } else {
                    m.apply(.orderCancel(.init(header: h(o.locate), orderRef: OrderRef(r), cancelledShares: Qty(1))),
                            sequence: seq, &ev)
                    if o.qty == 1 {
                        live[r] = nil
                        keys.swapAt(i, keys.count - 1)
                        keys.removeLast()
                    } else {
                        live[r] = (o.locate, o.qty - 1)
                    }
                }
            }
            if seq % 1000 == 0 { #expect(m.checkInvariants() == nil) }
        }
        #expect(m.counters.anomalies == 0)
        #expect(m.totalOrders == live.count)
        for (r, o) in live { #expect(m.order(StockLocate(o.locate), OrderRef(r))?.qty == Qty(o.qty)) }
        #expect(m.checkInvariants() == nil)
    }
}
