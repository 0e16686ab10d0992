// The whole tick-to-trade path in steady state, on loopback, both ends on the harness's
// thread with their own busy-polling reactors: the venue publishes a trigger packet (ITCH 5.0
// in MoldUDP64), the trader's net loop receives it through io_uring, sequences it, applies it
// to the book, finds the spread narrow and sends a FIX 4.4 NewOrderSingle over its logged-on
// session; the venue's acceptor receives the order. One iteration = one trigger answered.
//
// The point is mallocCountTotal 0 (committed thresholds): nothing on the path allocates once
// warm. Wall clock here serialises both ends on one core; `quorum bench tick-to-trade` is the
// latency figure.

import Benchmark
import QuorumBook
import QuorumEngine
import QuorumExchange
import QuorumNet
import QuorumWire

/// Venue and trader, connected and logged on. The harness runs one benchmark at a time on
/// one thread, the reactors' single-owner discipline; `@unchecked Sendable` only satisfies
/// the closure's signature.
final class TickToTradeFixture: @unchecked Sendable {
    let venueReactor: Reactor
    let traderReactor: Reactor
    let venue: TickToTradeVenue
    let trader: ReflexTrader
    let feed: MoldFeedClient
    let tcp: FIXTCPHandler

    init() {
        venueReactor = try! Reactor(.init(mode: .busyPoll))
        traderReactor = try! Reactor(.init(mode: .busyPoll))
        let session = try! FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "SIM",
                                                     heartBtInt: 30, resetSeqNumOnLogon: true))
        tcp = FIXTCPHandler(session: session)
        trader = ReflexTrader(books: BookManager(config: BookConfig(ordersPerSymbol: 1 << 12, levelsPerSide: 256, maxSymbols: 4)),
                              rule: SpreadCrossRule(), session: session, reactor: traderReactor,
                              wallClockOffset: tcp.wallClockOffset, sampleCapacity: 1 << 16)
        feed = try! MoldFeedClient(reactor: traderReactor, bind: .loopback(), retransmission: .loopback(port: 9), sink: trader)
        venue = try! TickToTradeVenue(reactor: venueReactor, mode: .fixSession, orders: .loopback(),
                                      feedDestination: feed.socket.localAddress)
        _ = try! traderReactor.connect(to: venue.localOrderAddress, handler: tcp)
        while !(venue.traderReady && session.state == .active) {
            venueReactor.poll()
            traderReactor.poll()
        }
        venue.publishOpeningBook(now: NetClock.now())
        while trader.messages < 4 {
            venueReactor.poll()
            traderReactor.poll()
        }
    }

    @inline(__always)
    func trigger() {
        let target = venue.ordersReceived &+ 1
        _ = venue.sendTrigger()
        while venue.ordersReceived != target {
            traderReactor.poll()
            venueReactor.poll()
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 2000,
        maxDuration: .seconds(2),
        maxIterations: 50_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])]
    )

    let fixture = TickToTradeFixture()
    Benchmark("TickToTrade.loopback.oneTrigger") { benchmark in
        for _ in benchmark.scaledIterations { fixture.trigger() }
        blackHole(fixture.trader.ordersSent)
    }
}
