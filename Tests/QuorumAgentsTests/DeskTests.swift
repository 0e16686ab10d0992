import Testing
@testable import QuorumAgents
import QuorumBook
import QuorumRisk

@Suite("Desk: every coordination mechanism changes what the desk does")
struct DeskTests {
    /// Two analysts in one event: A long 0.6 first, then B short at `bConf`.
    func opposite(policy: ConflictPolicy, bConf: Double, aWeight: Double = 1, bWeight: Double = 1) throws -> Desk {
        let t = try makeDesk(analysts: [scripted("a", weight: aWeight), scripted("b", weight: bWeight)]) {
            $0.conflictPolicy = policy
        }
        t.scripted[0].queued = [(.long, 0.6)]
        t.scripted[1].queued = [(.short, bConf)]
        t.desk.onMarket(quote(t: 1_000))
        return t.desk
    }

    @Test("first mover: the incumbent long stands against a far more confident short")
    func firstMover() throws {
        let d = try opposite(policy: .firstMover, bConf: 1.0)
        let c = d.recorded(.conflict)
        #expect(c.count == 1 && c[0].agent == AgentID(0) && c[0].other == AgentID(1) && c[0].quantity == 0)
        #expect(c[0].direction == .long && c[0].detail == ConflictPolicy.firstMover.rawValue)
        #expect(d.stepOrders.count == 1 && d.stepOrders[0].direction == .long)
        #expect(d.conflicts.conflicts == 1 && d.conflicts.incumbentWins == 1)
        #expect(d.consensus.vote(SymbolID(0), AgentID(1)).overruled)
    }

    @Test("confidence-weighted: 0.79 does not override 0.6 (margin 0.2), 0.8 does and the desk goes short")
    func confidenceWeighted() throws {
        let keep = try opposite(policy: .confidenceWeighted, bConf: 0.79)
        #expect(keep.recorded(.conflict).first?.quantity == 0)
        #expect(keep.stepOrders.map(\.direction) == [.long])
        let flip = try opposite(policy: .confidenceWeighted, bConf: 0.8)
        let c = flip.recorded(.conflict)
        #expect(c.count == 1 && c[0].quantity == 1 && c[0].direction == .short)
        #expect(flip.stepOrders.map(\.direction) == [.short])
        #expect(flip.consensus.stance(SymbolID(0)).owner == AgentID(1))
        #expect(flip.consensus.vote(SymbolID(0), AgentID(0)).overruled)
    }

    @Test("supervisor arbitration: the better track record wins, whatever the order")
    func supervisor() throws {
        let a = try opposite(policy: .supervisorArbitration, bConf: 0.7, aWeight: 2)   // 1.2 vs 0.7
        #expect(a.stepOrders.map(\.direction) == [.long])
        let b = try opposite(policy: .supervisorArbitration, bConf: 0.5, bWeight: 1.5)  // 0.6 vs 0.75
        #expect(b.stepOrders.map(\.direction) == [.short])
        #expect(b.recorded(.conflict).first?.detail == ConflictPolicy.supervisorArbitration.rawValue)
    }

    @Test("a risk veto blocks an order consensus approved; without the limit the same order goes out")
    func riskVeto() throws {
        var limits = RiskLimits.unlimited(instruments: 1)
        limits.maxPosition = [0]
        let t = try makeDesk(analysts: [scripted("a")], limits: limits)
        t.scripted[0].queued = [(.long, 0.8)]
        t.desk.onMarket(quote(t: 1_000))
        let dec = t.desk.recorded(.decision)
        #expect(dec.count == 1 && dec[0].detail == 1 && dec[0].direction == .long)   // approved
        let veto = t.desk.recorded(.veto)
        #expect(veto.count == 1 && veto[0].detail == RiskReason.position.rawValue && veto[0].direction == .long)
        #expect(t.desk.orderCount == 0 && t.desk.counters.vetoes == 1 && t.desk.risk.vetoes == 1)
        #expect(t.desk.target(SymbolID(0)) > 0)

        let control = try makeDesk(analysts: [scripted("a")])
        control.scripted[0].queued = [(.long, 0.8)]
        control.desk.onMarket(quote(t: 1_000))
        #expect(control.desk.orderCount == 1 && control.desk.recorded(.veto).isEmpty)
        // 0.4·0.8 + 0.3 + 0.2·½ (σ unknown) + 0.1 = 0.82 → 100/0.001·0.82 = 82 000 → 819 at 100.005
        #expect(control.desk.stepOrders[0].quantity == 819)
        #expect(control.desk.stepOrders[0].limitTicks == 1_000_100)
    }

