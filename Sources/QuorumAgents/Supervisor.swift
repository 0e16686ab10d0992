import QuorumBook

/// Supervisor tuning.
public struct SupervisorParameters: Sendable, Equatable {
    /// Fraction of symbols in `.volatile` at which the supervisor declares risk-off…
    public var riskOffEnter = 0.5
    /// …and at or below which it declares risk-on again.
    public var riskOffExit = 0.25
    public init() {}
}

/// The top of the hierarchy: reads regime observations from the scratchpad and issues
/// `riskOff`/`riskOn` directives when the share of volatile symbols crosses its bands;
/// operator directives reach the desk through `Desk.apply(_:)`.
///
/// Not thread-safe; owned by a desk.
public final class Supervisor: Agent {
    public let id: AgentID
    public var role: Role { .supervisor }
    public let parameters: SupervisorParameters
    let symbolCount: Int
    @exclusivity(unchecked) var volatile: [Bool]
    @exclusivity(unchecked) var volatileCount = 0
    @exclusivity(unchecked) public internal(set) var riskOff = false
    @exclusivity(unchecked) var pending: [Directive]
    @exclusivity(unchecked) var pendingCount = 0
    @exclusivity(unchecked) public internal(set) var issued = 0

    public init(id: AgentID, symbolCount: Int, parameters: SupervisorParameters = SupervisorParameters()) {
        self.id = id
        self.parameters = parameters
        self.symbolCount = max(1, symbolCount)
        volatile = Array(repeating: false, count: max(1, symbolCount))
        pending = Array(repeating: Directive(kind: .resume), count: 4)
    }

    public func onMarket(_ update: MarketUpdate, _ context: AgentContext, into output: AgentOutput) {}

    public func onScratchpad(_ e: ScratchpadEntry, into output: AgentOutput) {
        guard e.kind == .observation, e.symbol.index < volatile.count else { return }
        let v = e.regime == .volatile
        if v != volatile[e.symbol.index] {
            volatile[e.symbol.index] = v
            volatileCount += v ? 1 : -1
        }
        let share = Double(volatileCount) / Double(symbolCount)
        if !riskOff && share >= parameters.riskOffEnter {
            riskOff = true
            queue(Directive(kind: .riskOff, issuer: id, time: e.time))
        } else if riskOff && share <= parameters.riskOffExit {
            riskOff = false
            queue(Directive(kind: .riskOn, issuer: id, time: e.time))
        }
    }

    func queue(_ d: Directive) {
        guard pendingCount < pending.count else { return }
        pending[pendingCount] = d
        pendingCount += 1
        issued &+= 1
    }

    /// Hands the queued directives to `body` in order and clears the queue.
    func drain(_ body: (Directive) -> Void) {
        for k in 0..<pendingCount { body(pending[k]) }
        pendingCount = 0
    }
}

/// A team lead: holds its team's directives (halts, exposure cut, flatten) and balances
/// exposure inside the team by capping each symbol's notional at an equal share of the
/// team's gross budget (after the cut).
///
/// Not thread-safe; owned by a desk.
public final class TeamLead {
    public let id: AgentID
    public var role: Role { .teamLead }
    public let team: TeamID
    /// Gross notional the team may carry.
    public let grossBudget: Double
    /// Symbols in the team (≥ 1).
    public let symbolCount: Int
    @exclusivity(unchecked) public internal(set) var haltLongs = false
    @exclusivity(unchecked) public internal(set) var haltShorts = false
    @exclusivity(unchecked) public internal(set) var flatten = false
    /// 1 − the current exposure cut.
    @exclusivity(unchecked) public internal(set) var scale = 1.0
    @exclusivity(unchecked) public internal(set) var capped = 0

    public init(id: AgentID, team: TeamID, grossBudget: Double, symbolCount: Int) {
        self.id = id; self.team = team; self.grossBudget = grossBudget; self.symbolCount = max(1, symbolCount)
    }

    func apply(_ d: Directive) {
        switch d.kind {
        case .haltLongs: haltLongs = true
        case .haltShorts: haltShorts = true
        case .resume: haltLongs = false; haltShorts = false; flatten = false; scale = 1
        case .cutExposure: scale *= 1 - min(1, max(0, d.fraction))
        case .flatten: flatten = true
        case .riskOff, .riskOn: break
        }
    }

    /// `target` after the team's halts, cut and balance, given the current position.
    /// Halts never force a reduction: a halted side keeps what it holds but cannot grow.
    /// - Complexity: O(1).
    func adjust(_ target: Int64, position: Int64, mid: Double) -> Int64 {
        if flatten { return 0 }
        // Int64(_:) truncates towards zero itself (no libm call); it traps where rounding first would.
        var t = Int64(Double(target) * scale)
        if mid > 0 && grossBudget.isFinite {
            let c = grossBudget * scale / Double(symbolCount) / mid
            let cap = c >= 0 ? Int64(c) : Int64(c.rounded(.down))  // truncating is rounding down when c ≥ 0
            if abs(t) > cap { t = Direction.of(t).sign * cap; capped &+= 1 }
        }
        if haltLongs && t > 0 && t > position { t = max(position, 0) }
        if haltShorts && t < 0 && t < position { t = min(position, 0) }
        return t
    }
}
