import QuorumBook
@testable import QuorumExchange
import QuorumMarketTools
import QuorumWire
import Testing

/// FNV-1a over every published message's bytes: equal digests, equal feeds.
struct DigestSink: MatchingEvents {
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    var count = 0
    var fills = 0
    mutating func filled(_ event: Fill) { fills += 1 }
    mutating func published(_ message: ITCHMessage) {
        count += 1
        withUnsafeTemporaryAllocation(byteCount: ITCH.maxMessageLength, alignment: 8) { raw in
            let n = try! message.encode(into: raw)
            for b in raw[0..<n] { digest = (digest ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
    }
}

@Suite struct BackgroundFlowTests {
    static let options = SyntheticDay.Options(symbols: 4, messages: 40_000, seed: 11, targetLiveOrdersPerSymbol: 300)

    func runDay(clientEvery: Int?, _ check: (Exchange, BackgroundFlow, inout BookFeedingSink) -> Void) {
        let x = Exchange(config: MatchingConfig(maxOrders: 4096, maxLevelsPerSide: 2048))
        let flow = BackgroundFlow(exchange: x, maxLiveOrders: 8192)
        var sink = BookFeedingSink(config: BookConfig(ordersPerSymbol: 4096, levelsPerSide: 2048, maxSymbols: 8))
        var day = SyntheticDay(options: Self.options)
        var source = BookManager(config: Self.options.bookConfig)
        var i: UInt64 = 0
        var ignore = IgnoreBookEvents()
        while let m = day.next() {
            i += 1
            source.apply(m, sequence: i, &ignore)
            if case .stockDirectory = m {
                flow.apply(m, timestamp: t0, &sink)
                if flow.counters.symbolsAdded == UInt64(Self.options.symbols) { x.startSession(timestamp: t0, &sink) }
                continue
            }
            flow.apply(m, timestamp: Timestamp(t0.rawValue + i), &sink)
            if let every = clientEvery, i % UInt64(every) == 0 {
                // A client that lifts the best offer of locate 1 for 150 shares.
                x.submit(buy(0, 150, .market, owner: 7), locate: StockLocate(1), timestamp: Timestamp(t0.rawValue + i), &sink)
            }
        }
        check(x, flow, &sink)
        // Without clients the engine's book must be the source's book.
        if clientEvery == nil {
            for e in x.engines {
                let same = source.withBook(e.locate) { (book: borrowing OrderBook) -> Bool in
                    [Side.buy, .sell].allSatisfy { side in
                        book.levelCount(side) == e.levelCount(side)
                            && (0..<e.levelCount(side)).allSatisfy { book.level(side, $0) == e.level(side, $0) }
                    }
                }
                #expect(same == true, "locate \(e.locate)")
            }
        }
    }

    @Test func syntheticDayBecomesOrderEntryAndRepublishesConsistently() {
        runDay(clientEvery: nil) { x, flow, sink in
            let c = flow.counters
            #expect(c.symbolsAdded == 4 && x.engines.count == 4)
            #expect(c.messages == 40_000)
            #expect(c.adds > 10_000 && c.executions > 500 && c.deletes > 1000 && c.replaces > 100 && c.partialCancels > 100)
            #expect(c.rejected == 0 && c.referenceTableFull == 0)
            #expect(c.orphaned == 0)
            #expect(sink.wireErrors == 0 && sink.box.books.counters.anomalies == 0)
            for e in x.engines {
                let ok = sink.box.books.withBook(e.locate) { (book: borrowing OrderBook) -> Bool in
                    [Side.buy, .sell].allSatisfy { side in
                        book.levelCount(side) == e.levelCount(side)
                            && (0..<e.levelCount(side)).allSatisfy { book.level(side, $0) == e.level(side, $0) }
                    }
                }
                #expect(ok == true)
            }
            #expect(flow.mappedOrders == x.engines.reduce(0) { $0 + $1.orderCount })
        }
    }

    @Test func clientsTradingWithTheFlowOrphanLaterSourceMessagesButKeepBooksConsistent() {
        runDay(clientEvery: 50) { x, flow, sink in
            let c = flow.counters
            #expect(c.orphaned > 0)
            #expect(sink.box.books.counters.anomalies == 0 && sink.wireErrors == 0)
            for e in x.engines {
                let ok = sink.box.books.withBook(e.locate) { (book: borrowing OrderBook) -> Bool in
                    [Side.buy, .sell].allSatisfy { side in
                        book.levelCount(side) == e.levelCount(side)
                            && (0..<e.levelCount(side)).allSatisfy { book.level(side, $0) == e.level(side, $0) }
                    } && !book.isCrossed
                }
                #expect(ok == true)
            }
        }
    }

    @Test func sameSeedSameFeed() {
        func digest(seed: UInt64) -> (UInt64, Int) {
            let x = Exchange(config: MatchingConfig(maxOrders: 4096, maxLevelsPerSide: 2048))
            let flow = BackgroundFlow(exchange: x, maxLiveOrders: 8192)
            var sink = DigestSink()
            var day = SyntheticDay(options: SyntheticDay.Options(symbols: 3, messages: 5000, seed: seed,
                                                                 targetLiveOrdersPerSymbol: 200))
            var i: UInt64 = 0
            while let m = day.next() {
                i += 1
                flow.apply(m, timestamp: Timestamp(i), &sink)
            }
            return (sink.digest, sink.count)
        }
        let a = digest(seed: 5)
        #expect(a == digest(seed: 5))
        #expect(a.0 != digest(seed: 6).0)
        #expect(a.1 > 4000)
    }

    @Test func orphanedAndUnknownSourceMessagesAreCountedNotApplied() {
        let x = Exchange()
        x.addSymbol(Stock("AAA"))
        let flow = BackgroundFlow(exchange: x)
        var sink = RecordingSink()
        let h = ITCH.Header(stockLocate: StockLocate(1), timestamp: t0)
        flow.apply(.addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(500), side: .sell, shares: Qty(100),
                                           stock: Stock("AAA"), price: Price(10))), timestamp: t0, &sink)
        // A client takes the whole order.
        x.submit(buy(10, 100, owner: 3), locate: StockLocate(1), timestamp: t0, &sink)
        sink.reset()
        flow.apply(.orderExecuted(ITCH.OrderExecuted(header: h, orderRef: OrderRef(500), executedShares: Qty(10),
                                                     matchNumber: MatchNumber(1))), timestamp: t0, &sink)
        flow.apply(.orderDelete(ITCH.OrderDelete(header: h, orderRef: OrderRef(500))), timestamp: t0, &sink)
        flow.apply(.orderDelete(ITCH.OrderDelete(header: h, orderRef: OrderRef(999))), timestamp: t0, &sink)
        flow.apply(.systemEvent(ITCH.SystemEvent(header: h, eventCode: 0x4F)), timestamp: t0, &sink)
        #expect(sink.events.isEmpty)
        #expect(flow.counters.orphaned == 3 && flow.counters.ignored == 1 && flow.mappedOrders == 0)
        // A partial cancel larger than what is left cancels the order.
        flow.apply(.addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(501), side: .buy, shares: Qty(100),
                                           stock: Stock("AAA"), price: Price(9))), timestamp: t0, &sink)
        flow.apply(.orderCancel(ITCH.OrderCancel(header: h, orderRef: OrderRef(501), cancelledShares: Qty(40))),
                   timestamp: t0, &sink)
        flow.apply(.orderCancel(ITCH.OrderCancel(header: h, orderRef: OrderRef(501), cancelledShares: Qty(60))),
                   timestamp: t0, &sink)
        #expect(sink.itchTypes == "AXD" && x.engine(StockLocate(1))!.orderCount == 0 && flow.mappedOrders == 0)
    }
}

