import Testing
@testable import QuorumBook
import QuorumWire

/// Records every event, for asserting what a book reported.
struct RecordingEvents: OrderBookEvents {
    enum Event: Equatable {
        case level(Side, UInt32, UInt64, UInt32)
        case best(BookQuote, BookQuote)
        case trade(UInt32, UInt64, Side, TradeKind)
    }
    var events: [Event] = []
    mutating func levelChanged(_ locate: StockLocate, side: Side, price: Price, qty: UInt64, orderCount: UInt32) {
        events.append(.level(side, price.rawValue, qty, orderCount))
    }
    mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote) {
        events.append(.best(bid, ask))
    }
    mutating func traded(_ locate: StockLocate, _ trade: TradeEvent) {
        events.append(.trade(trade.price.rawValue, trade.qty, trade.restingSide, trade.kind))
    }
    var bestChanges: [Event] { events.filter { if case .best = $0 { return true } else { return false } } }
}

func q(_ p: UInt32, _ n: UInt64) -> BookQuote { BookQuote(price: Price(p), qty: n) }

@Suite struct OrderBookTests {
    let small = BookConfig(ordersPerSymbol: 8, levelsPerSide: 3, maxSymbols: 4)

    @Test func addsQueueInTimePriorityAndSetTheBest() {
        var book = OrderBook(locate: StockLocate(1), config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 16))
        var ev = RecordingEvents()
        #expect(book.add(OrderRef(1), side: .buy, price: Price(100), qty: Qty(10), &ev) == .ok)
        #expect(book.add(OrderRef(2), side: .buy, price: Price(100), qty: Qty(20), &ev) == .ok)
        #expect(book.add(OrderRef(3), side: .buy, price: Price(99), qty: Qty(5), &ev) == .ok)
        #expect(book.add(OrderRef(4), side: .sell, price: Price(102), qty: Qty(7), &ev) == .ok)
        #expect(book.add(OrderRef(5), side: .sell, price: Price(101), qty: Qty(1), &ev) == .ok)
        #expect(book.bestBid == q(100, 30))
        #expect(book.bestAsk == q(101, 1))
        #expect(book.level(.buy, 1) == DepthLevel(price: Price(99), qty: 5, orderCount: 1))
        #expect(book.level(.sell, 1) == DepthLevel(price: Price(102), qty: 7, orderCount: 1))
        #expect(book.level(.sell, 2) == nil)
        #expect(book.queue(.buy, 0) == [OrderRef(1), OrderRef(2)])
        #expect(book.frontOrder(.buy) == OrderRef(1))
        #expect(ev.events == [
            .level(.buy, 100, 10, 1), .best(q(100, 10), .empty),
            .level(.buy, 100, 30, 2), .best(q(100, 30), .empty),
            .level(.buy, 99, 5, 1),
            .level(.sell, 102, 7, 1), .best(q(100, 30), q(102, 7)),
            .level(.sell, 101, 1, 1), .best(q(100, 30), q(101, 1)),
        ])
        #expect(book.checkInvariants() == nil)
    }

    @Test func executionsCancelsAndDeletesUpdateLevelsAndTrades() {
        var book = OrderBook(locate: StockLocate(1), config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 16))
        var ev = RecordingEvents()
        _ = book.add(OrderRef(1), side: .sell, price: Price(200), qty: Qty(100), &ev)
        _ = book.add(OrderRef(2), side: .sell, price: Price(200), qty: Qty(50), &ev)
        _ = book.add(OrderRef(3), side: .sell, price: Price(210), qty: Qty(70), &ev)
        ev.events = []
        #expect(book.execute(OrderRef(1), qty: Qty(40), matchNumber: MatchNumber(1), &ev) == .ok)
        #expect(book.order(OrderRef(1))?.qty == Qty(60))
        #expect(ev.events == [.trade(200, 40, .sell, .execution), .level(.sell, 200, 110, 2), .best(.empty, q(200, 110))])
        ev.events = []
        #expect(book.execute(OrderRef(1), qty: Qty(60), matchNumber: MatchNumber(2), price: Price(199),
                             printable: true, &ev) == .ok)
        #expect(book.order(OrderRef(1)) == nil)
        #expect(book.queue(.sell, 0) == [OrderRef(2)])
        #expect(ev.events == [.trade(199, 60, .sell, .executionWithPrice), .level(.sell, 200, 50, 1),
                              .best(.empty, q(200, 50))])
        #expect(book.lastTrade.price == Price(199))
        #expect(book.cancel(OrderRef(2), qty: Qty(20), &ev) == .ok)
        #expect(book.bestAsk == q(200, 30))
        ev.events = []
        #expect(book.delete(OrderRef(2), &ev) == .ok)
        #expect(ev.events == [.level(.sell, 200, 0, 0), .best(.empty, q(210, 70))])
        #expect(book.levelCount(.sell) == 1)
        #expect(book.orderCount == 1)
        #expect(book.checkInvariants() == nil)
    }

    @Test func replaceLosesPriorityAndReportsTheBestOnce() {
        var book = OrderBook(locate: StockLocate(1), config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 16))
        var ev = RecordingEvents()
        _ = book.add(OrderRef(1), side: .buy, price: Price(100), qty: Qty(10), &ev)
        _ = book.add(OrderRef(2), side: .buy, price: Price(100), qty: Qty(10), &ev)
        ev.events = []
        // Same price, new reference: goes to the back of the queue.
        #expect(book.replace(OrderRef(1), with: OrderRef(3), qty: Qty(10), price: Price(100), &ev) == .ok)
        #expect(book.queue(.buy, 0) == [OrderRef(2), OrderRef(3)])
        #expect(ev.bestChanges.isEmpty)  // 20@100 before and after
        ev.events = []
        #expect(book.replace(OrderRef(2), with: OrderRef(4), qty: Qty(5), price: Price(101), &ev) == .ok)
        #expect(ev.bestChanges == [.best(q(101, 5), .empty)])
        #expect(book.order(OrderRef(4))! == (side: .buy, price: Price(101), qty: Qty(5)))
        // Replace into an existing reference leaves the book unchanged.
        #expect(book.replace(OrderRef(3), with: OrderRef(4), qty: Qty(1), price: Price(1), &ev) == .duplicateOrderRef)
        #expect(book.order(OrderRef(3)) != nil)
        #expect(book.checkInvariants() == nil)
    }

    @Test func hiddenAndCrossTradesDoNotTouchTheBook() {
        var book = OrderBook(locate: StockLocate(1), config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 16))
        var ev = RecordingEvents()
        _ = book.add(OrderRef(1), side: .buy, price: Price(100), qty: Qty(10), &ev)
        ev.events = []
        book.recordTrade(TradeEvent(price: Price(101), qty: 300, restingSide: .sell, kind: .hidden,
                                    matchNumber: MatchNumber(5), orderRef: OrderRef(0)), &ev)
        book.recordTrade(TradeEvent(price: Price(100), qty: 1000, restingSide: .buy, kind: .cross,
                                    matchNumber: MatchNumber(6), orderRef: OrderRef(0)), &ev)
        #expect(ev.events == [.trade(101, 300, .sell, .hidden), .trade(100, 1000, .buy, .cross)])
        #expect(book.bestBid == q(100, 10))
        #expect(book.lastTrade.kind == .cross)
    }

    @Test func badFlowIsReportedAndLeavesTheBookConsistent() {
        var book = OrderBook(locate: StockLocate(1), config: small)  // 8 orders, 3 levels per side
        var ev = IgnoreBookEvents()
        #expect(book.add(OrderRef(1), side: .buy, price: Price(100), qty: Qty(10), &ev) == .ok)
        #expect(book.add(OrderRef(1), side: .buy, price: Price(101), qty: Qty(10), &ev) == .duplicateOrderRef)
        #expect(book.add(OrderRef(2), side: Side(rawValue: 0x58), price: Price(101), qty: Qty(10), &ev) == .invalidSide)
        #expect(book.add(OrderRef(2), side: .buy, price: Price(101), qty: Qty(0), &ev) == .zeroQuantity)
        #expect(book.delete(OrderRef(99), &ev) == .unknownOrderRef)
        #expect(book.cancel(OrderRef(99), qty: Qty(1), &ev) == .unknownOrderRef)
        #expect(book.execute(OrderRef(99), qty: Qty(1), matchNumber: MatchNumber(0), &ev) == .unknownOrderRef)
        #expect(book.replace(OrderRef(99), with: OrderRef(100), qty: Qty(1), price: Price(1), &ev) == .unknownOrderRef)
        #expect(book.execute(OrderRef(1), qty: Qty(15), matchNumber: MatchNumber(0), &ev) == .executionExceedsOrder)
        #expect(book.orderCount == 0 && book.bestBid.isEmpty)
        _ = book.add(OrderRef(3), side: .buy, price: Price(100), qty: Qty(10), &ev)
        #expect(book.cancel(OrderRef(3), qty: Qty(11), &ev) == .cancelExceedsOrder)
        #expect(book.orderCount == 0)
        // Three levels per side, then the fourth price is refused.
        for (i, p) in [100, 99, 98].enumerated() {
            #expect(book.add(OrderRef(UInt64(10 + i)), side: .buy, price: Price(UInt32(p)), qty: Qty(1), &ev) == .ok)
        }
        #expect(book.add(OrderRef(20), side: .buy, price: Price(97), qty: Qty(1), &ev) == .levelsExhausted)
        #expect(book.add(OrderRef(20), side: .buy, price: Price(99), qty: Qty(1), &ev) == .ok)  // existing level
        // Fill the pool (8 orders), then the ninth is refused.
        for i in 0..<4 { #expect(book.add(OrderRef(UInt64(30 + i)), side: .sell, price: Price(200), qty: Qty(1), &ev) == .ok) }
        #expect(book.ordersAvailable == 0)
        #expect(book.add(OrderRef(40), side: .sell, price: Price(200), qty: Qty(1), &ev) == .orderPoolExhausted)
        #expect(book.order(OrderRef(40)) == nil)
        #expect(book.checkInvariants() == nil)
        // Freed capacity is reusable.
        #expect(book.delete(OrderRef(30), &ev) == .ok)
        #expect(book.add(OrderRef(40), side: .sell, price: Price(200), qty: Qty(1), &ev) == .ok)
        #expect(book.checkInvariants() == nil)
        book.removeAll()
        #expect(book.orderCount == 0 && book.levelCount(.buy) == 0 && book.bestAsk.isEmpty)
        #expect(book.checkInvariants() == nil)
        #expect(book.add(OrderRef(40), side: .sell, price: Price(200), qty: Qty(1), &ev) == .ok)
    }

    @Test func levelsFarFromTheBestAreFoundByBinarySearch() {
        var book = OrderBook(locate: StockLocate(1), config: BookConfig(ordersPerSymbol: 256, levelsPerSide: 128))
        var ev = IgnoreBookEvents()
        // Insert 100 bid and ask levels in scrambled order, then hit deep ones.
        for i in 0..<100 {
            let p = UInt32((i * 37) % 100)
            #expect(book.add(OrderRef(UInt64(i)), side: .buy, price: Price(1000 + p), qty: Qty(1), &ev) == .ok)
            #expect(book.add(OrderRef(UInt64(1000 + i)), side: .sell, price: Price(2000 + p), qty: Qty(2), &ev) == .ok)
        }
        #expect(book.bestBid == q(1099, 1))
        #expect(book.bestAsk == q(2000, 2))
        for d in 0..<100 {
            #expect(book.level(.buy, d)?.price == Price(UInt32(1099 - d)))
            #expect(book.level(.sell, d)?.price == Price(UInt32(2000 + d)))
        }
        #expect(book.add(OrderRef(5000), side: .buy, price: Price(1003), qty: Qty(4), &ev) == .ok)
        #expect(book.level(.buy, 96) == DepthLevel(price: Price(1003), qty: 5, orderCount: 2))
        #expect(book.checkInvariants() == nil)
    }
}

