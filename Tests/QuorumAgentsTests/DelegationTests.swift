import Testing
@testable import QuorumAgents
import QuorumBook
import QuorumRisk
import QuorumWire

/// An analyst that delegates what the test queues and keeps every delegation entry the
/// scratchpad brings it.
final class DelegatingAnalyst: Agent {
    let id: AgentID
    var role: Role { .analyst }
    var queued: [Setup] = []
    var reports: [ScratchpadEntry] = []
    var marketCalls = 0
    init(id: AgentID) { self.id = id }
    func onMarket(_ update: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
        marketCalls += 1
        for s in queued { out.emit(s) }
        queued.removeAll()
    }
    func onScratchpad(_ entry: ScratchpadEntry, into output: AgentOutput) {
        if entry.kind == .delegation && entry.agent == id { reports.append(entry) }
    }
}

@Suite("Delegation: setups handed to the execution agent")
struct DelegationTests {
    let second: UInt64 = 1_000_000_000

    /// One symbol (locate 1), one delegating analyst (agent 0), unlimited risk.
    func makeDelegatingDesk(capacity: Int = 32) throws -> (Desk, DelegatingAnalyst) {
        let engine = try RiskEngine(config: RiskConfig(instrumentCapacity: 1), capital: 1_000_000, sectors: [0], teams: [0],
                                    limits: .unlimited(instruments: 1))
        var cfg = DeskConfig(symbols: [DeskSymbol(locate: 1)], analysts: [AnalystConfig(name: "delegator", kind: .custom)])
        cfg.delegationCapacity = capacity
        var made: DelegatingAnalyst?
        let desk = try Desk(config: cfg, engine: engine) { id, _ in
            let a = DelegatingAnalyst(id: id)
            made = a
            return a
        }
        return (desk, made!)
    }

    func buy(_ qty: Int64, limit: Int64, deadline: UInt64, expiry: ExpiryAction = .cancel, t: UInt64) -> Setup {
        Setup(symbol: SymbolID(0), direction: .long, quantity: qty, limitTicks: limit, deadline: deadline, onExpiry: expiry,
              agent: AgentID(0), time: t)
    }

    @Test("a setup that never fills expires at its deadline, in the first step past it, without waiting for its child")
    func expiresAtDeadline() throws {
        let (desk, analyst) = try makeDelegatingDesk()
        let t0 = 10 * second
        analyst.queued = [buy(100, limit: 990_000, deadline: t0 + 2 * second, t: t0)]
        desk.step(.market(quote(t: t0)))
        // The analyst's call returned at once; the setup is posted and its first child is out.
        #expect(analyst.marketCalls == 1)
        let posted = desk.recorded(.delegation)
        #expect(posted.count == 1 && posted[0].agent == AgentID(0) && posted[0].other == desk.executionID)
        #expect(posted[0].quantity == 100 && posted[0].value == 990_000 && posted[0].time == t0 + 2 * second)
        let first = desk.stepOrders
        #expect(first.count == 1 && first[0].style == .passive && first[0].limitTicks == 990_000 && first[0].quantity == 100)
        #expect(desk.recorded(.childOrder).first?.other == AgentID(0))

        // Closed unfilled before the deadline: worked again on the next update, nothing reported.
        desk.step(.orderClosed(symbol: SymbolID(0), order: first[0].id, unfilled: 100, time: t0 + second / 2))
        #expect(desk.recorded(.delegationOutcome).isEmpty)
        desk.step(.market(quote(t: t0 + second)))
        let second_ = desk.stepOrders
        #expect(second_.count == 1 && second_[0].id != first[0].id && second_[0].limitTicks == 990_000)
        #expect(analyst.reports.isEmpty)

        // Past the deadline with that child still out: expired now, no new child.
        desk.step(.market(quote(t: t0 + 3 * second)))
        let out = desk.recorded(.delegationOutcome)
        #expect(out.count == 1)
        #expect(out[0].detail == DelegationStatus.expired.rawValue && out[0].quantity == 0 && out[0].other == AgentID(0))
        #expect(desk.stepOrders.isEmpty)
        #expect(analyst.reports.count == 1)
        #expect(analyst.reports[0].detail == DelegationStatus.expired.rawValue)
        #expect(analyst.reports[0].value == 0 && analyst.reports[0].value2 == 100)
        #expect(desk.delegations.count == 1)  // until its last child is closed
        desk.step(.orderClosed(symbol: SymbolID(0), order: second_[0].id, unfilled: 100, time: t0 + 3 * second))
        #expect(desk.delegations.count == 0)
        #expect(desk.delegations.outcomes(.expired) == 1 && desk.delegations.delegated == 1)
        #expect(desk.delegations.held(AgentID(0), SymbolID(0)) == 0)
    }

