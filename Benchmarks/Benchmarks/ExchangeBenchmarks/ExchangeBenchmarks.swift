// Exchange simulator benchmarks for issue 6: the publisher path without sockets.
//
//   cd Benchmarks && swift package --disable-sandbox benchmark --target ExchangeBenchmarks
//
// `Publisher.flowDay.1M` replays a synthetic day of 1M ITCH messages (20 symbols, seed 7) as
// background flow: each message becomes an order-entry request on the matching engine, whose
// ITCH output is encoded and packed into MoldUDP64 packets (1400 bytes) and handed to a sink
// that only counts. One iteration = the whole day; the figure printed is published
// market-data messages per second. The simulator's target is ≥ 1M messages/s to one
// subscriber. Engines, flow table and publisher are allocated before the measurement; the
// steady state must not allocate (mallocCountTotal = 0, Thresholds/).

import Benchmark
import QuorumExchange
import QuorumMarketTools
import QuorumWire

/// Counts what would go to the socket.
struct CountingPacketSink: MoldPacketSink {
    var packets = 0
    var bytes = 0
    @inline(__always)
    mutating func send(_ packet: UnsafeRawBufferPointer) {
        packets &+= 1
        bytes &+= packet.count
    }
}

enum Fixture {
    static let options = SyntheticDay.Options(symbols: 20, messages: 1_000_000, seed: 7, targetLiveOrdersPerSymbol: 1000)
    /// The day, decoded once per process.
    static let day: [ITCHMessage] = {
        var g = SyntheticDay(options: options)
        var out: [ITCHMessage] = []
        out.reserveCapacity(options.messages)
        while let m = g.next() { out.append(m) }
        return out
    }()
}

/// Exchange, flow and publisher that live across iterations.
final class PublisherFixture: @unchecked Sendable {
    let exchange = Exchange(config: MatchingConfig(maxOrders: 1 << 13, maxLevelsPerSide: 4096))
    let flow: BackgroundFlow
    let publisher = MoldPublisher(MoldPublisherConfig(session: SessionID("QSIMBENCH1"), maxPacketBytes: 1400))
    var published = 0

    init() {
        flow = BackgroundFlow(exchange: exchange, maxLiveOrders: 1 << 16)
        var ignore = IgnoreMatchingEvents()
        for m in Fixture.day.prefix(Fixture.options.symbols + 3) { flow.apply(m, timestamp: Timestamp(0), &ignore) }
    }

    /// The whole day once; returns the messages published.
    @inline(never)
    func runDay() -> Int {
        for e in exchange.engines { e.removeAll() }
        flow.removeAll()
        var feed = MoldFeed(publisher: publisher, orders: IgnoreMatchingEvents(), packets: CountingPacketSink())
        let before = publisher.nextSequence
        var now: UInt64 = 0
        Fixture.day.withUnsafeBufferPointer { day in
            for m in day {
                now &+= 1
                feed.now = now
                flow.apply(m, timestamp: Timestamp(now), &feed)
            }
        }
        feed.flush()
        return Int(publisher.nextSequence - before)
    }
}

/// One symbol with a standing book for the per-request benchmarks.
final class EngineFixture: @unchecked Sendable {
    let engine = MatchingEngine(locate: StockLocate(1), stock: Stock("BENCH"),
                                config: MatchingConfig(maxOrders: 1 << 12, maxLevelsPerSide: 256))
    let publisher = MoldPublisher(MoldPublisherConfig(session: SessionID("QSIMBENCH2")))
    var feed: MoldFeed<IgnoreMatchingEvents, CountingPacketSink>

    init() {
        feed = MoldFeed(publisher: publisher, orders: IgnoreMatchingEvents(), packets: CountingPacketSink())
        // Ten levels a side, ten orders each.
        for level in 0..<10 {
            for _ in 0..<10 {
                engine.submit(NewOrder(side: .buy, price: Price(UInt32(999_900 - level * 100)), qty: Qty(100)),
                              timestamp: Timestamp(0), &feed)
                engine.submit(NewOrder(side: .sell, price: Price(UInt32(1_000_100 + level * 100)), qty: Qty(100)),
                              timestamp: Timestamp(0), &feed)
            }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let dayConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 5,
        thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])]
    )
    let steadyState = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 1000,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])]
    )

    Benchmark("Publisher.flowDay.1M", configuration: dayConfiguration) { benchmark in
        _ = Fixture.day.count  // build the day outside the measurement
        let fixture = PublisherFixture()
        var published = 0
        var nanos: UInt64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let start = ContinuousClock.now
            published = fixture.runDay()
            let d = ContinuousClock.now - start
            nanos = UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000)
        }
        benchmark.stopMeasurement()
        blackHole(published)
        let rate = Double(published) / (Double(nanos) / 1e9)
        print("Publisher.flowDay.1M: \(Fixture.day.count) source messages -> \(published) published in \(nanos / 1_000_000) ms = \(Int(rate)) msg/s")
    }

    // A resting order joins the book and an aggressor takes it: A, then E, packed.
    Benchmark("MatchingEngine.restThenTake", configuration: steadyState) { benchmark in
        let f = EngineFixture()
        var t: UInt64 = 1
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            t &+= 1
            f.engine.submit(NewOrder(side: .buy, price: Price(1_000_000), qty: Qty(100)), timestamp: Timestamp(t), &f.feed)
            f.engine.submit(NewOrder(side: .sell, type: .immediateOrCancel, price: Price(1_000_000), qty: Qty(100)),
                            timestamp: Timestamp(t), &f.feed)
        }
        f.feed.flush()
        blackHole(f.feed.packets.bytes)
    }

    // Add at the touch, then cancel it: A, D.
    Benchmark("MatchingEngine.addCancel", configuration: steadyState) { benchmark in
        let f = EngineFixture()
        var t: UInt64 = 1
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            t &+= 1
            let r = f.engine.submit(NewOrder(side: .sell, price: Price(1_000_100), qty: Qty(100)),
                                    timestamp: Timestamp(t), &f.feed)
            f.engine.cancel(r.ref, owner: .flow, token: ClientToken(0), timestamp: Timestamp(t), &f.feed)
        }
        f.feed.flush()
        blackHole(f.feed.packets.bytes)
    }

    // One 36-byte message into a packet (and the retransmission store).
    Benchmark("MoldPublisher.publish.addOrder", configuration: steadyState) { benchmark in
        let publisher = MoldPublisher(MoldPublisherConfig(session: SessionID("QSIMBENCH3")))
        var sink = CountingPacketSink()
        var m = ITCH.AddOrder(header: ITCH.Header(stockLocate: StockLocate(1), timestamp: Timestamp(1)),
                              orderRef: OrderRef(1), side: .buy, shares: Qty(100), stock: Stock("BENCH"),
                              price: Price(1_000_000))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            m.orderRef.rawValue &+= 1
            publisher.publish(.addOrder(m), now: 1, &sink)
        }
        publisher.flush(now: 1, &sink)
        blackHole(sink.bytes)
    }
}
