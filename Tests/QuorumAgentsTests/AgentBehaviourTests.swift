import Testing
@testable import QuorumAgents
import QuorumBook
import QuorumRisk
import QuorumWire

/// Drives one agent directly with mids at 1 µs steps.
func drive<A: Agent>(_ agent: A, mids: [Double], symbol: Int = 0, spreadTicks: UInt32 = 2,
                     trades: Bool = false, bidQty: UInt64 = 500, askQty: UInt64 = 500) -> [Signal] {
    let out = AgentOutput(capacity: 16)
    var got: [Signal] = []
    for (k, m) in mids.enumerated() {
        let c = UInt32(m * 10_000)
        var u = quote(UInt16(symbol + 1), t: UInt64(k + 1) * 1_000, bid: c - spreadTicks / 2, ask: c + spreadTicks / 2,
                      bidQty: bidQty, askQty: askQty)
        if trades {
            u.changes.insert(.trade)
            u.lastTrade = TradeEvent(price: Price(c), qty: 100, restingSide: .buy, kind: .execution,
                                     matchNumber: MatchNumber(UInt64(k)), orderRef: OrderRef(UInt64(k)), printable: true)
        }
        out.reset()
        let mid = Microprice.mid(bid: u.bestBid, ask: u.bestAsk)
        agent.onMarket(u, AgentContext(time: UInt64(k + 1) * 1_000, symbol: SymbolID(symbol), mid: mid, regime: .calm, position: 0),
                       into: out)
        for i in 0..<out.signalCount { got.append(out.signal(i)) }
    }
    return got
}

@Suite("Analysts and specialists behave as their rules say")
struct AgentBehaviourTests {
    var p: AnalystParameters {
        var p = AnalystParameters()
        p.fast = 3; p.slow = 6; p.signal = 3; p.period = 5; p.window = 5; p.threshold = 0.0005
        return p
    }

