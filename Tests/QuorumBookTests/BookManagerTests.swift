import Testing
@testable import QuorumBook
import QuorumWire

@Suite struct BookManagerTests {
    let h = { (locate: UInt16) in ITCH.Header(stockLocate: StockLocate(locate), trackingNumber: 0, timestamp: Timestamp(1)) }

    func directory(_ locate: UInt16, _ name: String) -> ITCHMessage {
        .stockDirectory(.init(header: h(locate), stock: Stock(name), marketCategory: 0x51, financialStatusIndicator: 0x4E,
                              roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x43, issueSubType: 0,
                              authenticity: 0x50, shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x20,
                              luldReferencePriceTier: 0x31, etpFlag: 0x4E, etpLeverageFactor: 0, inverseIndicator: 0x4E))
    }
    func add(_ locate: UInt16, _ ref: UInt64, _ side: Side, _ qty: UInt32, _ price: UInt32) -> ITCHMessage {
        .addOrder(.init(header: h(locate), orderRef: OrderRef(ref), side: side, shares: Qty(qty), stock: Stock("X"),
                        price: Price(price)))
    }

    @Test func directoryTradingActionAndSystemEventsAreTracked() {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 16, maxSymbols: 4))
        var ev = IgnoreBookEvents()
        m.apply(.systemEvent(.init(header: h(0), eventCode: UInt8(ascii: "O"))), sequence: 1, &ev)
        m.apply(directory(7, "AAPL"), sequence: 2, &ev)
        m.apply(directory(9, "MSFT"), sequence: 3, &ev)
        m.apply(.stockTradingAction(.init(header: h(9), stock: Stock("MSFT"), tradingState: UInt8(ascii: "H"),
                                          reserved: 0x20, reason: MPID("IPO1").rawValue)), sequence: 4, &ev)
        #expect(m.systemEvent == UInt8(ascii: "O"))
        #expect(m.bookCount == 2)
        #expect(m.locate(of: Stock("AAPL")) == StockLocate(7))
        #expect(m.symbol(StockLocate(9))?.tradingState == UInt8(ascii: "H"))
        #expect(m.symbol(StockLocate(7))?.tradingState == UInt8(ascii: "T"))
        #expect(m.symbol(StockLocate(7))?.inDirectory == true)
        #expect(m.counters.anomalies == 0)
    }

    @Test func preparedBookMemoryIsTakenByTheBooksTheFeedOpensAndChangesNothingElse() {
        let config = BookConfig(ordersPerSymbol: 64, levelsPerSide: 16, maxSymbols: 4)
        var prepared = BookManager(config: config), plain = BookManager(config: config)
        prepared.prepareBooks(10)
        #expect(prepared.preparedBooks == 4, "no more than maxSymbols")
        var a = BookChangeTracker(), b = BookChangeTracker()
        // A directory entry, then a symbol seen first in an add (named from the add), then flow.
        let flow: [ITCHMessage] = [directory(7, "AAPL"), add(9, 1, .buy, 100, 500_000), add(7, 2, .sell, 300, 1_000_100),
                                   add(7, 3, .buy, 200, 999_900), add(9, 4, .sell, 50, 500_100),
                                   .orderDelete(.init(header: h(7), orderRef: OrderRef(3)))]
        for (k, msg) in flow.enumerated() {
            a.reset(); b.reset()
            prepared.apply(msg, sequence: UInt64(k + 1), &a)
            plain.apply(msg, sequence: UInt64(k + 1), &b)
            #expect(a.changes == b.changes && a.locate == b.locate, "message \(k + 1)")
        }
        #expect(prepared.preparedBooks == 2 && prepared.bookCount == 2)
        #expect(prepared.symbols == plain.symbols)
        #expect(prepared.symbol(StockLocate(9))?.stock == Stock("X") && prepared.symbol(StockLocate(9))?.inDirectory == false)
        #expect(prepared.counters == plain.counters && prepared.totalOrders == 3)
        for l: UInt16 in [7, 9] {
            let p = prepared.withBook(StockLocate(l)) { ($0.bestBid, $0.bestAsk, $0.orderCount) }
            let q = plain.withBook(StockLocate(l)) { ($0.bestBid, $0.bestAsk, $0.orderCount) }
            #expect(p?.0 == q?.0 && p?.1 == q?.1 && p?.2 == q?.2)
        }
        #expect(prepared.checkInvariants() == nil)
        // The rest is taken as more symbols come; nothing is made past maxSymbols.
        prepared.prepareBooks(5)
        #expect(prepared.preparedBooks == 2)
    }

    @Test func orderFlowReachesTheRightBookAndMarketUpdateIsFilled() {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 16, maxSymbols: 4))
        var ev = BookChangeTracker()
        m.apply(directory(7, "AAPL"), sequence: 1, &ev)
        m.apply(directory(9, "MSFT"), sequence: 2, &ev)
        for (i, p) in [100, 99, 98, 97, 96, 95].enumerated() {
            m.apply(add(7, UInt64(i + 1), .buy, 100, UInt32(p)), sequence: UInt64(3 + i), &ev)
        }
        m.apply(add(7, 20, .sell, 300, 102), sequence: 20, &ev)
        m.apply(add(9, 30, .sell, 5, 500), sequence: 21, &ev)
        ev.reset()
        m.apply(.orderExecuted(.init(header: h(7), orderRef: OrderRef(20), executedShares: Qty(100),
                                     matchNumber: MatchNumber(1))), sequence: 22, &ev)
        #expect(ev.changes == [.trade, .levels, .bestBidOffer])
        #expect(ev.locate == StockLocate(7))
        let u = m.marketUpdate(StockLocate(7), sequence: 22, exchangeTime: Timestamp(1), receiveTime: 2, changes: ev.changes)!
        #expect(u.stock == Stock("AAPL"))
        #expect(u.bestBid == BookQuote(price: Price(100), qty: 100))
        #expect(u.bestAsk == BookQuote(price: Price(102), qty: 200))
        #expect(u.bidCount == 5 && u.askCount == 1)
        #expect(u.bids[4].price == Price(96))
        #expect(u.asks[1] == .empty)
        #expect(u.lastTrade.qty == 100 && u.lastTrade.restingSide == .sell)
        #expect(u.imbalanceBasisPoints == Int16((500 - 200) * 10_000 / 700))
        #expect(m.withBook(StockLocate(9)) { $0.bestAsk } == BookQuote(price: Price(500), qty: 5))
        #expect(_isPOD(MarketUpdate.self))
        #expect(m.totalOrders == 8)
    }

    /// Malformed flow is counted and located by sequence; books stay consistent.
    @Test func anomaliesAreCountedWithTheirSequenceAndBooksStayConsistent() {
        var m = BookManager(config: BookConfig(ordersPerSymbol: 4, levelsPerSide: 2, maxSymbols: 1))
        var ev = IgnoreBookEvents()
        m.apply(directory(1, "AAPL"), sequence: 1, &ev)
        m.apply(directory(2, "MSFT"), sequence: 2, &ev)  // only one symbol fits
        m.apply(add(1, 1, .buy, 100, 100), sequence: 3, &ev)
        m.apply(add(1, 1, .buy, 100, 100), sequence: 4, &ev)  // duplicate
        m.apply(.orderDelete(.init(header: h(1), orderRef: OrderRef(77))), sequence: 5, &ev)  // unknown ref
        m.apply(.orderExecuted(.init(header: h(1), orderRef: OrderRef(1), executedShares: Qty(500),
                                     matchNumber: MatchNumber(1))), sequence: 6, &ev)  // larger than the order
        m.apply(.orderDelete(.init(header: h(3), orderRef: OrderRef(1))), sequence: 7, &ev)  // unknown locate
        for i in 0..<5 { m.apply(add(1, UInt64(10 + i), .sell, 1, 200), sequence: UInt64(8 + i), &ev) }  // 5th: pool
        m.apply(.orderCancel(.init(header: h(1), orderRef: OrderRef(10), cancelledShares: Qty(9))), sequence: 13, &ev)
        #expect(m.counters.symbolsExhausted == 1)
        #expect(m.counters.duplicateOrderRef == 1)
        #expect(m.counters.unknownOrderRef == 1)
        #expect(m.counters.executionExceedsOrder == 1)
        #expect(m.counters.unknownLocate == 1)
        #expect(m.counters.orderPoolExhausted == 1)
        #expect(m.counters.cancelExceedsOrder == 1)
        #expect(m.counters.anomalies == 7)
        #expect(m.firstAnomaly?.sequence == 2 && m.firstAnomaly?.kind == .symbolsExhausted)
        #expect(m.lastAnomaly?.sequence == 13 && m.lastAnomaly?.orderRef == OrderRef(10))
        #expect(m.withBook(StockLocate(1)) { $0.checkInvariants() } == .some(nil))
        #expect(m.withBook(StockLocate(1)) { $0.orderCount } == 3)
    }
}