    @Test("a filled setup reports units, average price and shortfall to its delegator; the consensus book is untouched")
    func filledSetupReports() throws {
        let (desk, analyst) = try makeDelegatingDesk()
        let t0 = 10 * second
        analyst.queued = [buy(100, limit: 1_000_000, deadline: t0 + 5 * second, t: t0)]
        desk.step(.market(quote(t: t0)))  // bid 100.0000, ask 100.0100
        let child = desk.stepOrders[0]
        desk.step(.fill(Fill(order: child.id, symbol: SymbolID(0), direction: .long, quantity: 60, priceTicks: 1_000_000,
                             time: t0 + 1)))
        #expect(desk.recorded(.delegationOutcome).isEmpty)
        #expect(desk.recorded(.fill).first?.other == AgentID(0))
        desk.step(.fill(Fill(order: child.id, symbol: SymbolID(0), direction: .long, quantity: 40, priceTicks: 1_000_000,
                             time: t0 + 2)))
        let out = desk.recorded(.delegationOutcome)
        #expect(out.count == 1)
        #expect(out[0].detail == DelegationStatus.filled.rawValue && out[0].quantity == 100 && out[0].value == 1_000_000)
        // Arrival mid 100.005; bought 100 at 100.0000: 0.005 × 100 better than the mid.
        #expect(abs(out[0].value2 - -0.5) < 1e-9)
        #expect(analyst.reports.count == 1)
        #expect(analyst.reports[0].detail == DelegationStatus.filled.rawValue && analyst.reports[0].value == 100)
        #expect(analyst.reports[0].value2 == 0)
        #expect(desk.delegations.held(AgentID(0), SymbolID(0)) == 100)
        #expect(desk.position(SymbolID(0)) == 0)
        #expect(desk.delegations.count == 0 && desk.delegations.filledQuantity == 100)
        // The risk engine carries the exposure.
        #expect(desk.risk.engine.risk.exposure(0) > 0)
    }

    @Test("with cross on expiry the remainder crosses the spread once and the outcome says crossed")
    func crossesAtExpiry() throws {
        let (desk, analyst) = try makeDelegatingDesk()
        let t0 = 10 * second
        analyst.queued = [buy(50, limit: 990_000, deadline: t0 + second, expiry: .cross, t: t0)]
        desk.step(.market(quote(t: t0)))
        let resting = desk.stepOrders[0]
        desk.step(.fill(Fill(order: resting.id, symbol: SymbolID(0), direction: .long, quantity: 20, priceTicks: 990_000,
                             time: t0 + 5)))
        desk.step(.orderClosed(symbol: SymbolID(0), order: resting.id, unfilled: 30, time: t0 + 10))
        desk.step(.market(quote(t: t0 + 2 * second, ask: 1_000_200)))
        let cross = desk.stepOrders
        #expect(cross.count == 1 && cross[0].style == .immediate && cross[0].quantity == 30 && cross[0].limitTicks == 1_000_200)
        #expect(desk.recorded(.delegationOutcome).isEmpty)
        desk.step(.fill(Fill(order: cross[0].id, symbol: SymbolID(0), direction: .long, quantity: 30, priceTicks: 1_000_200,
                             time: t0 + 2 * second)))
        let out = desk.recorded(.delegationOutcome)
        #expect(out.count == 1 && out[0].detail == DelegationStatus.crossed.rawValue && out[0].quantity == 50)
        #expect(out[0].value == (20 * 990_000 + 30 * 1_000_200) / 50)
        #expect(analyst.reports.last?.detail == DelegationStatus.crossed.rawValue)
        #expect(desk.delegations.held(AgentID(0), SymbolID(0)) == 50)
    }

    @Test("adversarial setups are refused and counted: zero size, past deadline, unknown symbol, another agent's name, full board")
    func refusals() throws {
        let (desk, analyst) = try makeDelegatingDesk(capacity: 1)
        let t0 = 10 * second
        var unknown = buy(10, limit: 1_000_000, deadline: t0 + second, t: t0)
        unknown.symbol = SymbolID(7)
        var impostor = buy(10, limit: 1_000_000, deadline: t0 + second, t: t0)
        impostor.agent = AgentID(3)
        analyst.queued = [buy(0, limit: 1_000_000, deadline: t0 + second, t: t0), buy(10, limit: 1_000_000, deadline: t0, t: t0),
                          unknown, impostor, buy(10, limit: 0, deadline: t0 + second, t: t0),
                          buy(10, limit: 1_000_000, deadline: t0 + second, t: t0),
                          buy(20, limit: 1_000_000, deadline: t0 + second, t: t0)]
        desk.step(.market(quote(t: t0)))
        let refused = desk.recorded(.refused)
        #expect(refused.map(\.detail) == [4, 4, 4, 4, 4, 6])
        #expect(desk.recorded(.delegation).count == 1)
        #expect(desk.delegations.refused == 6 && desk.delegations.delegated == 1)
        #expect(desk.stepOrders.count == 1 && desk.stepOrders[0].quantity == 10)
    }