    /// Opens 699 long (score 0.7), fully filled, then raises the analyst's confidence to 1
    /// (score 0.9 → 899: beyond the 10% rebalance threshold).
    func longThenStronger(halt: Bool) throws -> Desk {
        let t = try makeDesk(analysts: [scripted("a")])
        let d = t.desk
        t.scripted[0].queued = [(.long, 0.5)]
        d.onMarket(quote(t: 1_000))
        _ = d.fillAll(at: 1_500)
        #expect(d.position(SymbolID(0)) == 699)
        if halt { d.apply(Directive(kind: .haltLongs, time: 1_800)) }
        t.scripted[0].queued = [(.long, 1.0)]
        d.onMarket(quote(t: 2_000))
        return d
    }

    @Test("supervisor 'halt longs' stops a new long within one event; without it the desk adds")
    func haltLongs() throws {
        let free = try longThenStronger(halt: false)
        #expect(free.stepOrders.count == 1 && free.stepOrders[0].direction == .long && free.stepOrders[0].quantity == 200)
        let halted = try longThenStronger(halt: true)
        #expect(halted.orderCount == 0)
        #expect(halted.target(SymbolID(0)) == 699)       // keeps what it holds, cannot grow
        #expect(halted.counters.directives == 1)
        #expect(halted.teamLeads[0].haltLongs)
    }

    @Test("an agent emitting NaN is quarantined after N events and its backup takes over")
    func quarantine() throws {
        let t = try makeDesk(analysts: [scripted("bad"), scripted("backup", backupFor: 0)]) { $0.strikeLimit = 3 }
        let bad = t.scripted[0], backup = t.scripted[1]
        bad.emitNaN = true
        backup.queued = [(.long, 0.9)]
        for k in 1...2 {
            t.desk.onMarket(quote(t: UInt64(k) * 1_000))
            let inv = t.desk.recorded(.invalidOutput)
            #expect(inv.count == 1 && inv[0].detail == InvalidOutput.nonFiniteConfidence.rawValue && inv[0].quantity == Int64(k))
            #expect(t.desk.recorded(.quarantine).isEmpty)
        }
        #expect(backup.calls == 0)
        t.desk.onMarket(quote(t: 3_000))
        let q = t.desk.recorded(.quarantine)
        #expect(q.count == 1 && q[0].agent == AgentID(0) && q[0].other == AgentID(1))
        #expect(t.desk.isolation.isQuarantined(AgentID(0)))
        // The backup comes after its primary in the call order, so it takes over in the same event.
        #expect(backup.calls == 1)
        #expect(t.desk.recorded(.signal).first?.agent == AgentID(1))
        #expect(t.desk.stepOrders.map(\.direction) == [.long])
        t.desk.onMarket(quote(t: 4_000))
        #expect(bad.calls == 3)                           // never called again
        #expect(backup.calls == 2)
        #expect(t.desk.recorded(.invalidOutput).isEmpty)
        #expect(t.desk.mode == .normal)                   // the backup covers: not degraded
    }

    @Test("quarantining the only analyst without a backup moves the desk to emergency and cancels all")
    func quarantineEmergency() throws {
        let t = try makeDesk(analysts: [scripted("bad")]) { $0.strikeLimit = 1 }
        t.scripted[0].emitNaN = true
        t.desk.onMarket(quote(t: 1_000))
        #expect(t.desk.mode == .emergency)
        #expect(t.desk.cancelAllRequested)
        #expect(t.desk.recorded(.modeChange).first?.detail == EngineMode.emergency.rawValue)
        #expect(t.desk.recorded(.cancelAll).count == 1)
    }