    @Test("trend analyst goes long in a rally and short in a sell-off, once per change")
    func trend() {
        let a = Analyst<TrendStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        let up = (0..<20).map { 100 * (1 + 0.002 * Double($0)) }
        let down = (0..<20).map { up.last! * (1 - 0.004 * Double($0 + 1)) }
        let s = drive(a, mids: up + down)
        #expect(s.first?.direction == .long && s.first?.pattern == .trend)
        #expect(s.contains { $0.direction == .short })
        for k in 1..<s.count { #expect(s[k].direction != s[k - 1].direction) }  // emits on change only
        #expect(s.allSatisfy { $0.confidence >= 0 && $0.confidence <= 1 && $0.agent == AgentID(0) })
    }

    @Test("RSI analyst: short after a run of gains, long after a run of losses")
    func rsi() {
        let a = Analyst<RSIStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        let up = (0..<10).map { 100 + Double($0) * 0.1 }
        let s1 = drive(a, mids: up)
        #expect(s1.map(\.direction) == [.short])
        let b = Analyst<RSIStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        #expect(drive(b, mids: up.reversed()).map(\.direction) == [.long])
    }

    @Test("Bollinger analyst fades a 3σ drop and lets go at the mean")
    func bollinger() {
        let a = Analyst<BollingerStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        let base = [100.0, 100.02, 99.98, 100.01, 99.99, 100, 100.02, 99.98]
        let s = drive(a, mids: base + [99.5, 99.6, 100.05])
        #expect(s.map(\.direction) == [.long, .flat])
        #expect(s[0].expectedReturn > 0)
    }

    @Test("VWAP analyst buys below VWAP and sells above it")
    func vwap() {
        let a = Analyst<VWAPStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        let s = drive(a, mids: Array(repeating: 100, count: 6) + [99.8], trades: true)
        // The 99.8 trade enters the VWAP too: (5·100 + 99.8)/6 − 99.8 still > 0.05%.
        #expect(s.map(\.direction) == [.long])
        let b = Analyst<VWAPStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        #expect(drive(b, mids: Array(repeating: 100, count: 6) + [100.2], trades: true).map(\.direction) == [.short])
    }

    @Test("imbalance analyst follows heavy bids with the microprice above the mid, and not without")
    func imbalance() {
        let a = Analyst<ImbalanceStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        let s = drive(a, mids: [100], spreadTicks: 100, bidQty: 900, askQty: 100)
        #expect(s.count == 1 && s[0].direction == .long && close(s[0].confidence, 0.8))
        let b = Analyst<ImbalanceStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        #expect(drive(b, mids: [100], spreadTicks: 100, bidQty: 550, askQty: 450).isEmpty)
        let c = Analyst<ImbalanceStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        #expect(drive(c, mids: [100], spreadTicks: 100, bidQty: 100, askQty: 900).map(\.direction) == [.short])
    }

    @Test("breakout analyst: long through the window high, short through the low, nothing inside")
    func breakout() {
        let a = Analyst<BreakoutStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        let range = [100.0, 100.1, 99.9, 100.05, 99.95, 100.0]
        #expect(drive(a, mids: range).isEmpty)
        let b = Analyst<BreakoutStrategy>(id: AgentID(0), symbolCount: 1, parameters: p)
        #expect(drive(b, mids: range + [100.3, 100.2, 99.5]).map(\.direction) == [.long, .short])
    }

    @Test("regime agent: calm → volatile on wild returns, back to calm only below the exit band")
    func regime() {
        var rp = RegimeParameters()
        rp.warmup = 3; rp.lambda = 0.5; rp.volatileEnter = 0.005; rp.volatileExit = 0.002; rp.trendEnter = 10
        let agent = RegimeAgent(id: AgentID(7), symbolCount: 1, parameters: rp)
        let out = AgentOutput()
        var seen: [Regime] = []
        var m = 100.0
        let moves = [0.0001, -0.0001, 0.0001, 0.0001, 0.02, -0.02, 0.02, 0.001, 0.001, 0.001, 0.0, 0.0, 0.0, 0.0, 0.0]
        for (k, r) in moves.enumerated() {
            m *= 1 + r
            out.reset()
            agent.onMarket(MarketUpdate(), AgentContext(time: UInt64(k), symbol: SymbolID(0), mid: m, regime: .calm, position: 0), into: out)
            for i in 0..<out.observationCount { seen.append(out.observation(i).regime) }
        }
        #expect(seen == [.volatile, .calm])
        #expect(agent.regime(SymbolID(0)) == .calm)
    }

    @Test("execution schedules: immediate crosses, passive rests, TWAP slices by time, VWAP by profile, POV by volume")
    func schedules() {
        var ep = ExecutionParameters()
        ep.durationNanos = 1_000; ep.slices = 4; ep.participation = 0.5
        ep.profile = [1, 3]
        let ex = ExecutionAgent(id: AgentID(3), symbolCount: 1, parameters: ep)
        let s = SymbolID(0)
        let bid = BookQuote(price: Price(1_000_000), qty: 10), ask = BookQuote(price: Price(1_000_200), qty: 10)
        func child(_ t: UInt64) -> ChildOrder? { ex.nextChild(s, bid: bid, ask: ask, time: t) }
        func fillAll(_ c: ChildOrder, at px: Int64) {
            ex.sent(c)
            _ = ex.onFill(Fill(order: c.id, symbol: s, direction: c.direction, quantity: c.quantity, priceTicks: px, time: c.time))
        }

        ex.replan(s, target: 100, position: 0, mid: 100.01, time: 0, style: .immediate)
        let im = child(0)!
        #expect(im.quantity == 100 && im.direction == .long && im.limitTicks == 1_000_200)
        ex.sent(im)
        #expect(child(1) == nil)                          // one working child at a time
        _ = ex.onFill(Fill(order: im.id, symbol: s, direction: .long, quantity: 40, priceTicks: 1_000_200, time: 2))
        #expect(ex.working(s) == 60)
        ex.onOrderClosed(s, id: im.id, unfilled: 60)
        #expect(child(3)?.quantity == 60)                 // re-sent after the cancel
        // Shortfall: bought 40 at 100.02 against an arrival mid of 100.01.
        #expect(close(ex.plan(s).shortfall, 0.4))

        ex.replan(s, target: -30, position: 0, mid: 100.01, time: 10, style: .passive)
        let ps = child(10)!
        #expect(ps.direction == .short && ps.quantity == 30 && ps.limitTicks == 1_000_200)  // rests on the ask

        ex.replan(s, target: 100, position: 0, mid: 100.01, time: 0, style: .twap)
        var got: [Int64] = []
        for t: UInt64 in [0, 100, 250, 260, 500, 750, 999] {
            if let c = child(t) { got.append(c.quantity); fillAll(c, at: 1_000_100) }
        }
        #expect(got == [25, 25, 25, 25])
        #expect(!ex.plan(s).active)

        ex.replan(s, target: 100, position: 0, mid: 100.01, time: 0, style: .vwap)
        got = []
        for t: UInt64 in [0, 499, 500] { if let c = child(t) { got.append(c.quantity); fillAll(c, at: 1_000_100) } }
        #expect(got == [25, 75])

        ex.replan(s, target: -100, position: 0, mid: 100.01, time: 0, style: .pov)
        #expect(child(0) == nil)                          // nothing traded yet
        var u = MarketUpdate()
        u.changes = [.trade]
        u.lastTrade = TradeEvent(price: Price(1_000_000), qty: 60, restingSide: .buy, kind: .execution,
                                 matchNumber: MatchNumber(1), orderRef: OrderRef(1), printable: true)
        ex.onMarket(u, s)
        #expect(child(5)?.quantity == 30)                 // 50% of 60
        #expect(child(5)?.direction == .short)
    }

    @Test("team lead: halts do not force selling, cuts scale, the budget is shared equally")
    func teamLead() {
        let l = TeamLead(id: AgentID(9), team: TeamID(0), grossBudget: 20_000, symbolCount: 2)
        #expect(l.adjust(500, position: 0, mid: 10) == 500)
        #expect(l.adjust(5_000, position: 0, mid: 10) == 1_000)   // 20 000 / 2 / 10
        l.apply(Directive(kind: .cutExposure, fraction: 0.3))
        #expect(l.adjust(500, position: 0, mid: 10) == 350)
        l.apply(Directive(kind: .haltLongs))
        #expect(l.adjust(500, position: 200, mid: 10) == 200)
        #expect(l.adjust(100, position: 200, mid: 10) == 70)      // reducing is allowed
        #expect(l.adjust(-500, position: 200, mid: 10) == -350)   // shorts are not halted
        l.apply(Directive(kind: .flatten))
        #expect(l.adjust(500, position: 200, mid: 10) == 0)
        l.apply(Directive(kind: .resume))
        #expect(l.adjust(500, position: 0, mid: 10) == 500)
    }

    @Test("portfolio: volatility targeting scales with score and 1/σ, caps notional, rounds to lots")
    func portfolio() {
        var pp = PortfolioParameters()
        pp.riskBudget = 100; pp.maxNotional = 50_000; pp.lot = 10
        let p = PortfolioAgent(id: AgentID(2), parameters: pp)
        #expect(p.target(direction: .long, score: 1, expectedReturn: 0, mid: 100, volatility: 0.01) == 100)  // 10 000 → 100
        #expect(p.target(direction: .short, score: 0.5, expectedReturn: 0, mid: 100, volatility: 0.01) == -50)
        #expect(p.target(direction: .long, score: 1, expectedReturn: 0, mid: 100, volatility: 0.0001) == 500)  // capped 50 000
        #expect(p.target(direction: .long, score: 1, expectedReturn: 0, mid: 33, volatility: 0.01) == 300)     // 303 → 300
        #expect(p.target(direction: .flat, score: 1, expectedReturn: 0, mid: 100, volatility: 0.01) == 0)
    }

    @Test("portfolio: mean-variance takes off the risk correlated positions already carry, never past flat")
    func portfolioMeanVariance() {
        var pp = PortfolioParameters()
        pp.sizing = .meanVariance; pp.riskBudget = 100_000; pp.riskAversion = 2; pp.maxNotional = 1e9
        let p = PortfolioAgent(id: AgentID(2), parameters: pp)
        // |μ|/(γσ²)·budget/100 = 0.001/(2·0.0001)·1000 = 5000 currency = 500 at mid 10.
        func t(_ d: Direction, _ correlated: Double) -> Int64 {
            p.target(direction: d, score: 1, expectedReturn: 0.001, mid: 10, volatility: 0.01, correlated: correlated)
        }
        #expect(t(.long, 0) == 500 && t(.short, 0) == -500)
        #expect(t(.long, 2_000) == 300)    // a correlated long book already carries 2000 of it
        #expect(t(.long, -2_000) == 700)   // an anti-correlated one hedges: room for more
        #expect(t(.short, 2_000) == -700)  // a short here hedges the correlated long book
        #expect(t(.long, 6_000) == 0)      // more than the optimum already: flat, not a flip
    }

    @Test("desk: the correlated notional is Σ_ij/Σ_ii·w_j over the other positions, from the risk engine's EWMA covariance")
    func correlatedNotionalFollowsTheCovariance() throws {
        for together in [true, false] {
            let t = try makeDesk(symbols: 3, analysts: [scripted("a")]) { $0.portfolio.sizing = .meanVariance }
            let desk = t.desk
            var mids: [Double] = [100, 50, 80]
            var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
            for k in 1...80 {
                rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let r = (Double(rng >> 11) / Double(1 << 53) - 0.5) * 0.004
                mids[0] *= 1 + r
                mids[1] *= together ? 1 + 0.5 * r : 1 - 0.5 * r
                let noise = (Double((rng >> 20) & 0xFFFF) / 65_536 - 0.5) * 0.002
                mids[2] *= 1 + noise
                // The risk clock samples at the first update of each second: the unrelated
                // symbol's, so symbols 0 and 1 always enter a sample from the same second.
                for s in [2, 0, 1] {
                    let ticks = UInt32((mids[s] * 10_000).rounded())
                    desk.onMarket(quote(UInt16(s + 1), t: UInt64(k) * 1_000_000_000, bid: ticks - 50, ask: ticks + 50))
                }
            }
            #expect(desk.correlatedNotional(1) == 0)  // no positions yet
            desk.onFill(Fill(order: 1, symbol: SymbolID(0), direction: .long, quantity: 100,
                             priceTicks: Int64((mids[0] * 10_000).rounded()), time: 81_000_000_000))
            let cov = desk.covariance
            try #require(cov.covariance(1, 1) > 0)
            let expected = cov.covariance(1, 0) / cov.covariance(1, 1) * 100 * desk.mid[0]
            #expect(abs(desk.correlatedNotional(1) - expected) <= 1e-9 * abs(expected))
            // Symbol 1 moves with (or against) symbol 0 at half its size: β = Σ₁₀/Σ₁₁ ≈ ±2.
            #expect(together ? expected > 10_000 : expected < -10_000, "β·w = \(expected)")
            #expect(desk.correlatedNotional(0) == 0)  // its own position is not a hedge of itself
        }
    }
}