@Suite struct OrderRefMapTests {
    /// Keys from a small range force long clusters and wrap-around at the table's end; keys
    /// that differ only above bit 32 share a tag and must be told apart by the order node.
    @Test func insertFindRemoveAgreeWithADictionaryUnderHeavyCollisions() {
        let map = _OrderRefMap(orderCapacity: 512)  // 1024 slots
        let orders = UnsafeMutablePointer<_Order>.allocate(capacity: 512)
        defer {
            map.deallocate()
            orders.deallocate()
        }
        var free = Array((0..<512).map { Int32($0) }.reversed())
        var reference: [UInt64: Int32] = [:]
        var rng = SplitMix(seed: 3)
        for step in 0..<50_000 {
            let key = (rng.next() % 2048) | ((rng.next() % 2) << 32)
            if let h = reference[key] {
                map.remove(key, h)
                reference[key] = nil
                free.append(h)
            } else if !free.isEmpty && rng.next() % 2 == 0 {
                let h = free.removeLast()
                orders[Int(h)] = _Order(ref: key, price: 0, qty: 1, level: 0, prev: _nil, next: _nil, side: 0)
                map.insert(key, h)
                reference[key] = h
            }
            if step % 1000 == 0 {
                for low in 0..<2048 as Range<UInt64> {
                    for high in 0..<2 as Range<UInt64> {
                        let k = low | high << 32
                        #expect(map.find(k, orders) == (reference[k] ?? _nil))
                    }
                }
            }
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: UInt64) -> UInt64 { next() % n }
}
