import QuorumBook
import QuorumJournal
import QuorumRings
import QuorumWire
import Testing
@testable import QuorumEngine

/// Keeps the market updates the coordinator journals, decoded.
final class MarketRecordSink: CoordinatorJournalSink {
    var markets: [MarketUpdate] = []
    var next: UInt64 = 1
    func appendRecord(_ type: JournalRecordType, timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        if type == .coordinatorMarket, let u = try? CoordinatorCodec.decodeMarket(sequence: next, payload: payload) {
            markets.append(u)
        }
        defer { next += 1 }
        return next
    }
}

@Suite("Live desk loop: stale market updates are conflated per symbol")
struct LiveConflationTests {
    func update(locate: UInt16, t: UInt64, bid: UInt32, changes: BookChanges) -> MarketUpdate {
        var u = quoteUpdate(bid: bid, ask: bid + 200, t: t)
        u.locate = StockLocate(locate)
        u.sequence = t
        u.receiveTime = t
        u.changes = changes
        return u
    }

    func makeLoop() throws -> (LiveDeskLoop, SPSCRing<MarketUpdate>, MarketRecordSink) {
        var setup = BacktestSetup()
        setup.locates = [1, 2]
        setup.names = ["AAA", "BBB"]
        let sink = MarketRecordSink()
        let coordinator = Coordinator(desk: try setup.makeDesk(), journal: sink, checkpointEvery: 1_000)
        let market = try SPSCRing<MarketUpdate>(capacity: 64)
        let loop = LiveDeskLoop(coordinator: coordinator, market: market, events: try SPSCRing<LiveVenueEvent>(capacity: 16),
                                orders: try SPSCRing<LiveOrderCommand>(capacity: 64),
                                status: try SeqLock(LiveDeskStatus()), pendingCapacity: 64)
        return (loop, market, sink)
    }

    @Test("a backlog steps the desk once per symbol, on the newest update, in the order the newest arrived")
    func backlogIsConflated() throws {
        let (loop, market, sink) = try makeLoop()
        // A1 (trade) B2 A3 B4 A5: the newest are B4 and A5, B4 arrived first.
        #expect(market.push(update(locate: 1, t: 1, bid: 10_000, changes: [.bestBidOffer, .trade])))
        #expect(market.push(update(locate: 2, t: 2, bid: 20_000, changes: [.bestBidOffer])))
        #expect(market.push(update(locate: 1, t: 3, bid: 10_100, changes: [.bestBidOffer])))
        #expect(market.push(update(locate: 2, t: 4, bid: 20_100, changes: [.levels])))
        #expect(market.push(update(locate: 1, t: 5, bid: 10_200, changes: [.levels])))
        _ = loop.poll()
        #expect(sink.markets.map(\.sequence) == [4, 5])
        #expect(sink.markets.map(\.locate) == [StockLocate(2), StockLocate(1)])
        #expect(sink.markets.map(\.bestBid.price) == [Price(20_100), Price(10_200)])
        // The newest carries what the superseded ones changed: A's trade is not forgotten.
        #expect(sink.markets[1].changes == [.bestBidOffer, .trade, .levels])
        #expect(sink.markets[0].changes == [.bestBidOffer, .levels])
        #expect(loop.updatesConflated == 3)
        #expect(loop.coordinator.counters.marketInputs == 2)
        #expect(loop.coordinator.lastTime == 5)
    }

    @Test("a desk that keeps up takes every update as it comes")
    func noBacklogNoConflation() throws {
        let (loop, market, sink) = try makeLoop()
        for t in 1...6 as ClosedRange<UInt64> {
            #expect(market.push(update(locate: UInt16(1 + t % 2), t: t, bid: 10_000 + UInt32(t) * 100, changes: [.bestBidOffer])))
            _ = loop.poll()
        }
        #expect(sink.markets.map(\.sequence) == [1, 2, 3, 4, 5, 6])
        #expect(loop.updatesConflated == 0)
        // A symbol conflated in one turn is listed afresh in the next.
        #expect(market.push(update(locate: 1, t: 7, bid: 10_000, changes: [.bestBidOffer])))
        #expect(market.push(update(locate: 1, t: 8, bid: 10_100, changes: [.bestBidOffer])))
        _ = loop.poll()
        #expect(market.push(update(locate: 1, t: 9, bid: 10_200, changes: [.bestBidOffer])))
        _ = loop.poll()
        #expect(sink.markets.map(\.sequence).suffix(2) == [8, 9])
        #expect(loop.updatesConflated == 1)
    }
}
