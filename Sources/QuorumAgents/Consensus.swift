/// Consensus tuning.
public struct ConsensusParameters: Sendable, Equatable {
    public var roleWeights = RoleWeights()
    /// Score (0…1) a symbol's stance needs to be approved…
    public var quorum = 0.6
    /// …and to stay approved (hysteresis).
    public var hold = 0.4
    /// Analysts voting with the stance needed for approval.
    public var minSupporters = 1
    /// Performance-weight learning rate η: w ← w·exp(η·clamp(r/returnScale, −1, 1)).
    public var learningRate = 0.25
    public var returnScale = 0.01
    public var minWeight = 0.1, maxWeight = 3.0
    public init() {}
}

/// An analyst's standing vote on one symbol.
@frozen public struct StandingVote: Sendable, BitwiseCopyable, Equatable {
    public var direction: Direction = .flat
    public var confidence: Double = 0
    public var expectedReturn: Double = 0
    /// Event time after which the vote no longer counts (ns).
    public var expiry: UInt64 = 0
    public var pattern: PatternID = .none
    /// Lost a conflict: counts in the denominator only.
    public var overruled = false
    public init() {}
}

/// A symbol's stance: the one direction the desk may hold it in, and whose view set it.
@frozen public struct Stance: Sendable, BitwiseCopyable, Equatable {
    public var direction: Direction = .flat
    public var owner: AgentID = .none
    public var confidence: Double = 0
    public var since: UInt64 = 0
    public init() {}
}

/// Per-symbol weighted consensus. Each analyst's latest unexpired vote counts with its
/// performance weight (learnt from outcomes); the analyst role score is
/// Σ(supporting perf·conf)/Σ(all voting perf), so dissent (including overruled votes)
/// dilutes it. The decision score is the role-weighted mean of that and the risk,
/// portfolio and execution votes (each 0…1 for the stance direction); the risk agent may
/// veto outright. Approval needs `quorum` to open and `hold` to stay, plus
/// `minSupporters` analysts with the stance.
///
/// Not thread-safe; one owner.
public final class ConsensusBook {
    public let parameters: ConsensusParameters
    public let symbolCount: Int
    public let agentCount: Int
    @exclusivity(unchecked) var votes: [StandingVote]
    @exclusivity(unchecked) var stances: [Stance]
    @exclusivity(unchecked) var approved: [Bool]
    @exclusivity(unchecked) var performance: [Double]
    @exclusivity(unchecked) var nextDecision: UInt64 = 1
    @exclusivity(unchecked) public internal(set) var tallies = 0
    @exclusivity(unchecked) public internal(set) var approvals = 0
    @exclusivity(unchecked) public internal(set) var vetoes = 0

    public init(symbolCount: Int, agentCount: Int, parameters: ConsensusParameters = ConsensusParameters()) {
        self.parameters = parameters
        self.symbolCount = symbolCount
        self.agentCount = agentCount
        votes = Array(repeating: StandingVote(), count: max(1, symbolCount * agentCount))
        stances = Array(repeating: Stance(), count: max(1, symbolCount))
        approved = Array(repeating: false, count: max(1, symbolCount))
        performance = Array(repeating: 1, count: max(1, agentCount))
    }

    public func vote(_ s: SymbolID, _ a: AgentID) -> StandingVote { votes[s.index * agentCount + a.index] }
    public func stance(_ s: SymbolID) -> Stance { stances[s.index] }
    public func isApproved(_ s: SymbolID) -> Bool { approved[s.index] }
    public func performance(_ a: AgentID) -> Double { performance[a.index] }

    func setVote(_ s: SymbolID, _ a: AgentID, _ v: StandingVote) { votes[s.index * agentCount + a.index] = v }
    func setOverruled(_ s: SymbolID, _ a: AgentID, _ o: Bool) { votes[s.index * agentCount + a.index].overruled = o }
    func setStance(_ s: SymbolID, _ st: Stance) { stances[s.index] = st }

    /// Aligned supporters of the stance, sorted by agent (deterministic), up to `into.count`.
    func supporters(_ s: SymbolID, now: UInt64, into out: inout InlineArray<8, AgentID>) -> Int {
        let d = stances[s.index].direction
        var n = 0
        for a in 0..<agentCount where n < 8 {
            let v = votes[s.index * agentCount + a]
            if v.direction == d && d != .flat && !v.overruled && v.expiry >= now { out[n] = AgentID(a); n += 1 }
        }
        return n
    }

    /// Tallies symbol `s` at `now` with the other roles' votes for its stance.
    /// - Parameters: risk/portfolio/execution: 0…1 support for the stance direction.
    /// - Returns: the decision and whether its approval state changed.
    /// - Complexity: O(agents); no allocation.
    public func tally(_ s: SymbolID, now: UInt64, risk: Double, portfolio: Double, execution: Double,
                      veto: Bool) -> (decision: ConsensusDecision, changed: Bool) {
        tallies &+= 1
        let st = stances[s.index]
        var num = 0.0, den = 0.0, supporters = 0
        let base = s.index * agentCount
        for a in 0..<agentCount {
            let v = votes[base + a]
            guard v.direction != .flat, v.expiry >= now else { continue }
            let w = performance[a]
            den += w
            if v.direction == st.direction && !v.overruled {
                num += w * v.confidence
                supporters += 1
            }
        }
        let rw = parameters.roleWeights
        let analyst = den > 0 ? num / den : 0
        let score = st.direction == .flat ? 0
            : (rw.analyst * analyst + rw.risk * risk + rw.portfolio * portfolio + rw.execution * execution) / rw.total
        let was = approved[s.index]
        let ok = st.direction != .flat && !veto && supporters >= parameters.minSupporters
            && score >= (was ? parameters.hold : parameters.quorum)
        if veto { vetoes &+= 1 }
        if ok { approvals &+= 1 }
        approved[s.index] = ok
        let changed = ok != was
        let id = nextDecision
        if changed { nextDecision &+= 1 }
        return (ConsensusDecision(id: id, symbol: s, direction: st.direction, score: score, supporters: supporters,
                                  approved: ok, vetoed: veto, time: now), changed)
    }

    /// Moves agent `a`'s performance weight by its share of a closed trade's
    /// direction-adjusted return. Returns (old, new).
    /// - Complexity: O(1).
    @discardableResult
    public func learn(_ a: AgentID, returnFraction r: Double) -> (old: Double, new: Double) {
        let p = parameters
        let old = performance[a.index]
        guard r.isFinite else { return (old, old) }
        let step = min(1, max(-1, r / p.returnScale))
        let new = min(p.maxWeight, max(p.minWeight, old * _exp(p.learningRate * step)))
        performance[a.index] = new
        return (old, new)
    }
}

/// eˣ for |x| ≤ a few, by range reduction and a Taylor series: pure Swift arithmetic, so the
/// result is the same on every platform (no libm dependence in replayed state).
@inline(__always) func _exp(_ x: Double) -> Double {
    // e^x = (e^(x/16))^16; the series of e^(x/16) converges in a dozen terms for |x| ≤ 16.
    let y = x / 16
    var term = 1.0, sum = 1.0
    for k in 1...14 { term *= y / Double(k); sum += term }
    var r = sum
    for _ in 0..<4 { r *= r }
    return r
}
