import Testing
@testable import QuorumAgents
import QuorumBook
import QuorumRisk
import QuorumWire
#if canImport(Glibc)
import Glibc
#endif

/// A synthetic feed: `symbols` random walks whose volatility switches between calm and
/// wild stretches, with spreads, book imbalance and trades, all from one seed.
struct SyntheticFeed {
    var rng: TestRandom
    var mids: [Double]
    var time: UInt64 = 34_200_000_000_000   // 09:30
    var wild = false
    init(symbols: Int, seed: UInt64) {
        rng = TestRandom(seed: seed)
        mids = (0..<symbols).map { 50 + 25 * Double($0) }
    }

    mutating func next(_ k: Int) -> MarketUpdate {
        if k % 5_000 == 0 { wild = rng.unit() < 0.3 }
        let s = Int(rng.next() % UInt64(mids.count))
        time += 1_000 + rng.next() % 50_000
        let vol = wild ? 0.004 : 0.0004
        let drift = (k / 20_000) % 2 == 0 ? 0.00005 : -0.00005
        mids[s] *= 1 + drift + (rng.unit() - 0.5) * 2 * vol
        mids[s] = max(1, mids[s])
        let spreadTicks = UInt32(100 + rng.next() % 300)
        let midTicks = UInt32(mids[s] * 10_000)
        var u = quote(UInt16(s + 1), t: time, bid: midTicks - spreadTicks / 2, ask: midTicks + spreadTicks / 2,
                      bidQty: 100 + rng.next() % 900, askQty: 100 + rng.next() % 900)
        if rng.unit() < 0.3 {
            u.changes.insert(.trade)
            u.lastTrade = TradeEvent(price: Price(midTicks), qty: 1 + rng.next() % 300, restingSide: .buy, kind: .execution,
                                     matchNumber: MatchNumber(UInt64(k)), orderRef: OrderRef(UInt64(k)), printable: true)
        }
        return u
    }
}

@Suite("Determinism: the same inputs give the same records, bit for bit")
struct DeterminismTests {
    static let analysts: [AnalystConfig] = {
        var fast = AnalystParameters()
        fast.fast = 5; fast.slow = 13; fast.signal = 4; fast.window = 12; fast.horizonNanos = 5_000_000
        fast.threshold = 0.0004
        return [
            AnalystConfig(name: "trend", kind: .trend, team: 0, parameters: fast),
            AnalystConfig(name: "rsi", kind: .rsi, symbols: [0, 1, 2], team: 0, parameters: fast),
            AnalystConfig(name: "bollinger", kind: .bollinger, team: 1, parameters: fast, asksCorrelation: true),
            AnalystConfig(name: "vwap", kind: .vwap, team: 1, parameters: fast),
            AnalystConfig(name: "imbalance", kind: .imbalance, symbols: [1, 3], team: 1, parameters: fast),
            AnalystConfig(name: "breakout", kind: .breakout, team: 0, parameters: fast),
            AnalystConfig(name: "trend-backup", kind: .trend, team: 0, parameters: fast, backupFor: 0),
        ]
    }()

