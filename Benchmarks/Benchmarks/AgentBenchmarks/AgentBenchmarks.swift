// The agents' hot path: one `Desk` step per market update with the default-sized team
// (7 analysts of all six kinds plus the specialists, 20 symbols, two teams, a real risk
// engine), orders filled at their limit as soon as they are sent (each fill its own step);
// and the incremental indicators on their own.
//
// Steady state: mallocCountTotal is held at 0 by the committed thresholds.

import Benchmark
import QuorumAgents
import QuorumBook
import QuorumRisk
import QuorumWire

/// A 20-symbol desk and 4096 pre-built updates (random walks with trades) to cycle through,
/// re-timed on every use so event time keeps increasing. Used by one benchmark at a time on
/// one thread (the desk's single-owner rule); `@unchecked Sendable` only satisfies the
/// closure's signature.
final class DeskFixture: @unchecked Sendable {
    let desk: Desk
    var updates: [MarketUpdate]
    var next = 0
    var time: UInt64 = 34_200_000_000_000

    init(symbols n: Int = 20) {
        let rc = try! RiskConfig(instrumentCapacity: n, lambda: 0.97)
        var breakers = BreakerConfig()
        breakers.correlationDegraded = .infinity
        let engine = try! RiskEngine(config: rc, capital: 10_000_000, sectors: (0..<n).map { $0 % 4 },
                                     teams: (0..<n).map { $0 % 2 }, limits: .unlimited(instruments: n, sectors: 4, teams: 2),
                                     breakers: breakers)
        var p = AnalystParameters()
        p.fast = 5; p.slow = 13; p.signal = 4; p.window = 12; p.horizonNanos = 5_000_000
        let kinds: [AnalystKind] = [.trend, .rsi, .bollinger, .vwap, .imbalance, .breakout, .trend]
        var cfg = DeskConfig(symbols: (0..<n).map { DeskSymbol(locate: UInt16($0 + 1), team: $0 % 2) },
                             teams: [TeamConfig(name: "macro"), TeamConfig(name: "alts", grossBudget: 2_000_000)],
                             analysts: kinds.enumerated().map { i, k in
                                 AnalystConfig(name: "a\(i)", kind: k, team: i % 2, parameters: p, asksCorrelation: i == 2)
                             })
        cfg.riskClockNanos = 1_000_000
        cfg.execution.style = .twap
        cfg.execution.durationNanos = 2_000_000
        desk = try! Desk(config: cfg, engine: engine)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func rnd() -> UInt64 { state &+= 0x9E37_79B9_7F4A_7C15; var z = state; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) }
        var mids = (0..<n).map { 20.0 + 5 * Double($0) }
        updates = (0..<4096).map { k in
            let s = Int(rnd() % UInt64(n))
            mids[s] *= 1 + (Double(rnd() % 2001) / 1000 - 1) * 0.002
            let c = UInt32(mids[s] * 10_000), half = UInt32(50 + rnd() % 100)
            var u = MarketUpdate()
            u.locate = StockLocate(UInt16(s + 1))
            u.changes = [.bestBidOffer]
            u.bestBid = BookQuote(price: Price(c - half), qty: 100 + rnd() % 900)
            u.bestAsk = BookQuote(price: Price(c + half), qty: 100 + rnd() % 900)
            u.bids[0] = DepthLevel(price: u.bestBid.price, qty: u.bestBid.qty, orderCount: 1)
            u.asks[0] = DepthLevel(price: u.bestAsk.price, qty: u.bestAsk.qty, orderCount: 1)
            u.bidCount = 1; u.askCount = 1
            let b = Int64(u.bestBid.qty), a = Int64(u.bestAsk.qty)
            u.imbalanceBasisPoints = Int16((b - a) * 10_000 / (b + a))
            if k % 3 == 0 {
                u.changes.insert(.trade)
                u.lastTrade = TradeEvent(price: Price(c), qty: 1 + rnd() % 200, restingSide: .buy, kind: .execution,
                                         matchNumber: MatchNumber(UInt64(k)), orderRef: OrderRef(UInt64(k)), printable: true)
            }
            return u
        }
        for _ in 0..<20_000 { step() }  // warm: indicators full, positions open
    }

    /// One market update and the fills of whatever it sent.
    @inline(__always)
    func step() {
        var u = updates[next]
        next = (next + 1) & 4095
        time &+= 20_000
        u.exchangeTime = Timestamp(time)
        desk.onMarket(u)
        var k = 0
        while k < desk.orderCount {
            let o = desk.order(k)
            k += 1
            desk.onFill(Fill(order: o.id, symbol: o.symbol, direction: o.direction, quantity: o.quantity,
                             priceTicks: o.limitTicks, time: time &+ 1))
            // A fill step may send the next child; it is filled on the next market step.
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 1_000,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 2_000_000
    )

    let fixture = DeskFixture()
    Benchmark("Desk.onMarket.7analysts.20symbols") { benchmark in
        for _ in benchmark.scaledIterations { fixture.step() }
        blackHole(fixture.desk.counters.steps)
    }

    // 1000 steps per iteration: the harness's per-iteration clock and statistics cost is
    // amortised, so wall clock / 1000 is the per-event cost (throughput is per step).
    let fixtureBatch = DeskFixture()
    Benchmark("Desk.onMarket.7analysts.20symbols.x1000",
              configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 10_000)) { benchmark in
        for _ in benchmark.scaledIterations { fixtureBatch.step() }
        blackHole(fixtureBatch.desk.counters.steps)
    }

    nonisolated(unsafe) var macd = MACD(), rsi = RSI(), bands = RollingMoments(window: 20)
    nonisolated(unsafe) var vwap = RollingVWAP(window: 20), extremes = RollingExtremes(window: 20)
    nonisolated(unsafe) var x = 100.0
    Benchmark("Indicators.allFive.update") { benchmark in
        for _ in benchmark.scaledIterations {
            x = x * 1.0001 + (x > 101 ? -0.02 : 0.01)
            macd.update(x); rsi.update(x); bands.update(x)
            vwap.update(priceTicks: Int64(x * 10_000), quantity: 100); extremes.update(x)
        }
        blackHole(macd.histogram + rsi.value + bands.mean + vwap.value + extremes.high)
    }
}
