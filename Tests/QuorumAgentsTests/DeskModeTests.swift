import Testing
@testable import QuorumAgents
import QuorumBook
import QuorumRisk

@Suite("Desk modes, directives and the scratchpad")
struct DeskModeTests {
    @Test("the risk gate resizes an order to the largest passing quantity and the desk sends that")
    func resize() throws {
        var limits = RiskLimits.unlimited(instruments: 1)
        limits.maxOrderQuantity = 300
        let t = try makeDesk(analysts: [scripted("a")], limits: limits)
        t.scripted[0].queued = [(.long, 0.8)]
        t.desk.onMarket(quote(t: 1_000))
        let r = t.desk.recorded(.resize)
        #expect(r.count == 1 && r[0].quantity == 300 && r[0].value == 819 && r[0].detail == RiskReason.orderQuantity.rawValue)
        #expect(t.desk.stepOrders.map(\.quantity) == [300])
        // The schedule sends the rest after the fill.
        _ = t.desk.fillAll(at: 1_500)
        #expect(t.desk.stepOrders.map(\.quantity) == [300])
    }

    /// A desk holding 819 long on symbol 0.
    func holding(_ tweak: (inout DeskConfig) -> Void = { _ in }) throws -> TestDesk {
        let t = try makeDesk(analysts: [scripted("a"), scripted("b")], tweak)
        t.scripted[0].queued = [(.long, 0.8)]
        t.desk.onMarket(quote(t: 1_000))
        _ = t.desk.fillAll(at: 1_500)
        #expect(t.desk.position(SymbolID(0)) == 819)
        return t
    }

    @Test("risk-off (degraded): sizes are cut, the held position shrinks, and no new position opens")
    func degraded() throws {
        let t = try holding()
        t.desk.apply(Directive(kind: .riskOff, time: 1_800))
        #expect(t.desk.mode == .degraded && t.desk.riskOff)
        #expect(t.desk.recorded(.modeChange).first?.detail == EngineMode.degraded.rawValue)
        t.desk.onMarket(quote(t: 2_000))
        // Risk votes ½ in degraded: score 0.32 + 0.15 + 0.1 + 0.1 = 0.67 → 669, then ×½ → 334.
        #expect(t.desk.target(SymbolID(0)) == 334)
        #expect(t.desk.stepOrders.map(\.direction) == [.short])
        #expect(t.desk.stepOrders.first?.quantity == 485)
        // A fresh short view on a flat desk opens nothing.
        let u = try makeDesk(analysts: [scripted("a")])
        u.desk.apply(Directive(kind: .riskOff, time: 500))
        u.scripted[0].queued = [(.short, 1)]
        u.desk.onMarket(quote(t: 1_000))
        #expect(u.desk.orderCount == 0 && u.desk.target(SymbolID(0)) == 0)
        #expect(u.desk.recorded(.decision).first?.detail == 1)   // consensus still approved it
    }

    @Test("emergency: cancel-all, then stop trading, or flatten when configured")
    func emergency() throws {
        let stop = try holding { $0.strikeLimit = 1 }
        stop.scripted[0].emitNaN = true
        stop.scripted[1].emitNaN = true
        stop.desk.onMarket(quote(t: 2_000))
        #expect(stop.desk.mode == .emergency && stop.desk.cancelAllRequested)
        #expect(stop.desk.orderCount == 0 && stop.desk.target(SymbolID(0)) == 819)

        let flat = try holding { $0.strikeLimit = 1; $0.flattenOnEmergency = true }
        flat.scripted[0].emitNaN = true
        flat.scripted[1].emitNaN = true
        flat.desk.onMarket(quote(t: 2_000))
        #expect(flat.desk.mode == .emergency)
        #expect(flat.desk.target(SymbolID(0)) == 0)
        let o = flat.desk.stepOrders
        #expect(o.count == 1 && o[0].direction == .short && o[0].quantity == 819 && o[0].style == .immediate)
    }

    @Test("cut team exposure 30% rescales the team's target on its next event")
    func cutExposure() throws {
        let t = try holding()
        t.desk.apply(Directive(kind: .cutExposure, team: TeamID(0), fraction: 0.3, time: 1_800))
        #expect(t.desk.recorded(.directive).first?.value == 0.3)
        t.desk.onMarket(quote(t: 2_000))
        #expect(t.desk.target(SymbolID(0)) == 573)         // 819·0.7 = 573.3
        #expect(t.desk.stepOrders.map(\.quantity) == [246])
    }

    @Test("the supervisor reads volatile regimes off the scratchpad and declares risk-off by itself")
    func supervisorRiskOff() throws {
        let t = try makeDesk(analysts: [scripted("a")]) {
            $0.regime.warmup = 2; $0.regime.lambda = 0.5
            $0.regime.volatileEnter = 0.005; $0.regime.volatileExit = 0.002
        }
        var mid: UInt32 = 1_000_000
        var directive: DeskRecord?
        for k in 0..<6 {
            mid = k % 2 == 0 ? mid + 20_000 : mid - 20_000      // ±2% swings
            t.desk.onMarket(quote(t: UInt64(k + 1) * 1_000, bid: mid, ask: mid + 100))
            if let d = t.desk.recorded(.directive).first { directive = d; break }
        }
        #expect(directive?.agent == t.desk.supervisorID)
        #expect(directive?.detail == DirectiveKind.riskOff.rawValue)
        #expect(t.desk.mode == .degraded)
        #expect(t.desk.recorded(.observation).first?.detail == Regime.volatile.rawValue)
    }

    @Test("every agent reads the scratchpad: an analyst sees the decision and the outcome")
    func scratchpadReaders() throws {
        let t = try holding()
        let b = t.scripted[1]
        #expect(b.entries.contains { $0.kind == .decision && $0.direction == .long })
        t.scripted[0].queued = [(.flat, 0)]
        t.desk.onMarket(quote(t: 2_000))
        _ = t.desk.fillAll(at: 2_500)
        #expect(b.entries.contains { $0.kind == .outcome && $0.symbol == SymbolID(0) })
        // Sequence numbers arrive in order with no gaps.
        let seqs = b.entries.map(\.sequence)
        #expect(seqs == Array(0..<UInt64(seqs.count)))
    }
}

@Suite("Desk failure isolation by time budget")
struct DeskOverrunTests {
    @Test("reported overruns quarantine after N and are records the journal can replay")
    func overruns() throws {
        let t = try makeDesk(analysts: [scripted("slow"), scripted("spare", backupFor: 0)]) { $0.strikeLimit = 2 }
        #expect(t.desk.timeBudget(AgentID(0)) == 2_000)
        t.desk.reportOverrun(AgentID(0), nanos: 9_000, time: 10)
        let o = t.desk.recorded(.overrun)
        #expect(o.count == 1 && o[0].quantity == 1 && o[0].value == 9_000)
        #expect(!t.desk.isolation.isQuarantined(AgentID(0)))
        t.desk.reportOverrun(AgentID(0), nanos: 5_000, time: 20)
        let q = t.desk.recorded(.quarantine)
        #expect(q.count == 1 && q[0].other == AgentID(1))
        t.scripted[1].queued = [(.short, 0.7)]
        t.desk.onMarket(quote(t: 1_000))
        #expect(t.scripted[0].calls == 0 && t.scripted[1].calls == 1)
        #expect(t.desk.stepOrders.map(\.direction) == [.short])
        t.desk.reportOverrun(AgentID(99), nanos: 1, time: 30)
        #expect(t.desk.counters.rejectedInputs == 1)
    }
}
