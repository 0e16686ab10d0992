import QuorumBook
@testable import QuorumExchange
import QuorumWire
import Testing

@Suite struct MatchingEngineTests {
    @Test func limitOrderRestsAndPublishesAdd() {
        let e = makeEngine()
        var sink = RecordingSink()
        let r = e.submit(buy(100_0000, 300, owner: 5, token: 77), timestamp: t0, &sink)
        #expect(r.isAccepted && r.ref == OrderRef(1) && r.resting == Qty(300) && r.filled == .zero)
        #expect(sink.itchTypes == "A")
        guard case .addOrder(let a) = sink.messages[0] else { Issue.record("not an add"); return }
        #expect(a.orderRef == OrderRef(1) && a.side == .buy && a.shares == Qty(300) && a.price == Price(100_0000))
        #expect(a.stock == testStock && a.header.stockLocate == testLocate && a.header.timestamp == t0)
        #expect(e.bestBid == BookQuote(price: Price(100_0000), qty: 300))
        #expect(e.order(OrderRef(1)) == RestingOrder(ref: OrderRef(1), side: .buy, price: Price(100_0000), qty: Qty(300),
                                                      owner: Owner(5), token: ClientToken(77)))
        guard case .accepted(let acc) = sink.events[0] else { Issue.record("no accept first"); return }
        #expect(acc.ref == OrderRef(1) && acc.order.token == ClientToken(77))
    }

    @Test func crossingLimitTradesAtRestingPriceAndRestsRemainder() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(sell(101_0000, 100, owner: 1, token: 11), timestamp: t0, &sink)
        sink.reset()
        let r = e.submit(buy(102_0000, 250, owner: 2, token: 22), timestamp: t0, &sink)
        #expect(r.filled == Qty(100) && r.resting == Qty(150) && r.ref == OrderRef(2))
        #expect(sink.itchTypes == "EA")
        let f = sink.fills[0]
        #expect(f.price == Price(101_0000) && f.qty == Qty(100) && f.matchNumber == MatchNumber(1))
        #expect(f.aggressor == FillParty(ref: OrderRef(2), owner: Owner(2), token: ClientToken(22), side: .buy, leaves: Qty(150)))
        #expect(f.resting == FillParty(ref: OrderRef(1), owner: Owner(1), token: ClientToken(11), side: .sell, leaves: .zero))
        guard case .orderExecuted(let x) = sink.messages[0], case .addOrder(let a) = sink.messages[1] else {
            Issue.record("wrong messages"); return
        }
        #expect(x.orderRef == OrderRef(1) && x.executedShares == Qty(100) && x.matchNumber == MatchNumber(1))
        #expect(a.orderRef == OrderRef(2) && a.shares == Qty(150) && a.price == Price(102_0000))
        #expect(e.bestAsk.isEmpty && e.bestBid == BookQuote(price: Price(102_0000), qty: 150))
        #expect(e.order(OrderRef(1)) == nil)
    }

    @Test func priceThenTimePriority() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(sell(101, 10, token: 1), timestamp: t0, &sink)  // ref 1
        e.submit(sell(100, 10, token: 2), timestamp: t0, &sink)  // ref 2: better price
        e.submit(sell(100, 10, token: 3), timestamp: t0, &sink)  // ref 3: same price, later
        #expect(e.queue(.sell, 0) == [OrderRef(2), OrderRef(3)])
        sink.reset()
        e.submit(buy(101, 25), timestamp: t0, &sink)
        #expect(sink.fills.map(\.resting.ref) == [OrderRef(2), OrderRef(3), OrderRef(1)])
        #expect(sink.fills.map(\.qty) == [Qty(10), Qty(10), Qty(5)])
        #expect(sink.fills.map(\.price) == [Price(100), Price(100), Price(101)])
        #expect(sink.fills.map(\.matchNumber) == [MatchNumber(1), MatchNumber(2), MatchNumber(3)])
        #expect(sink.fills.last?.resting.leaves == Qty(5))
        #expect(levels(e, .sell) == [DepthLevel(price: Price(101), qty: 5, orderCount: 1)])
        #expect(e.levelCount(.buy) == 0)
    }

    @Test func marketOrderSweepsLevelsAndCancelsRestWhenBookEmpties() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(sell(100, 10), timestamp: t0, &sink)
        e.submit(sell(105, 20), timestamp: t0, &sink)
        e.submit(sell(110, 30), timestamp: t0, &sink)
        e.submit(buy(90, 40), timestamp: t0, &sink)  // same side as nothing: untouched by a market buy
        sink.reset()
        let r = e.submit(buy(0, 100, .market, owner: 9, token: 99), timestamp: t0, &sink)
        #expect(r.isAccepted && r.filled == Qty(60) && r.cancelled == Qty(40) && r.resting == .zero)
        #expect(sink.itchTypes == "EEE")
        #expect(sink.fills.map(\.price) == [Price(100), Price(105), Price(110)])
        #expect(sink.cancels == [OrderCancelled(locate: testLocate, ref: r.ref, owner: Owner(9), token: ClientToken(99),
                                                side: .buy, qty: Qty(40), reason: .noLiquidity, timestamp: t0)])
        #expect(e.levelCount(.sell) == 0)
        #expect(levels(e, .buy) == [DepthLevel(price: Price(90), qty: 40, orderCount: 1)])
        #expect(e.order(r.ref) == nil)
    }

    @Test func marketOrderOnEmptySideCancelsEverything() {
        let e = makeEngine()
        var sink = RecordingSink()
        let r = e.submit(sell(0, 5, .market), timestamp: t0, &sink)
        #expect(r.isAccepted && r.cancelled == Qty(5) && sink.messages.isEmpty)
        #expect(sink.cancels.first?.reason == .noLiquidity)
    }

    @Test func iocTradesWhatCrossesAndCancelsRemainder() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(buy(100, 30), timestamp: t0, &sink)
        e.submit(buy(99, 30), timestamp: t0, &sink)
        sink.reset()
        let r = e.submit(sell(100, 50, .immediateOrCancel), timestamp: t0, &sink)
        #expect(r.filled == Qty(30) && r.cancelled == Qty(20) && r.resting == .zero)
        #expect(sink.itchTypes == "E")  // nothing at 99 crosses a 100 limit; nothing rests
        #expect(sink.cancels.map(\.reason) == [.immediateOrCancel])
        #expect(sink.cancels.map(\.qty) == [Qty(20)])
        #expect(levels(e, .buy) == [DepthLevel(price: Price(99), qty: 30, orderCount: 1)])
        #expect(e.levelCount(.sell) == 0)
    }

    @Test func fillOrKillThatWouldPartiallyFillTradesNothing() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(sell(100, 10), timestamp: t0, &sink)
        e.submit(sell(101, 10), timestamp: t0, &sink)
        e.submit(sell(103, 100), timestamp: t0, &sink)  // beyond the limit: does not count
        let before = levels(e, .sell)
        sink.reset()
        let r = e.submit(buy(101, 21, .fillOrKill, owner: 3), timestamp: t0, &sink)
        #expect(r.isAccepted && r.filled == .zero && r.cancelled == Qty(21))
        #expect(sink.fills.isEmpty && sink.messages.isEmpty)
        #expect(sink.cancels.map(\.reason) == [.fillOrKill])
        #expect(levels(e, .sell) == before)
        // Exactly the visible quantity: fills across both levels.
        sink.reset()
        let r2 = e.submit(buy(101, 20, .fillOrKill), timestamp: t0, &sink)
        #expect(r2.filled == Qty(20) && r2.cancelled == .zero && sink.cancels.isEmpty)
        #expect(sink.itchTypes == "EE")
        #expect(levels(e, .sell) == [DepthLevel(price: Price(103), qty: 100, orderCount: 1)])
    }

    @Test func selfOwnedOrdersTradeWithEachOther() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(sell(100, 10, owner: 4, token: 1), timestamp: t0, &sink)
        sink.reset()
        let r = e.submit(buy(100, 10, owner: 4, token: 2), timestamp: t0, &sink)
        #expect(r.filled == Qty(10))
        #expect(sink.fills.map(\.aggressor.owner) == [Owner(4)] && sink.fills.map(\.resting.owner) == [Owner(4)])
    }

    @Test func sizeDecreaseKeepsPriorityWithPartialCancel() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(buy(100, 50, owner: 1, token: 1), timestamp: t0, &sink)  // ref 1
        e.submit(buy(100, 50, owner: 1, token: 2), timestamp: t0, &sink)  // ref 2
        sink.reset()
        let r = e.replace(OrderRef(1), price: Price(100), qty: Qty(20), owner: Owner(1), token: ClientToken(3),
                          timestamp: t0, &sink)
        #expect(r.ref == OrderRef(1) && r.resting == Qty(20))
        #expect(sink.itchTypes == "X")
        guard case .orderCancel(let x) = sink.messages[0] else { Issue.record("no X"); return }
        #expect(x.orderRef == OrderRef(1) && x.cancelledShares == Qty(30))
        #expect(sink.replaces.first?.keptPriority == true && sink.replaces.first?.newToken == ClientToken(3))
        #expect(e.queue(.buy, 0) == [OrderRef(1), OrderRef(2)])
        #expect(levels(e, .buy) == [DepthLevel(price: Price(100), qty: 70, orderCount: 2)])
        #expect(e.order(OrderRef(1))?.token == ClientToken(3))
        // The front order still trades first.
        sink.reset()
        e.submit(sell(100, 20), timestamp: t0, &sink)
        #expect(sink.fills.map(\.resting.ref) == [OrderRef(1)])
        #expect(sink.fills.first?.resting.token == ClientToken(3))
    }

    @Test func sizeIncreaseAndPriceChangeLosePriority() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(buy(100, 50, owner: 1), timestamp: t0, &sink)  // ref 1
        e.submit(buy(100, 50, owner: 1), timestamp: t0, &sink)  // ref 2
        e.submit(buy(99, 50, owner: 1), timestamp: t0, &sink)  // ref 3
        sink.reset()
        let up = e.replace(OrderRef(1), price: Price(100), qty: Qty(60), owner: Owner(1), token: ClientToken(0),
                           timestamp: t0, &sink)
        #expect(up.ref == OrderRef(4) && up.resting == Qty(60))
        #expect(sink.itchTypes == "U")
        guard case .orderReplace(let u) = sink.messages[0] else { Issue.record("no U"); return }
        #expect(u.originalOrderRef == OrderRef(1) && u.newOrderRef == OrderRef(4) && u.shares == Qty(60)
                    && u.price == Price(100))
        #expect(e.queue(.buy, 0) == [OrderRef(2), OrderRef(4)])
        #expect(e.order(OrderRef(1)) == nil)
        // A price change to the level below joins the back of that level.
        sink.reset()
        let moved = e.replace(OrderRef(2), price: Price(99), qty: Qty(50), owner: Owner(1), token: ClientToken(0),
                              timestamp: t0, &sink)
        #expect(moved.ref == OrderRef(5) && sink.itchTypes == "U")
        #expect(e.queue(.buy, 1) == [OrderRef(3), OrderRef(5)])
        #expect(levels(e, .buy) == [DepthLevel(price: Price(100), qty: 60, orderCount: 1),
                                    DepthLevel(price: Price(99), qty: 100, orderCount: 2)])
        // An unchanged replace changes nothing on the feed.
        sink.reset()
        let same = e.replace(OrderRef(5), price: Price(99), qty: Qty(50), owner: Owner(1), token: ClientToken(8),
                             timestamp: t0, &sink)
        #expect(same.ref == OrderRef(5) && sink.messages.isEmpty && sink.replaces.count == 1)
    }

    @Test func replaceToCrossingPriceDeletesThenTrades() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(sell(105, 30, owner: 2), timestamp: t0, &sink)  // ref 1
        e.submit(buy(100, 50, owner: 1, token: 5), timestamp: t0, &sink)  // ref 2
        sink.reset()
        let r = e.replace(OrderRef(2), price: Price(106), qty: Qty(50), owner: Owner(1), token: ClientToken(6),
                          timestamp: t0, &sink)
        #expect(r.ref == OrderRef(3) && r.filled == Qty(30) && r.resting == Qty(20))
        #expect(sink.itchTypes == "DEA")
        #expect(sink.fills.first?.aggressor.ref == OrderRef(3) && sink.fills.first?.aggressor.token == ClientToken(6))
        #expect(sink.fills.first?.price == Price(105))
        #expect(levels(e, .buy) == [DepthLevel(price: Price(106), qty: 20, orderCount: 1)])
        #expect(e.levelCount(.sell) == 0)
    }

    @Test func cancelRemovesAndRejectsUnknownFilledAndForeignOrders() {
        let e = makeEngine()
        var sink = RecordingSink()
        e.submit(buy(100, 50, owner: 1, token: 9), timestamp: t0, &sink)  // ref 1
        e.submit(buy(101, 50, owner: 1), timestamp: t0, &sink)  // ref 2
        sink.reset()
        #expect(e.cancel(OrderRef(1), owner: Owner(2), token: ClientToken(0), timestamp: t0, &sink) == nil)
        #expect(sink.rejects.map(\.reason) == [.notOwner])
        sink.reset()
        #expect(e.cancel(OrderRef(1), owner: Owner(1), token: ClientToken(0), timestamp: t0, &sink) == Qty(50))
        #expect(sink.itchTypes == "D")
        #expect(sink.cancels.first?.reason == .requested && sink.cancels.first?.token == ClientToken(9))
        sink.reset()
        // Cancelled already, never existed, and filled: all unknown.
        #expect(e.cancel(OrderRef(1), owner: Owner(1), token: ClientToken(0), timestamp: t0, &sink) == nil)
        #expect(e.cancel(OrderRef(999), owner: Owner(1), token: ClientToken(0), timestamp: t0, &sink) == nil)
        e.submit(sell(101, 50), timestamp: t0, &sink)
        #expect(e.cancel(OrderRef(2), owner: Owner(1), token: ClientToken(0), timestamp: t0, &sink) == nil)
        #expect(sink.rejects.map(\.reason) == [.unknownOrder, .unknownOrder, .unknownOrder])
        #expect(sink.rejects.map(\.request) == [.cancel, .cancel, .cancel])
        #expect(e.orderCount == 0 && e.levelCount(.buy) == 0)
        sink.reset()
        let rr = e.replace(OrderRef(2), price: Price(1), qty: Qty(1), owner: Owner(1), token: ClientToken(0),
                           timestamp: t0, &sink)
        #expect(rr.rejection == .unknownOrder && sink.rejects.map(\.request) == [.replace])
    }

    @Test func invalidOrdersAreRejectedWithoutConsumingReferences() {
        let e = makeEngine(maxOrders: 2, maxLevels: 2)
        var sink = RecordingSink()
        #expect(e.submit(buy(100, 0), timestamp: t0, &sink).rejection == .zeroQuantity)
        #expect(e.submit(buy(0, 10), timestamp: t0, &sink).rejection == .invalidPrice)
        #expect(e.submit(NewOrder(side: Side(rawValue: 0x58), price: Price(1), qty: Qty(1)), timestamp: t0, &sink)
                    .rejection == .invalidSide)
        #expect(e.submit(buy(100, 1), timestamp: t0, &sink).ref == OrderRef(1))
        #expect(e.submit(buy(99, 1), timestamp: t0, &sink).ref == OrderRef(2))
        #expect(e.submit(buy(98, 1), timestamp: t0, &sink).rejection == .orderPoolFull)
        e.cancel(OrderRef(2), owner: .flow, token: ClientToken(0), timestamp: t0, &sink)
        #expect(e.submit(buy(98, 1), timestamp: t0, &sink).rejection == nil)  // ref 3
        e.cancel(OrderRef(3), owner: .flow, token: ClientToken(0), timestamp: t0, &sink)
        #expect(e.submit(buy(99, 1), timestamp: t0, &sink).ref == OrderRef(4))
        #expect(e.submit(sell(200, 1), timestamp: t0, &sink).rejection == .orderPoolFull)
        e.cancel(OrderRef(4), owner: .flow, token: ClientToken(0), timestamp: t0, &sink)
        e.submit(sell(200, 1), timestamp: t0, &sink)  // ref 5; book: bids 100, asks 200
        // Two buy levels max: a third price is refused, a replace to a new price as well.
        e.cancel(OrderRef(5), owner: .flow, token: ClientToken(0), timestamp: t0, &sink)
        e.submit(buy(99, 1), timestamp: t0, &sink)  // ref 6
        #expect(e.submit(buy(98, 1, .immediateOrCancel), timestamp: t0, &sink).cancelled == Qty(1))
        #expect(e.replace(OrderRef(6), price: Price(97), qty: Qty(1), owner: .flow, token: ClientToken(0),
                          timestamp: t0, &sink).rejection == .levelsFull)
        #expect(sink.rejects.map(\.reason) == [.zeroQuantity, .invalidPrice, .invalidSide, .orderPoolFull,
                                               .orderPoolFull, .levelsFull])
        #expect(levels(e, .buy) == [DepthLevel(price: Price(100), qty: 1, orderCount: 1),
                                    DepthLevel(price: Price(99), qty: 1, orderCount: 1)])
    }

    @Test func levelsFarFromTheTouchUseTheSearchAndStaySorted() {
        let e = makeEngine(maxOrders: 4096, maxLevels: 512)
        var sink = IgnoreMatchingEvents()
        var rng = TestRandom(seed: 3)
        var model: [UInt32: UInt64] = [:]
        for _ in 0..<2000 {
            let p = UInt32(1000 + rng.below(300))
            let q = UInt32(1 + rng.below(50))
            e.submit(buy(p, q), timestamp: t0, &sink)
            model[p, default: 0] += UInt64(q)
        }
        let expected = model.keys.sorted(by: >).map { model[$0]! }
        #expect(levels(e, .buy).map(\.qty) == expected)
        #expect(levels(e, .buy).map(\.price.rawValue) == model.keys.sorted(by: >))
    }

    @Test func removeAllEmptiesTheBookAndKeepsWorking() {
        let e = makeEngine(maxOrders: 8, maxLevels: 4)
        var sink = RecordingSink()
        for i in 0..<4 {
            e.submit(buy(UInt32(100 - i), 10), timestamp: t0, &sink)
            e.submit(sell(UInt32(200 + i), 10), timestamp: t0, &sink)
        }
        #expect(e.orderCount == 8 && e.levelCount(.buy) == 4)
        sink.reset()
        e.removeAll()
        #expect(sink.events.isEmpty && e.orderCount == 0 && e.levelCount(.buy) == 0 && e.levelCount(.sell) == 0)
        #expect(e.order(OrderRef(1)) == nil && e.bestBid.isEmpty && e.bestAsk.isEmpty)
        // The full capacity is available again.
        for i in 0..<4 {
            #expect(e.submit(buy(UInt32(50 - i), 1), timestamp: t0, &sink).resting == Qty(1))
            #expect(e.submit(sell(UInt32(60 + i), 1), timestamp: t0, &sink).resting == Qty(1))
        }
        #expect(e.submit(sell(70, 1), timestamp: t0, &sink).rejection == .orderPoolFull)
        // With the pool full a limit order is refused up front even if it would trade first
        // (it might have to rest); an IOC is not.
        #expect(e.submit(buy(60, 2), timestamp: t0, &sink).rejection == .orderPoolFull)
        let ioc = e.submit(buy(60, 2, .immediateOrCancel), timestamp: t0, &sink)
        #expect(ioc.filled == Qty(1) && ioc.cancelled == Qty(1))
    }
}
