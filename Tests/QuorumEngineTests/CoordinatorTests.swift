import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumWire
import Testing

@testable import QuorumEngine

/// A journal sink that keeps every record in memory, numbering from 1.
final class MemorySink: CoordinatorJournalSink {
    var records: [(type: JournalRecordType, time: UInt64, payload: [UInt8])] = []
    func appendRecord(_ type: JournalRecordType, timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        records.append((type, timestampNs, Array(payload)))
        return UInt64(records.count)
    }
}

func oneSymbolCoordinator(sink: CoordinatorJournalSink?, checkpointEvery: Int = 3) throws -> Coordinator {
    var setup = BacktestSetup()
    setup.locates = [1]
    setup.names = ["AAA"]
    return Coordinator(desk: try setup.makeDesk(), journal: sink, checkpointEvery: checkpointEvery)
}

func quoteUpdate(bid: UInt32, ask: UInt32, t: UInt64) -> MarketUpdate {
    var u = MarketUpdate()
    u.locate = StockLocate(1)
    u.exchangeTime = Timestamp(t)
    u.changes = [.bestBidOffer]
    u.bestBid = BookQuote(price: Price(bid), qty: 500)
    u.bestAsk = BookQuote(price: Price(ask), qty: 500)
    u.bids[0] = DepthLevel(price: Price(bid), qty: 500, orderCount: 1)
    u.asks[0] = DepthLevel(price: Price(ask), qty: 500, orderCount: 1)
    u.bidCount = 1; u.askCount = 1
    return u
}

@Suite("Coordinator: journaling, order manager, P&L, checkpoints")
struct CoordinatorTests {
    @Test("average-cost P&L through a flip from long to short, marked at the last mid")
    func pnlThroughFlip() throws {
        let c = try oneSymbolCoordinator(sink: nil)
        let s = SymbolID(0)
        let fills: [(Direction, Int64, Int64)] = [(.long, 100, 100_000), (.long, 100, 120_000), (.short, 150, 130_000), (.short, 100, 90_000)]
        for (k, (d, q, px)) in fills.enumerated() {
            c.consume(.fill(Fill(order: 9_000 + UInt64(k), symbol: s, direction: d, quantity: q, priceTicks: px, time: UInt64(k + 1))))
        }
        c.consume(.market(quoteUpdate(bid: 99_900, ask: 100_100, t: 10)))
        let b = c.symbols[0]
        #expect(b.position == -50)
        #expect(b.cashTicks == -100 * 100_000 - 100 * 120_000 + 150 * 130_000 + 100 * 90_000)
        #expect(abs(b.realisedPnL - 200) < 1e-9)    // 150 × (13 − 11) + 50 × (9 − 11)
        #expect(abs(b.unrealisedPnL - (-50)) < 1e-9)  // short 50 from 9, mid 10
        #expect(b.totalPnL == 150)
        #expect(b.boughtQty == 200 && b.soldQty == 250 && b.fills == 4)
        // None of those orders was sent by the desk: the order manager says so.
        #expect(c.counters.unmatchedFills == 4)
        #expect(c.counters.inputs == 5 && c.counters.fillInputs == 4 && c.counters.marketInputs == 1)
    }

    @Test("every input is journaled with its event time; a checkpoint follows every N inputs with the state hash")
    func journalCadence() throws {
        let sink = MemorySink()
        let c = try oneSymbolCoordinator(sink: sink, checkpointEvery: 3)
        var hashes: [UInt64] = []
        for k in 0..<7 {
            c.consume(.market(quoteUpdate(bid: 99_900 + UInt32(k) * 100, ask: 100_100 + UInt32(k) * 100, t: UInt64(1_000 + k))))
            if (k + 1) % 3 == 0 { hashes.append(c.stateHash()) }
        }
        let types = sink.records.map(\.type)
        #expect(types == [.coordinatorMarket, .coordinatorMarket, .coordinatorMarket, .checkpoint,
                          .coordinatorMarket, .coordinatorMarket, .coordinatorMarket, .checkpoint, .coordinatorMarket])
        #expect(sink.records[0].time == 1_000 && sink.records[8].time == 1_006)
        let stored = sink.records.filter { $0.type == .checkpoint }.map { r in
            r.payload.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }
        #expect(stored == hashes)
        #expect(c.lastSequence == 9)
        #expect(sink.records.allSatisfy { $0.type != .coordinatorMarket || $0.payload.count == CoordinatorCodec.marketSize })
    }

    @Test("the state hash is a function of the inputs: same inputs same hash, one changed fill a different one")
    func hashFollowsInputs() throws {
        func run(fillPrice: Int64) throws -> UInt64 {
            let c = try oneSymbolCoordinator(sink: nil)
            c.consume(.market(quoteUpdate(bid: 99_900, ask: 100_100, t: 1)))
            c.consume(.fill(Fill(order: 1, symbol: SymbolID(0), direction: .long, quantity: 10, priceTicks: fillPrice, time: 2)))
            c.consume(.market(quoteUpdate(bid: 100_000, ask: 100_200, t: 3)))
            return c.stateHash()
        }
        #expect(try run(fillPrice: 100_100) == run(fillPrice: 100_100))
        #expect(try run(fillPrice: 100_100) != run(fillPrice: 100_101))
    }

    @Test("refused inputs: a fill for an unknown symbol or of zero quantity moves no position")
    func refusedFills() throws {
        let c = try oneSymbolCoordinator(sink: nil)
        c.consume(.fill(Fill(order: 1, symbol: SymbolID(5), direction: .long, quantity: 10, priceTicks: 100_000, time: 1)))
        c.consume(.fill(Fill(order: 2, symbol: SymbolID(0), direction: .long, quantity: 0, priceTicks: 100_000, time: 2)))
        c.consume(.fill(Fill(order: 3, symbol: SymbolID(0), direction: .flat, quantity: 5, priceTicks: 100_000, time: 3)))
        #expect(c.symbols[0].position == 0 && c.symbols[0].fills == 0)
        #expect(c.counters.unmatchedFills == 3)
        #expect(c.desk.counters.rejectedInputs == 3)
    }
}