    @Test("an analyst configured to delegate hands each view over: long builds its inventory, flat unwinds it")
    func policyDelegatesViews() throws {
        let t = try makeDesk(analysts: [scripted("a")]) { cfg in
            cfg.analysts[0].delegation = DelegationPolicy(quantity: 30, offsetTicks: 100, deadlineNanos: 1_000_000_000)
        }
        let desk = t.desk
        let t0 = 10 * second
        t.scripted[0].queued = [(.long, 0.9)]
        desk.step(.market(quote(t: t0)))
        let setup = desk.recorded(.delegation)
        #expect(setup.count == 1 && setup[0].direction == .long && setup[0].quantity == 30)
        #expect(setup[0].value == 1_000_100)  // bid + 100 ticks
        let child = desk.stepOrders.first { $0.style == .passive }!
        desk.step(.fill(Fill(order: child.id, symbol: SymbolID(0), direction: .long, quantity: 30, priceTicks: 1_000_100, time: t0 + 1)))
        #expect(desk.delegations.held(AgentID(0), SymbolID(0)) == 30)
        t.scripted[0].queued = [(.flat, 0)]
        desk.step(.market(quote(t: t0 + second)))
        let unwind = desk.recorded(.delegation)
        #expect(unwind.count == 1 && unwind[0].direction == .short && unwind[0].quantity == 30)
        #expect(unwind[0].value == 1_000_000)  // ask − 100 ticks
    }

    @Test("the same inputs give the same delegation records (replay determinism)")
    func deterministic() throws {
        func run() throws -> UInt64 {
            let (desk, analyst) = try makeDelegatingDesk()
            var h = DeskRecord.fnvOffset
            for k in 0..<40 {
                let t = UInt64(k + 1) * second / 2
                if k % 7 == 0 {
                    analyst.queued = [buy(Int64(10 + k), limit: 1_000_000 - Int64(k % 3) * 100, deadline: t + 3 * second,
                                          expiry: k % 2 == 0 ? .cross : .cancel, t: t)]
                }
                desk.step(.market(quote(t: t, bid: UInt32(1_000_000 + k * 10), ask: UInt32(1_000_100 + k * 10))))
                desk.foldRecords(into: &h)
                for o in desk.stepOrders where k % 3 == 0 {
                    desk.step(.fill(Fill(order: o.id, symbol: o.symbol, direction: o.direction, quantity: max(1, o.quantity / 2),
                                         priceTicks: o.limitTicks, time: t + 1)))
                    desk.foldRecords(into: &h)
                }
            }
            #expect(desk.delegations.delegated == 6)
            return h
        }
        #expect(try run() == run())
    }

    @Test("emergency stops every setup (reported cancelled, no further child); new setups are refused outside normal mode")
    func emergencyStopsSetups() throws {
        let (desk, analyst) = try makeDelegatingDesk()
        let t0 = 10 * second
        analyst.queued = [buy(100, limit: 990_000, deadline: t0 + 60 * second, t: t0)]
        desk.step(.market(quote(t: t0)))
        #expect(desk.stepOrders.count == 1 && desk.delegations.count == 1)
        // The only analyst overruns its budget until quarantined: every analyst out is an emergency.
        for k in 1...3 { desk.step(.overrun(agent: AgentID(0), nanos: 50_000, time: t0 + UInt64(k))) }
        #expect(desk.mode == .emergency && desk.cancelAllRequested)
        desk.step(.market(quote(t: t0 + second)))
        let out = desk.recorded(.delegationOutcome)
        #expect(out.count == 1 && out[0].detail == DelegationStatus.cancelled.rawValue)
        #expect(desk.stepOrders.isEmpty && desk.delegations.count == 0)
        // A setup handed over now (directly, as the quarantined analyst no longer runs) is refused.
        desk.output.reset()
        desk.output.emit(buy(10, limit: 1_000_000, deadline: t0 + 70 * second, t: t0 + second))
        desk.collectSetups(from: AgentID(0))
        #expect(desk.recorded(.refused).last?.detail == 5 && desk.delegations.count == 0)
    }
}
