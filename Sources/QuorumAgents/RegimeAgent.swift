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
    /// One symbol's filter: the last mid, the EWMA variance and drift of returns, returns seen.
    struct Filter: Equatable {
        var lastMid = 0.0, variance = 0.0, drift = 0.0
        var seen = 0
    }
    /// Per symbol, in fixed stores the agent owns (arrays in a class would be checked for
    /// uniqueness on every write of every update).
    let symbolCount: Int
    let filters: UnsafeMutablePointer<Filter>
    let regimes: UnsafeMutablePointer<Regime>
    @exclusivity(unchecked) public internal(set) var changes = 0

    public init(id: AgentID, symbolCount: Int, parameters: RegimeParameters = RegimeParameters()) {
        self.id = id
        self.parameters = parameters
        let n = max(1, symbolCount)
        self.symbolCount = n
        filters = .allocate(capacity: n)
        filters.initialize(repeating: Filter(), count: n)
        regimes = .allocate(capacity: n)
        regimes.initialize(repeating: .calm, count: n)
    }

    deinit {
        filters.deallocate()
        regimes.deallocate()
    }

    public func regime(_ s: SymbolID) -> Regime { regimes[s.index] }
    /// EWMA per-update volatility (0 before two mids).
    public func volatility(_ s: SymbolID) -> Double { filters[s.index].variance.squareRoot() }
    public func drift(_ s: SymbolID) -> Double { filters[s.index].drift }

    public func onMarket(_ update: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
        let i = c.symbol.index
        guard c.mid > 0, i < symbolCount else { return }
        let f = filters + i
        defer { f.pointee.lastMid = c.mid }
        guard f.pointee.lastMid > 0 else { return }
        let r = c.mid / f.pointee.lastMid - 1
        let p = parameters
        f.pointee.variance = p.lambda * f.pointee.variance + (1 - p.lambda) * r * r
        f.pointee.drift = p.lambda * f.pointee.drift + (1 - p.lambda) * r
        f.pointee.seen += 1
        guard f.pointee.seen >= p.warmup else { return }
        let vol = f.pointee.variance.squareRoot()
        let drift = f.pointee.drift
        let ratio = vol > 0 ? abs(drift) / vol : 0
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
        out.emit(Observation(kind: .regime, agent: id, symbol: c.symbol, regime: next, value: vol, value2: drift,
                             time: c.time))
    }
}