@Suite struct FlowPacerTests {
    @Test func releasesExactlyTheRateOverTime() {
        var p = FlowPacer(messagesPerSecond: 1_000_000, start: 5_000)
        #expect(p.release(now: 4_000) == 0)  // before the start
        #expect(p.release(now: 5_000) == 0)
        #expect(p.nextDue == 6_000)
        #expect(p.release(now: 5_999) == 0)
        #expect(p.release(now: 6_000) == 1)
        #expect(p.release(now: 6_000) == 0)
        #expect(p.release(now: 15_500) == 9)  // 10.5 µs in: 10 due
        #expect(p.nextDue == 16_000)
        #expect(p.release(now: 1_000_005_000) == 4096)  // one second late: capped burst …
        #expect(p.release(now: 1_000_005_000) == 4096)  // … the backlog follows
        #expect(p.released == 10 + 2 * 4096)
        var total = p.released
        while case let n = p.release(now: 1_000_005_000), n > 0 { total += UInt64(n) }
        #expect(total == 1_000_000)
    }

    @Test func oddRatesRoundDown() {
        var p = FlowPacer(messagesPerSecond: 3, start: 0, maxBurst: 10)
        #expect(p.release(now: 333_333_333) == 0)
        #expect(p.nextDue == 333_333_334)
        #expect(p.release(now: 333_333_334) == 1)
        #expect(p.release(now: 3_000_000_000) == 8)
        #expect(p.due(at: 10 * 3600 * 1_000_000_000) == 108_000)
        let fast = FlowPacer(messagesPerSecond: 10_000_000, start: 0)
        #expect(fast.due(at: 20 * 3600 * 1_000_000_000) == 720_000_000_000)  // no overflow
    }
}

