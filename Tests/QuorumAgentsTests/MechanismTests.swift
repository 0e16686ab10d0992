import Testing
@testable import QuorumAgents
import QuorumRisk

@Suite("Coordination mechanisms in isolation")
struct MechanismTests {
    @Test("scratchpad: every reader sees every entry in order; a lapped reader skips and counts")
    func scratchpad() {
        let pad = Scratchpad(capacity: 3)  // rounds to 4
        #expect(pad.capacity == 4)
        var a = Scratchpad.Cursor(), b = Scratchpad.Cursor()
        for t in 0..<3 { pad.publish(ScratchpadEntry(kind: .observation, agent: AgentID(1), symbol: SymbolID(0), time: UInt64(t))) }
        var seen: [UInt64] = []
        while let e = pad.read(&a) { seen.append(e.time) }
        #expect(seen == [0, 1, 2])
        #expect(pad.read(&a) == nil)
        for t in 3..<10 { pad.publish(ScratchpadEntry(kind: .outcome, agent: AgentID(1), symbol: SymbolID(0), time: UInt64(t))) }
        seen = []
        while let e = pad.read(&b) { seen.append(e.time) }
        #expect(seen == [6, 7, 8, 9])        // 0…5 were overwritten
        #expect(b.lost == 6)
        #expect(pad.published == 10)
        #expect(pad.publishedByKind[Int(ScratchpadKind.outcome.rawValue)] == 7)
        let e = pad.read(&a)
        #expect(e?.time == 6 && e?.sequence == 6 && a.lost == 3)
    }

    func blank(_ s: Int) -> Signal {
        Signal(symbol: SymbolID(s), direction: .long, confidence: 0.5, expectedReturn: 0.001, horizonNanos: 10,
               pattern: .trend, agent: AgentID(0), time: 0)
    }

