import QuorumBook
import QuorumExchange
import QuorumNet
import QuorumWire
import Testing
@testable import QuorumEngine

/// The tick-to-trade path end to end on loopback, both sides on this thread with their own
/// reactors: the venue publishes ITCH over MoldUDP64, the trader's book sees the spread
/// narrow and sends a FIX order back over the logged-on session.
@Suite struct ReflexTraderLoopbackTests {
    /// The trader side: reactor, feed client, session, rule.
    final class Trader {
        let reactor: Reactor
        let trader: ReflexTrader
        let feed: MoldFeedClient
        let tcp: FIXTCPHandler

        init(rule: SpreadCrossRule, reactorOptions: Reactor.Options = .init()) throws {
            reactor = try Reactor(reactorOptions)
            let session = try FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "SIM",
                                                        heartBtInt: 30))
            tcp = FIXTCPHandler(session: session)
            trader = ReflexTrader(books: BookManager(config: BookConfig()), rule: rule, session: session,
                                  reactor: reactor, wallClockOffset: tcp.wallClockOffset, sampleCapacity: 4096)
            feed = try MoldFeedClient(reactor: reactor, bind: .loopback(), retransmission: .loopback(port: 9),
                                      sink: trader)
        }
    }

    func pollBoth(_ a: Reactor, _ b: Reactor, until done: () -> Bool) -> Bool {
        for _ in 0..<2_000_000 {
            if done() { return true }
            a.poll()
            b.poll()
        }
        return done()
    }

    @Test func everyTriggerPacketIsAnsweredByExactlyOneOrder() throws {
        let side = try Trader(rule: SpreadCrossRule(maxSpreadTicks: 1, tickSize: 100, quantity: Qty(100)))
        let venueReactor = try Reactor()
        let venue = try TickToTradeVenue(reactor: venueReactor, mode: .fixSession, orders: .loopback(),
                                         feedDestination: side.feed.socket.localAddress)
        _ = try side.reactor.connect(to: venue.localOrderAddress, handler: side.tcp)
        #expect(pollBoth(side.reactor, venueReactor) { venue.traderReady && side.trader.session.state == .active })

        // The opening book is 10 ticks wide: no order.
        venue.publishOpeningBook(now: NetClock.now())
        #expect(pollBoth(side.reactor, venueReactor) { side.trader.messages == 4 })
        #expect(side.trader.ordersSent == 0)
        side.reactor.runFor(nanoseconds: 2_000_000)
        #expect(venue.ordersReceived == 0)

        for i in 1...500 {
            let sent = venue.sendTrigger()
            #expect(pollBoth(side.reactor, venueReactor) { venue.ordersReceived == UInt64(i) })
            #expect(venue.lastOrderNanos > sent)
        }
        #expect(side.trader.ordersSent == 500 && side.trader.ordersRefused == 0)
        #expect(side.trader.sampleCount == 500)
        #expect(side.trader.samples.allSatisfy { $0 > 0 && $0 < 10_000_000_000 })
        // Trigger 1 adds one message; each later trigger deletes the previous ask and adds one.
        #expect(side.trader.messages == 4 + 1 + 2 * 499)
        #expect(side.trader.undecodable == 0 && side.trader.lostMessages == 0)
        #expect(side.feed.receiver.counters.gapsDetected == 0)
        // The book the trader kept: bid 100.0000 × 1000, asks at 100.0100 × 100 and 100.1000 × 1000.
        let found = side.trader.books.locate(of: Stock("QRM"))
        let locate = try #require(found)
        let quotes = side.trader.books.withBook(locate) { ($0.bestBid, $0.bestAsk, $0.level(.sell, 1)) }
        #expect(quotes?.0 == BookQuote(price: Price(1_000_000), qty: 1000))
        #expect(quotes?.1 == BookQuote(price: Price(1_000_100), qty: 100))
        #expect(quotes?.2?.price == Price(1_001_000))
    }

    @Test func aSpreadThatStaysNarrowDoesNotFireAgainAndAWideRuleNeverFires() throws {
        // With a 20-tick rule the opening book (10 ticks) is already narrow: exactly one order,
        // and the triggers that follow keep it narrow, so nothing more.
        let side = try Trader(rule: SpreadCrossRule(maxSpreadTicks: 20, tickSize: 100, quantity: Qty(100)))
        let venueReactor = try Reactor()
        let venue = try TickToTradeVenue(reactor: venueReactor, mode: .fixSession, orders: .loopback(),
                                         feedDestination: side.feed.socket.localAddress)
        _ = try side.reactor.connect(to: venue.localOrderAddress, handler: side.tcp)
        #expect(pollBoth(side.reactor, venueReactor) { venue.traderReady && side.trader.session.state == .active })
        venue.publishOpeningBook(now: NetClock.now())
        #expect(pollBoth(side.reactor, venueReactor) { venue.ordersReceived == 1 })
        for _ in 1...20 { _ = venue.sendTrigger() }
        #expect(pollBoth(side.reactor, venueReactor) { side.trader.messages == 4 + 1 + 2 * 19 })
        side.reactor.runFor(nanoseconds: 2_000_000)
        venueReactor.runFor(nanoseconds: 2_000_000)
        #expect(side.trader.ordersSent == 1 && venue.ordersReceived == 1)

        // Zero ticks: only a locked book would count; these never are.
        let zero = SpreadCrossRule(maxSpreadTicks: 0, tickSize: 100, quantity: Qty(1))
        #expect(!zero.isNarrow(bid: BookQuote(price: Price(1_000_000), qty: 1), ask: BookQuote(price: Price(1_000_100), qty: 1)))
        #expect(zero.isNarrow(bid: BookQuote(price: Price(1_000_000), qty: 1), ask: BookQuote(price: Price(1_000_000), qty: 1)))
        #expect(!zero.isNarrow(bid: .empty, ask: BookQuote(price: Price(1_000_000), qty: 1)))
    }

    @Test func withDeferredTaskWorkAndWarmingEveryTriggerIsStillAnsweredOnce() throws {
        // The benchmark's fastest set-up: a busy-poll ring whose task work waits for the loop,
        // and the order path rehearsed between polls. The rehearsal must send nothing.
        let side = try Trader(rule: SpreadCrossRule(maxSpreadTicks: 1, tickSize: 100, quantity: Qty(100)),
                              reactorOptions: .init(mode: .busyPoll, taskRun: .deferred))
        let venueReactor = try Reactor()
        let venue = try TickToTradeVenue(reactor: venueReactor, mode: .fixSession, orders: .loopback(),
                                         feedDestination: side.feed.socket.localAddress)
        _ = try side.reactor.connect(to: venue.localOrderAddress, handler: side.tcp)
        #expect(pollBoth(side.reactor, venueReactor) { venue.traderReady && side.trader.session.state == .active })
        // Before any order there is nothing to rehearse.
        side.trader.warm()
        #expect(side.trader.warmBytes == 0)
        venue.publishOpeningBook(now: NetClock.now())
        #expect(pollBoth(side.reactor, venueReactor) { side.trader.messages == 4 })

        let warmTrader = side.trader
        for i in 1...300 {
            let sent = venue.sendTrigger()
            var polls = 0
            while venue.ordersReceived < UInt64(i) && polls < 2_000_000 {
                // One thread polls both sides here, so the trader is rarely idle: rehearse after
                // every poll, interleaved with real completions.
                side.reactor.poll()
                warmTrader.warm()
                venueReactor.poll()
                polls += 1
            }
            #expect(venue.ordersReceived == UInt64(i))
            #expect(venue.lastOrderNanos > sent)
        }
        // Warm passes ran, each encoding a whole order, yet only the real orders went out.
        #expect(side.trader.warmBytes > 100)
        let seqBefore = side.trader.session.nextOutgoingSeqNum
        for _ in 0..<1000 { side.trader.warm() }
        #expect(side.trader.session.nextOutgoingSeqNum == seqBefore)
        side.reactor.runFor(nanoseconds: 2_000_000)
        venueReactor.runFor(nanoseconds: 2_000_000)
        #expect(venue.ordersReceived == 300)
        #expect(side.trader.ordersSent == 300 && side.trader.ordersRefused == 0)
        #expect(side.trader.sampleCount == 300)
        #expect(side.trader.messages == 4 + 1 + 2 * 299)
        #expect(side.trader.undecodable == 0 && side.trader.lostMessages == 0)
        #expect(side.reactor.submitErrors == 0)
    }
}