@Suite struct BackgroundFlowResetTests {
    @Test func removeAllStartsANewDay() {
        let x = Exchange()
        let flow = BackgroundFlow(exchange: x, maxLiveOrders: 4)
        var sink = RecordingSink()
        let h = ITCH.Header(stockLocate: StockLocate(3), timestamp: t0)
        flow.apply(.stockDirectory(ITCH.StockDirectory(
            header: h, stock: Stock("CCC"), marketCategory: 0x51, financialStatusIndicator: 0x4E, roundLotSize: 100,
            roundLotsOnly: 0x4E, issueClassification: 0x43, issueSubType: 0x5A20, authenticity: 0x50,
            shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x4E, luldReferencePriceTier: 0x31, etpFlag: 0x4E,
            etpLeverageFactor: 0, inverseIndicator: 0x4E)), timestamp: t0, &sink)
        #expect(x.locate(of: Stock("CCC")) == StockLocate(3))
        for i in 1...5 {
            flow.apply(.addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(UInt64(i)), side: .buy, shares: Qty(1),
                                               stock: Stock("CCC"), price: Price(UInt32(i)))), timestamp: t0, &sink)
        }
        // Five rest on the book; only four fit the table.
        #expect(flow.mappedOrders == 4 && flow.counters.referenceTableFull == 1)
        x.engine(StockLocate(3))!.removeAll()
        flow.removeAll()
        #expect(flow.mappedOrders == 0 && flow.counters == BackgroundFlowCounters())
        flow.apply(.orderDelete(ITCH.OrderDelete(header: h, orderRef: OrderRef(1))), timestamp: t0, &sink)
        #expect(flow.counters.orphaned == 1)
        flow.apply(.addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(1), side: .sell, shares: Qty(7),
                                           stock: Stock("CCC"), price: Price(9))), timestamp: t0, &sink)
        #expect(flow.mappedOrders == 1 && x.engine(StockLocate(3))!.bestAsk == BookQuote(price: Price(9), qty: 7))
        // The default locate skips the ones taken.
        #expect(x.addSymbol(Stock("DDD"))?.locate == StockLocate(1))
        #expect(x.addSymbol(Stock("EEE"), locate: StockLocate(2)) != nil)
        #expect(x.addSymbol(Stock("FFF"))?.locate == StockLocate(4))
    }
}