    /// Runs `events` updates through a fresh desk, filling every order in full at its limit
    /// (each fill its own step) and applying a few operator directives; returns the FNV-1a
    /// hash of every record emitted, the record count and the counters.
    static func run(events: Int, policy: ConflictPolicy = .confidenceWeighted, stopwatch: (() -> UInt64)? = nil,
                    timed: ((Desk, MarketUpdate) -> Void)? = nil) throws -> (UInt64, Int, DeskCounters, Desk) {
        let n = 4
        let rc = try RiskConfig(instrumentCapacity: n, lambda: 0.97)
        // The correlation breaker is off: with a handful of return vectors every EWMA
        // correlation is ±1, so it trips (and latches) in the first clock ticks.
        var breakers = BreakerConfig()
        breakers.correlationDegraded = .infinity
        let engine = try RiskEngine(config: rc, capital: 1_000_000, sectors: [0, 0, 1, 1], teams: [0, 0, 1, 1],
                                    limits: .unlimited(instruments: n, sectors: 2, teams: 2), breakers: breakers)
        var cfg = DeskConfig(symbols: (0..<n).map { DeskSymbol(locate: UInt16($0 + 1), team: $0 < 2 ? 0 : 1) },
                             teams: [TeamConfig(name: "macro"), TeamConfig(name: "alts", grossBudget: 150_000)],
                             analysts: analysts)
        cfg.conflictPolicy = policy
        cfg.riskClockNanos = 1_000_000
        cfg.regime.volatileEnter = 0.0015; cfg.regime.volatileExit = 0.001
        cfg.execution.style = .twap
        cfg.execution.durationNanos = 2_000_000
        cfg.execution.slices = 4
        cfg.memoryMinTrades = 5
        let desk = try Desk(config: cfg, engine: engine)
        if let stopwatch {
            desk.stopwatch = stopwatch
            desk.timingEvery = 4
        }
        var feed = SyntheticFeed(symbols: n, seed: 0xC0FFEE)
        var h = DeskRecord.fnvOffset
        var count = 0
        func absorb() {
            for r in desk.records.records { r.fnv1a(&h); }
            count += desk.records.count
        }
        for k in 0..<events {
            let u = feed.next(k)
            switch k {
            case events / 2: desk.apply(Directive(kind: .cutExposure, team: TeamID(1), fraction: 0.3, time: u.exchangeTime.rawValue)); absorb()
            case events * 7 / 10: desk.apply(Directive(kind: .haltShorts, time: u.exchangeTime.rawValue)); absorb()
            case events * 9 / 10: desk.apply(Directive(kind: .resume, time: u.exchangeTime.rawValue)); absorb()
            default: break
            }
            desk.onMarket(u)
            timed?(desk, u)
            absorb()
            // Fill what each step sends, including children sent in fill steps.
            var pending = desk.stepOrders
            while !pending.isEmpty {
                var next: [ChildOrder] = []
                for o in pending {
                    desk.onFill(Fill(order: o.id, symbol: o.symbol, direction: o.direction, quantity: o.quantity,
                                     priceTicks: o.limitTicks, time: u.exchangeTime.rawValue + 500))
                    absorb()
                    next += desk.stepOrders
                }
                pending = next
            }
        }
        return (h, count, desk.counters, desk)
    }

    @Test("a 100k-event stream through the full desk twice gives identical record hashes and counters")
    func twice() throws {
        let a = try Self.run(events: 100_000)
        let b = try Self.run(events: 100_000)
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
        #expect(a.2 == b.2)
        // Not vacuous: the run exercised the pipeline end to end.
        let c = a.2
        #expect(c.marketUpdates == 100_000)
        #expect(c.signals > 1_000)
        #expect(c.childOrders > 100)
        #expect(c.outcomes > 100)
        #expect(c.fills == c.childOrders)
        #expect(c.directives >= 3)
        #expect(a.3.conflicts.conflicts > 0)
        #expect(a.3.asks.asked > 0 && a.3.asks.answered > 0)
        #expect(a.3.regime.changes > 0)
        #expect(a.3.memory.recorded > 0)
        #expect(a.3.records.dropped == 0)
        print("determinism run: records \(a.1) hash \(String(a.0, radix: 16)) counters \(c) conflicts \(a.3.conflicts.conflicts) asks \(a.3.asks.asked)/\(a.3.asks.answered)/\(a.3.asks.timedOut) regime changes \(a.3.regime.changes) shortfall \(a.3.execution.totalShortfall)")
    }

    @Test("timing the analysts (live runs) changes nothing the desk emits; it times one update in timingEvery")
    func timingIsObservationOnly() throws {
        func monotonicNanos() -> UInt64 {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }
        var timedSteps = 0
        var timedCalls = 0
        var foreign = 0
        let plain = try Self.run(events: 20_000)
        let timed = try Self.run(events: 20_000, stopwatch: monotonicNanos) { desk, u in
            guard !desk.timedCalls.isEmpty else { return }
            timedSteps += 1
            timedCalls += desk.timedCalls.count
            // Every timed call is an analyst covering the update's symbol.
            let s = Int(u.locate.rawValue) - 1
            let covering = Set((desk.coverStart[s]..<desk.coverStart[s + 1]).map { Int(desk.coverList[$0]) })
            for (a, _) in desk.timedCalls where !covering.contains(a.index) { foreign += 1 }
        }
        #expect(timed.0 == plain.0 && timed.1 == plain.1 && timed.2 == plain.2)
        #expect(timedSteps == 20_000 / 4)
        #expect(timedCalls > timedSteps && foreign == 0)
    }

    @Test("a different conflict policy changes the record stream (the hash sees the mechanism)")
    func policyMatters() throws {
        let a = try Self.run(events: 20_000, policy: .confidenceWeighted)
        let b = try Self.run(events: 20_000, policy: .firstMover)
        #expect(a.3.conflicts.conflicts > 0)
        #expect(a.0 != b.0)
    }
}