    /// A long opened at 100.01 and closed at `exitTicks`; returns the desk and the analyst.
    func roundTrip(exitTicks: Int64) throws -> (Desk, ScriptedAnalyst) {
        let t = try makeDesk(analysts: [scripted("a")]) { $0.memoryMinTrades = 1 }
        let d = t.desk, a = t.scripted[0]
        a.queued = [(.long, 0.8)]
        d.onMarket(quote(t: 1_000))
        _ = d.fillAll(at: 1_500)
        a.queued = [(.flat, 0)]
        d.onMarket(quote(t: 2_000))
        #expect(d.target(SymbolID(0)) == 0)
        #expect(d.stepOrders.map(\.direction) == [.short])
        let recs = d.fillAll(at: 2_500, priceTicks: exitTicks)
        let out = recs.filter { $0.kind == .outcome }
        #expect(out.count == 1 && out[0].direction == .long && out[0].quantity == 1)
        #expect(close(out[0].value, Double(exitTicks) / 1_000_100 - 1))
        #expect(d.position(SymbolID(0)) == 0)
        return (d, a)
    }

    @Test("collective memory: a losing trade lowers the confidence of the same pattern's next signal")
    func memoryScalesConfidence() throws {
        let (d, a) = try roundTrip(exitTicks: 990_000)
        let cell = d.memory.cell(.trend, .calm)
        #expect(cell.losses == 1 && cell.wins == 0 && cell.contributors == 1)
        a.queued = [(.long, 0.8)]
        d.onMarket(quote(t: 3_000))
        let s = d.recorded(.signal)
        // p̂ = 1/3 → scale 2/3.
        #expect(s.count == 1 && close(s[0].value, 0.8 * 2 / 3))
        // Another pattern in the same regime is not affected.
        a.pattern = .rsi
        a.queued = [(.long, 0.8)]
        d.onMarket(quote(t: 4_000))
        #expect(d.recorded(.signal).first?.value == 0.8)
    }

    @Test("consensus performance weights move with realised outcomes, both ways")
    func weightsMove() throws {
        let (lost, _) = try roundTrip(exitTicks: 995_000)
        #expect(lost.consensus.performance(AgentID(0)) < 1)
        let (won, _) = try roundTrip(exitTicks: 1_005_000)
        #expect(won.consensus.performance(AgentID(0)) > 1)
        // −0.51% clamps against returnScale 1%: w = exp(0.25·r/0.01).
        let r = 995_000.0 / 1_000_100 - 1
        #expect(close(lost.consensus.performance(AgentID(0)), _exp(0.25 * r / 0.01), 1e-12))
    }

    @Test("an ask with a deadline times out without blocking: the step returns, the signal stays parked, then drops")
    func askTimesOut() throws {
        let t = try makeDesk(analysts: [scripted("a", asks: true)]) {
            $0.correlationAnswersPerStep = 0
            $0.askDeadlineNanos = 5_000
        }
        t.scripted[0].queued = [(.long, 0.8)]
        t.desk.onMarket(quote(t: 1_000))
        let q = t.desk.recorded(.question)
        #expect(q.count == 1 && q[0].time == 6_000 && q[0].other == t.desk.correlationID)
        #expect(t.desk.orderCount == 0 && t.desk.consensus.stance(SymbolID(0)).direction == .flat)
        t.desk.onMarket(quote(t: 6_000))                  // at the deadline: still pending
        #expect(t.desk.recorded(.timeout).isEmpty && t.desk.asks.pendingCount == 1)
        t.desk.onMarket(quote(t: 6_001))
        let to = t.desk.recorded(.timeout)
        #expect(to.count == 1 && to[0].id == q[0].id && to[0].agent == AgentID(0))
        #expect(t.desk.asks.pendingCount == 0 && t.desk.orderCount == 0)
        #expect(t.desk.consensus.stance(SymbolID(0)).direction == .flat)

        // With an answering correlation agent the same signal enters one event later.
        let ok = try makeDesk(analysts: [scripted("a", asks: true)])
        ok.scripted[0].queued = [(.long, 0.8)]
        ok.desk.onMarket(quote(t: 1_000))
        #expect(ok.desk.orderCount == 0)
        ok.desk.onMarket(quote(t: 2_000))
        let ans = ok.desk.recorded(.answer)
        #expect(ans.count == 1 && ans[0].value == 0)      // no exposure yet
        #expect(ok.desk.stepOrders.map(\.direction) == [.long])
    }

