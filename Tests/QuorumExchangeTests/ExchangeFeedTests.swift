import QuorumBook
@testable import QuorumExchange
import QuorumWire
import Testing

/// Feeds every published message through the wire (encode, decode) into a `BookManager`.
final class BookBox {
    var books: BookManager
    init(_ config: BookConfig) { books = BookManager(config: config) }
}

struct BookFeedingSink: MatchingEvents {
    let box: BookBox
    var sequence: UInt64 = 0
    var buffer = [UInt8](repeating: 0, count: ITCH.maxMessageLength)
    var messages = 0
    var filledQty: UInt64 = 0
    var executedQty: UInt64 = 0
    var wireErrors = 0
    var rejects = 0

    init(config: BookConfig) { box = BookBox(config) }

    mutating func filled(_ event: Fill) { filledQty += UInt64(event.qty.rawValue) }
    mutating func rejected(_ event: OrderRejected) { rejects += 1 }

    mutating func published(_ message: ITCHMessage) {
        sequence += 1
        messages += 1
        if case .orderExecuted(let e) = message { executedQty += UInt64(e.executedShares.rawValue) }
        let decoded: ITCHMessage? = buffer.withUnsafeMutableBytes { raw in
            guard let n = try? message.encode(into: raw),
                  let m = try? ITCHMessage.decode(UnsafeRawBufferPointer(rebasing: raw[0..<n])) else { return nil }
            return m
        }
        guard let decoded, decoded == message else {
            wireErrors += 1
            return
        }
        var ignore = IgnoreBookEvents()
        box.books.apply(decoded, sequence: sequence, &ignore)
    }
}

@Suite struct ExchangeFeedTests {
    @Test func sessionFramingAndSymbolTable() {
        let x = Exchange(config: MatchingConfig(maxOrders: 64, maxLevelsPerSide: 16))
        let a = x.addSymbol(Stock("AAA"))
        let b = x.addSymbol(Stock("BBB"), locate: StockLocate(40))
        #expect(a?.locate == StockLocate(1) && b?.locate == StockLocate(40))
        #expect(x.addSymbol(Stock("CCC"), locate: StockLocate(40)) == nil)  // locate taken
        #expect(x.addSymbol(Stock("AAA"), locate: StockLocate(9)) == nil)  // listed elsewhere
        #expect(x.addSymbol(Stock("AAA"), locate: StockLocate(1)) === a)
        #expect(x.addSymbol(Stock("ZZZ"), locate: StockLocate(0)) == nil)
        #expect(x.locate(of: Stock("BBB")) == StockLocate(40) && x.engine(StockLocate(40)) === b)
        #expect(x.engine(StockLocate(2)) == nil)

        var sink = RecordingSink()
        x.startSession(timestamp: t0, &sink)
        #expect(sink.itchTypes == "SRRSS")
        let codes = sink.messages.compactMap { m -> UInt8? in if case .systemEvent(let s) = m { s.eventCode } else { nil } }
        #expect(codes == Array("OSQ".utf8))
        let directory = sink.messages.compactMap { m -> ITCH.StockDirectory? in
            if case .stockDirectory(let r) = m { r } else { nil }
        }
        #expect(directory.map(\.stock) == [Stock("AAA"), Stock("BBB")])
        #expect(directory.map(\.header.stockLocate) == [StockLocate(1), StockLocate(40)])
        #expect(directory.allSatisfy { $0.roundLotSize == 100 && $0.marketCategory == UInt8(ascii: "Q") })
        sink.reset()
        x.endSession(timestamp: t0, &sink)
        let endCodes = sink.messages.compactMap { m -> UInt8? in if case .systemEvent(let s) = m { s.eventCode } else { nil } }
        #expect(endCodes == Array("MEC".utf8))
    }

