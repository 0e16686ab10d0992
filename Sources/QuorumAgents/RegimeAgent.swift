import QuorumBook

/// Regime detection tuning. Returns are per update (mid to mid).
public struct RegimeParameters: Sendable, Equatable {
    /// EWMA decay per update for the variance and the drift.
    public var lambda = 0.97
    /// EWMA volatility entering / leaving `.volatile` (hysteresis: exit < enter).
    public var volatileEnter = 0.002, volatileExit = 0.0015
    /// |drift|/volatility entering / leaving `.trending`.
    public var trendEnter = 0.3, trendExit = 0.2
    /// Updates before the first regime is published.
    public var warmup = 20
    public init() {}
}

/// Online volatility and trend regime per symbol, three states with hysteresis:
/// `.volatile` while the EWMA volatility is above its band, else `.trending` while
/// |EWMA drift| is a large enough fraction of the volatility, else `.calm`. Publishes an
/// `Observation` when a symbol's regime changes.
///
/// Not thread-safe; owned by a desk.
public final class RegimeAgent: Agent {
    public let id: AgentID
    public var role: Role { .regime }
    public let parameters: RegimeParameters
    @exclusivity(unchecked) var lastMid: [Double]
    @exclusivity(unchecked) var variance: [Double]
    @exclusivity(unchecked) var drift: [Double]
    @exclusivity(unchecked) var seen: [Int]
    @exclusivity(unchecked) var regimes: [Regime]
    @exclusivity(unchecked) public internal(set) var changes = 0

    public init(id: AgentID, symbolCount: Int, parameters: RegimeParameters = RegimeParameters()) {
        self.id = id
        self.parameters = parameters
        let n = max(1, symbolCount)
        lastMid = Array(repeating: 0, count: n); variance = Array(repeating: 0, count: n)
        drift = Array(repeating: 0, count: n); seen = Array(repeating: 0, count: n)
        regimes = Array(repeating: .calm, count: n)
    }

    public func regime(_ s: SymbolID) -> Regime { regimes[s.index] }
    /// EWMA per-update volatility (0 before two mids).
    public func volatility(_ s: SymbolID) -> Double { variance[s.index].squareRoot() }
    public func drift(_ s: SymbolID) -> Double { drift[s.index] }

    public func onMarket(_ update: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
        let i = c.symbol.index
        guard c.mid > 0, i < regimes.count else { return }
        defer { lastMid[i] = c.mid }
        guard lastMid[i] > 0 else { return }
        let r = c.mid / lastMid[i] - 1
        let p = parameters
        variance[i] = p.lambda * variance[i] + (1 - p.lambda) * r * r
        drift[i] = p.lambda * drift[i] + (1 - p.lambda) * r
        seen[i] += 1
        guard seen[i] >= p.warmup else { return }
        let vol = variance[i].squareRoot()
        let ratio = vol > 0 ? abs(drift[i]) / vol : 0
        let now = regimes[i]
        let next: Regime
        if vol > (now == .volatile ? p.volatileExit : p.volatileEnter) {
            next = .volatile
        } else if ratio > (now == .trending ? p.trendExit : p.trendEnter) {
            next = .trending
        } else {
            next = .calm
        }
        guard next != now else { return }
        regimes[i] = next
        changes &+= 1
        out.emit(Observation(kind: .regime, agent: id, symbol: c.symbol, regime: next, value: vol, value2: drift[i],
                             time: c.time))
    }
}