    @Test("unknown locates and bad fills are counted, not acted on")
    func adversarialInputs() throws {
        let t = try makeDesk(analysts: [scripted("a")])
        t.desk.onMarket(quote(77, t: 1_000))
        #expect(t.desk.counters.unknownSymbolUpdates == 1 && t.desk.records.count == 0)
        t.desk.onFill(Fill(order: 1, symbol: SymbolID(5), direction: .long, quantity: 1, priceTicks: 1, time: 2))
        t.desk.onFill(Fill(order: 1, symbol: SymbolID(0), direction: .long, quantity: 0, priceTicks: 1, time: 3))
        t.desk.onFill(Fill(order: 1, symbol: SymbolID(0), direction: .flat, quantity: 3, priceTicks: 1, time: 4))
        #expect(t.desk.counters.rejectedInputs == 3 && t.desk.position(SymbolID(0)) == 0)
        // A signal for a symbol the desk does not have is invalid output.
        final class Stray: Agent {
            let id: AgentID; var role: Role { .analyst }
            init(id: AgentID) { self.id = id }
            func onMarket(_ u: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
                out.emit(Signal(symbol: SymbolID(9), direction: .long, confidence: 0.5, expectedReturn: 0.01,
                                horizonNanos: 1, pattern: .trend, agent: id, time: c.time))
                out.emit(Signal(symbol: c.symbol, direction: .long, confidence: 1.5, expectedReturn: 0.01,
                                horizonNanos: 1, pattern: .trend, agent: id, time: c.time))
                out.emit(Signal(symbol: c.symbol, direction: .short, confidence: 0.5, expectedReturn: 0.01,
                                horizonNanos: 1, pattern: .trend, agent: id, time: c.time))
            }
        }
        let rc = try RiskConfig(instrumentCapacity: 1)
        let engine = try RiskEngine(config: rc, capital: 1e6, sectors: [0], teams: [0], limits: .unlimited(instruments: 1))
        let d = try Desk(config: DeskConfig(symbols: [DeskSymbol(locate: 1)], analysts: [AnalystConfig(name: "s", kind: .custom)]),
                         engine: engine) { id, _ in Stray(id: id) }
        d.onMarket(quote(t: 1_000))
        #expect(d.counters.invalidMessages == 3 && d.counters.signals == 0)
        #expect(d.isolation.invalidStrikes(AgentID(0)) == 1)   // one event, one strike
    }

    @Test("config errors name the field")
    func configErrors() throws {
        let rc = try RiskConfig(instrumentCapacity: 1)
        let engine = try RiskEngine(config: rc, capital: 1e6, sectors: [0], teams: [0], limits: .unlimited(instruments: 1))
        var cfg = DeskConfig(symbols: [DeskSymbol(locate: 1)], analysts: [AnalystConfig(name: "t", kind: .trend, symbols: [3])])
        #expect(throws: DeskConfigError.invalid(field: "desk.analysts[0].symbols", value: "3", reason: "no such symbol index")) {
            _ = try Desk(config: cfg, engine: engine)
        }
        cfg = DeskConfig(symbols: [DeskSymbol(locate: 1), DeskSymbol(locate: 2)], analysts: [])
        #expect(throws: DeskConfigError.self) { _ = try Desk(config: cfg, engine: engine) }
        cfg = DeskConfig(symbols: [DeskSymbol(locate: 1)], analysts: [AnalystConfig(name: "c", kind: .custom)])
        #expect(throws: DeskConfigError.self) { _ = try Desk(config: cfg, engine: engine) }
    }
}