    @Test func referencesAndMatchNumbersAreUniqueAcrossSymbols() {
        let x = Exchange()
        x.addSymbol(Stock("AAA"))
        x.addSymbol(Stock("BBB"))
        var sink = RecordingSink()
        let r1 = x.submit(sell(100, 10), locate: StockLocate(1), timestamp: t0, &sink)
        let r2 = x.submit(sell(100, 10), locate: StockLocate(2), timestamp: t0, &sink)
        let r3 = x.submit(buy(100, 10), locate: StockLocate(2), timestamp: t0, &sink)
        let r4 = x.submit(buy(100, 10), locate: StockLocate(1), timestamp: t0, &sink)
        #expect([r1.ref, r2.ref, r3.ref, r4.ref] == [OrderRef(1), OrderRef(2), OrderRef(3), OrderRef(4)])
        #expect(sink.fills.map(\.matchNumber) == [MatchNumber(1), MatchNumber(2)])
        #expect(sink.fills.map(\.locate) == [StockLocate(2), StockLocate(1)])
        let unknown = x.submit(buy(100, 10), locate: StockLocate(3), timestamp: t0, &sink)
        #expect(unknown.rejection == .unknownSymbol && sink.rejects.last?.reason == .unknownSymbol)
        #expect(x.cancel(OrderRef(1), locate: StockLocate(9), owner: .flow, token: ClientToken(0),
                         timestamp: t0, &sink) == nil)
        #expect(x.sequence.nextOrderRef == 5)
    }

    /// The key cross-check: a random mix of every request over two symbols; after every
    /// request, the books rebuilt from the published ITCH (through encode and decode) equal
    /// the engines' own books at every level, and no message is an anomaly.
    @Test func publishedITCHRebuildsTheEnginesBooksExactly() {
        let x = Exchange(config: MatchingConfig(maxOrders: 1 << 15, maxLevelsPerSide: 128))
        let locates = [StockLocate(1), StockLocate(2)]
        x.addSymbol(Stock("AAA"))
        x.addSymbol(Stock("BBB"))
        var sink = BookFeedingSink(config: BookConfig(ordersPerSymbol: 1 << 15, levelsPerSide: 256, maxSymbols: 4))
        x.startSession(timestamp: t0, &sink)
        var rng = TestRandom(seed: 2026)
        var live: [[OrderRef]] = [[], []]
        var mismatches = 0
        var firstMismatch = ""
        var counts = [String: Int]()
        let operations = 120_000
        for step in 0..<operations {
            let si = rng.below(2)
            let locate = locates[si]
            let e = x.engine(locate)!
            let ts = Timestamp(t0.rawValue + UInt64(step))
            let owner = Owner(UInt32(rng.below(3)))
            let roll = rng.below(100)
            // Prices around a slowly drifting centre so both sides cross often.
            let centre = 10_000 + Int((step / 5000) % 7) * 3
            let side: Side = rng.below(2) == 0 ? .buy : .sell
            // Mostly on its own side of the centre, one time in six reaching across it.
            let offset = 1 + rng.below(25) - (rng.below(6) == 0 ? rng.below(8) : 0)
            let price = UInt32(side == .buy ? centre - offset : centre + offset)
            let qty = UInt32(1 + rng.below(rng.below(8) == 0 ? 1500 : 300))
            if roll < 45 || live[si].isEmpty {
                let type: OrderType = roll < 35 ? .limit : roll < 38 ? .market : roll < 42 ? .immediateOrCancel : .fillOrKill
                let r = x.submit(NewOrder(side: side, type: type, price: Price(price), qty: Qty(qty), owner: owner,
                                          token: ClientToken(UInt64(step))), locate: locate, timestamp: ts, &sink)
                if r.resting.rawValue > 0 { live[si].append(r.ref) }
                counts["submit.\(type)", default: 0] += 1
            } else {
                let i = rng.below(live[si].count)
                let ref = live[si][i]
                let current = e.order(ref)
                if current == nil {
                    live[si].swapAt(i, live[si].count - 1)
                    live[si].removeLast()
                    // Now and then, still ask: a request for a dead order must be rejected.
                    if rng.below(10) == 0 {
                        let q = x.cancel(ref, locate: locate, owner: owner, token: ClientToken(0), timestamp: ts, &sink)
                        if q != nil { mismatches += 1 }
                        counts["cancel.dead", default: 0] += 1
                    }
                    continue
                }
                let o = current!
                if roll < 70 {
                    x.cancel(ref, locate: locate, owner: o.owner, token: o.token, timestamp: ts, &sink)
                    counts["cancel", default: 0] += 1
                } else {
                    let kind = rng.below(3)
                    let newQty = kind == 0 ? UInt32(1 + rng.below(Int(o.qty.rawValue))) : qty
                    let newPrice = kind == 0 ? o.price.rawValue : price
                    let r = x.replace(ref, locate: locate, price: Price(newPrice), qty: Qty(newQty), owner: o.owner,
                                      token: ClientToken(UInt64(step)), timestamp: ts, &sink)
                    if r.isAccepted && r.ref != ref && r.resting.rawValue > 0 { live[si].append(r.ref) }
                    counts[kind == 0 ? "replace.decrease" : "replace.move", default: 0] += 1
                }
            }
            // Compare every level of the symbol touched.
            let ok = sink.box.books.withBook(locate) { (book: borrowing OrderBook) -> Bool in
                guard book.orderCount == e.orderCount else { return false }
                for side in [Side.buy, .sell] {
                    guard book.levelCount(side) == e.levelCount(side) else { return false }
                    for d in 0..<e.levelCount(side) where book.level(side, d) != e.level(side, d) { return false }
                }
                return book.bestBid == e.bestBid && book.bestAsk == e.bestAsk && !book.isCrossed
            } ?? false
            if !ok {
                if mismatches == 0 { firstMismatch = "step \(step) locate \(locate)" }
                mismatches += 1
            }
        }
        #expect(mismatches == 0, "\(firstMismatch)")
        #expect(sink.wireErrors == 0)
        #expect(sink.box.books.counters.anomalies == 0, "\(String(describing: sink.box.books.firstAnomaly))")
        #expect(sink.filledQty == sink.executedQty && sink.filledQty > 0)
        // The mix really exercised every path.
        for key in ["submit.limit", "submit.market", "submit.immediateOrCancel", "submit.fillOrKill", "cancel",
                    "cancel.dead", "replace.decrease", "replace.move"] {
            #expect(counts[key, default: 0] > 500, "\(key): \(counts[key, default: 0])")
        }
        #expect(sink.messages > operations / 2)
        print("cross-check: \(sink.messages) messages, \(sink.filledQty) shares filled, \(sink.rejects) rejects, resting \(x.engines.map { ($0.orderCount, $0.levelCount(.buy), $0.levelCount(.sell)) }), \(counts)")
        #expect(x.engines.allSatisfy { $0.orderCount > 100 && $0.levelCount(.buy) > 5 && $0.levelCount(.sell) > 5 })
    }
}