    @Test("ask board: never answered in the posting step, answered later, times out past the deadline, refuses when full")
    func askBoard() {
        let board = AskBoard(capacity: 2)
        let q1 = board.ask(.netExposure, from: AgentID(0), to: AgentID(9), symbol: SymbolID(0), parked: blank(0),
                           now: 100, step: 1, deadline: 150)
        let q2 = board.ask(.correlation, from: AgentID(1), to: AgentID(9), symbol: SymbolID(1), other: SymbolID(2),
                           parked: blank(1), now: 100, step: 1, deadline: 120)
        #expect(q1 == 1 && q2 == 2)
        #expect(board.ask(.netExposure, from: AgentID(0), to: AgentID(9), symbol: SymbolID(0), parked: blank(0),
                          now: 100, step: 1, deadline: 150) == nil)
        #expect(board.refused == 1)
        var got: [(UInt64, Resolution)] = []
        board.resolve(now: 100, step: 1, answer: { _ in 7 }) { q, r in got.append((q.id, r)) }
        #expect(got.isEmpty)                  // same step: nothing
        // Step 2 at t = 130: q2's deadline (120) has passed; the answerer is busy (nil) for q1.
        board.resolve(now: 130, step: 2, answer: { _ in nil }) { q, r in got.append((q.id, r)) }
        #expect(got.count == 1 && got[0].0 == 2 && got[0].1 == .timedOut)
        #expect(board.pendingCount == 1)
        board.resolve(now: 140, step: 3, answer: { q in q.kind == .netExposure ? -3.5 : nil }) { q, r in got.append((q.id, r)) }
        #expect(got.count == 2 && got[1].0 == 1 && got[1].1 == .answered(-3.5))
        #expect(board.pendingCount == 0 && board.answered == 1 && board.timedOut == 1 && board.asked == 2)
    }

    @Test("conflict policies: first mover keeps, confidence needs the margin, supervisor weighs performance")
    func conflictPolicies() {
        let inc = Contender(agent: AgentID(0), direction: .long, confidence: 0.6, performance: 1)
        let weak = Contender(agent: AgentID(1), direction: .short, confidence: 0.79, performance: 1)
        let strong = Contender(agent: AgentID(1), direction: .short, confidence: 0.8, performance: 1)
        let first = ConflictResolver(policy: .firstMover)
        #expect(!first.challengerWins(incumbent: inc, challenger: Contender(agent: AgentID(1), direction: .short, confidence: 1, performance: 3),
                                      position: 0, riskOff: false))
        let conf = ConflictResolver(policy: .confidenceWeighted, overrideMargin: 0.2)
        #expect(!conf.challengerWins(incumbent: inc, challenger: weak, position: 0, riskOff: false))
        #expect(conf.challengerWins(incumbent: inc, challenger: strong, position: 0, riskOff: false))
        #expect(conf.conflicts == 2 && conf.challengerWins == 1 && conf.incumbentWins == 1)
        let sup = ConflictResolver(policy: .supervisorArbitration, overrideMargin: 0.2)
        // 0.6·1 vs 0.5·1.5 = 0.75: the better record wins although less confident.
        #expect(sup.challengerWins(incumbent: inc, challenger: Contender(agent: AgentID(1), direction: .short, confidence: 0.5, performance: 1.5),
                                   position: 0, riskOff: false))
        #expect(!sup.challengerWins(incumbent: inc, challenger: Contender(agent: AgentID(1), direction: .short, confidence: 0.5, performance: 1),
                                    position: 0, riskOff: false))
        // Risk-off while long 100: a slightly weaker short (reduces the position) still wins…
        #expect(sup.challengerWins(incumbent: inc, challenger: Contender(agent: AgentID(1), direction: .short, confidence: 0.45, performance: 1),
                                   position: 100, riskOff: true))
        // …but not when flat, where no side reduces anything.
        #expect(!sup.challengerWins(incumbent: inc, challenger: Contender(agent: AgentID(1), direction: .short, confidence: 0.45, performance: 1),
                                    position: 0, riskOff: true))
    }

    @Test("collective memory: no opinion before minTrades, then scales by the Laplace win rate, clamped")
    func memory() {
        let m = CollectiveMemory(minTrades: 2, minScale: 0.5, maxScale: 1.5)
        #expect(m.confidenceScale(pattern: .rsi, regime: .calm) == 1)
        m.record(pattern: .rsi, regime: .calm, returnFraction: -0.01, agent: AgentID(3), time: 5)
        #expect(m.confidenceScale(pattern: .rsi, regime: .calm) == 1)
        m.record(pattern: .rsi, regime: .calm, returnFraction: -0.03, agent: AgentID(4), time: 9)
        // p̂ = 1/4 → 0.5.
        #expect(m.confidenceScale(pattern: .rsi, regime: .calm) == 0.5)
        #expect(m.confidenceScale(pattern: .rsi, regime: .volatile) == 1)  // other regime untouched
        let c = m.cell(.rsi, .calm)
        #expect(c.wins == 0 && c.losses == 2 && c.lastTested == 9 && c.contributors == (1 << 3 | 1 << 4))
        #expect(close(c.meanReturn, -0.02))
        for t in 0..<4 { m.record(pattern: .rsi, regime: .calm, returnFraction: 0.02, agent: AgentID(3), time: UInt64(t)) }
        // 4 wins of 6: p̂ = 5/8 → 1.25.
        #expect(m.confidenceScale(pattern: .rsi, regime: .calm) == 1.25)
        m.record(pattern: .rsi, regime: .calm, returnFraction: .nan, agent: AgentID(3), time: 1)
        #expect(m.cell(.rsi, .calm).trades == 6)
    }

    @Test("failure isolation: N strike events quarantine, the backup becomes active once")
    func isolation() {
        let f = FailureIsolation(agentCount: 3, backupOf: [nil, nil, 0], strikeLimit: 3)
        #expect(f.isActive(AgentID(0)) && !f.isActive(AgentID(2)))
        #expect(f.reportInvalid(AgentID(0), messages: 2) == nil)
        #expect(f.reportOverrun(AgentID(0)) == nil)            // overruns count separately
        #expect(f.reportInvalid(AgentID(0), messages: 1) == nil)
        #expect(f.reportInvalid(AgentID(0), messages: 1) == AgentID(2))
        #expect(!f.isActive(AgentID(0)) && f.isQuarantined(AgentID(0)) && f.isActive(AgentID(2)))
        #expect(f.reportInvalid(AgentID(0), messages: 1) == nil)  // already quarantined
        #expect(f.invalidMessages == 5 && f.backupsActivated == 1 && f.quarantinedCount == 1)
        for _ in 0..<3 { _ = f.reportOverrun(AgentID(1)) }
        #expect(f.isQuarantined(AgentID(1)))
        #expect(f.mode(analysts: 4, quarantinedAnalysts: 1) == .normal)
        #expect(f.mode(analysts: 4, quarantinedAnalysts: 2) == .degraded)
        #expect(f.mode(analysts: 4, quarantinedAnalysts: 4) == .emergency)
    }

    @Test("consensus: quorum to open, hold to stay, veto overrides; weights move with outcomes and clamp")
    func consensus() {
        var p = ConsensusParameters()
        p.quorum = 0.6; p.hold = 0.4
        let book = ConsensusBook(symbolCount: 1, agentCount: 2, parameters: p)
        let s = SymbolID(0)
        var v = StandingVote()
        v.direction = .long; v.confidence = 0.5; v.expiry = 100
        book.setVote(s, AgentID(0), v)
        var st = Stance(); st.direction = .long; st.owner = AgentID(0)
        book.setStance(s, st)
        // 0.4·0.5 + 0.3 + 0.2 + 0.1·0 = 0.7 ≥ 0.6.
        var (d, changed) = book.tally(s, now: 10, risk: 1, portfolio: 1, execution: 0, veto: false)
        #expect(d.approved && changed && close(d.score, 0.7) && d.supporters == 1)
        // Risk halves: 0.2 + 0.15 + 0.2 = 0.55 < quorum but ≥ hold: stays approved.
        (d, changed) = book.tally(s, now: 11, risk: 0.5, portfolio: 1, execution: 0, veto: false)
        #expect(d.approved && !changed)
        (d, changed) = book.tally(s, now: 12, risk: 1, portfolio: 1, execution: 1, veto: true)
        #expect(!d.approved && d.vetoed && changed)
        // A dissenting vote dilutes: 0.4·(0.5/2) + 0.6 = 0.7 with equal weights.
        var w = StandingVote(); w.direction = .short; w.confidence = 0.9; w.expiry = 100
        book.setVote(s, AgentID(1), w)
        (d, _) = book.tally(s, now: 13, risk: 1, portfolio: 1, execution: 1, veto: false)
        #expect(close(d.score, 0.4 * 0.25 + 0.6))
        // Expired votes stop counting.
        (d, _) = book.tally(s, now: 101, risk: 1, portfolio: 1, execution: 1, veto: false)
        #expect(d.supporters == 0 && !d.approved)

        let up = book.learn(AgentID(0), returnFraction: 0.02)  // clamps to one full step
        #expect(up.old == 1 && close(up.new, 1.2840254166877414, 1e-12))
        let down = book.learn(AgentID(1), returnFraction: -0.005)
        #expect(close(down.new, 0.8824969025845955, 1e-12))
        for _ in 0..<50 { book.learn(AgentID(0), returnFraction: 1) }
        #expect(book.performance(AgentID(0)) == p.maxWeight)
        #expect(book.learn(AgentID(0), returnFraction: .nan).new == p.maxWeight)
    }
}