@Suite("Coordinator: a live step's orders before its bookkeeping")
struct CoordinatorOrdersFirstTests {
    @Test("consume(market:ordersReady:) hands the step's orders out before journaling the input, the records' bookkeeping and a due checkpoint; orders, journal, counters and state are those of consume(market:)")
    func ordersGoOutFirst() throws {
        let sinkA = MemorySink(), sinkB = MemorySink()
        let a = try oneSymbolCoordinator(sink: sinkA, checkpointEvery: 7)
        let b = try oneSymbolCoordinator(sink: sinkB, checkpointEvery: 7)
        var ordersA: [ChildOrder] = [], ordersB: [ChildOrder] = []
        var calls = 0, checkpointsPending = 0, fillsSent = 0
        // A quote wandering in trends of a few hundred updates, so the team trades.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var mid: Int64 = 1_000_000, drift: Int64 = 40
        let second: UInt64 = 1_000_000_000
        for k in 0..<4_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            if k % 300 == 0 { drift = -drift }
            mid += drift + Int64(state >> 58) * 10 - 320
            let u = quoteUpdate(bid: UInt32(mid - 100), ask: UInt32(mid + 100), t: second + UInt64(k) * 10_000_000)
            a.consume(market: u)
            while let o = a.nextOutgoing() { ordersA.append(o) }
            let inputs = b.counters.inputs, journaled = sinkB.records.count
            b.consume(market: u) {
                calls += 1
                // The input is counted, but neither it nor its checkpoint (every 7th) is
                // journaled yet.
                #expect(b.counters.inputs == inputs + 1)
                #expect(sinkB.records.count == journaled)
                if b.counters.inputs % 7 == 0 { checkpointsPending += 1 }
                while let o = b.nextOutgoing() { ordersB.append(o) }
            }
            #expect(sinkB.records[journaled].type == .coordinatorMarket)
            // Every order fills at once at its limit (or the mid), the same input to both.
            for o in ordersA.dropFirst(fillsSent) {
                let f = Fill(order: o.id, symbol: o.symbol, direction: o.direction, quantity: o.quantity,
                             priceTicks: o.limitTicks > 0 ? o.limitTicks : mid, time: u.exchangeTime.rawValue + 1)
                a.consume(.fill(f))
                b.consume(.fill(f))
                fillsSent += 1
            }
        }
        #expect(calls == 4_000 && checkpointsPending > 4_000 / 7 / 2)
        #expect(ordersA.count > 10)
        #expect(ordersB.map(\.id) == ordersA.map(\.id))
        #expect(ordersB.map(\.quantity) == ordersA.map(\.quantity) && ordersB.map(\.limitTicks) == ordersA.map(\.limitTicks))
        #expect(b.counters == a.counters)
        #expect(b.counters.checkpoints == b.counters.inputs / 7 && b.counters.fillInputs == fillsSent)
        #expect(b.stateHash() == a.stateHash())
        #expect(sinkB.records.count == sinkA.records.count)
        #expect(zip(sinkB.records, sinkA.records).allSatisfy { $0.type == $1.type && $0.time == $1.time && $0.payload == $1.payload })
    }
}

@Suite("Coordinator: equity drives the loss breakers")
struct CoordinatorEquityBreakerTests {
    @Test("a loss past the daily-loss limits moves the breakers, sampled once per period of event time")
    func lossTripsTheBreakers() throws {
        let c = try oneSymbolCoordinator(sink: nil, checkpointEvery: 1_000)
        let s = SymbolID(0)
        let second: UInt64 = 1_000_000_000
        c.consume(.market(quoteUpdate(bid: 999_900, ask: 1_000_100, t: second)))
        // Long 5 000 at $100.00 on $1M capital.
        c.consume(.fill(Fill(order: 1, symbol: s, direction: .long, quantity: 5_000, priceTicks: 1_000_000, time: second + 1)))
        // The mid falls to $97.00: −$15 000, 1.5% of capital — past degraded (1%), short of emergency (2%).
        c.consume(.market(quoteUpdate(bid: 969_900, ask: 970_100, t: second + 2)))
        #expect(c.desk.risk.engine.breakers.mode == .normal)  // not sampled yet: same period
        c.consume(.market(quoteUpdate(bid: 969_900, ask: 970_100, t: 2 * second + 1)))
        #expect(abs(c.totalPnL + 15_000) < 0.01)
        #expect(c.desk.risk.engine.breakers.mode == .degraded)
        // $95.00: −$25 000, 2.5%: emergency at the next sample.
        c.consume(.market(quoteUpdate(bid: 949_900, ask: 950_100, t: 3 * second + 1)))
        #expect(c.desk.risk.engine.breakers.mode == .emergency)
        c.consume(.market(quoteUpdate(bid: 949_900, ask: 950_100, t: 3 * second + 2)))
        #expect(c.desk.mode == .emergency)
    }
}
