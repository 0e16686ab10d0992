import QuorumBook
import QuorumRisk

/// Answers questions about net directional exposure and correlations from QuorumRisk's
/// EWMA covariance and the portfolio's exposures, within a per-event answer budget.
///
/// Not thread-safe; owned by a desk.
public final class CorrelationAgent {
    public let id: AgentID
    public var role: Role { .correlation }
    public let risk: PortfolioRisk
    /// Questions answered per desk step at most; the rest wait (and may time out).
    public let answersPerStep: Int
    @exclusivity(unchecked) var answeredThisStep = 0
    @exclusivity(unchecked) public internal(set) var answered = 0

    public init(id: AgentID, risk: PortfolioRisk, answersPerStep: Int = 4) {
        self.id = id
        self.risk = risk
        self.answersPerStep = max(0, answersPerStep)
    }

    func beginStep() { answeredThisStep = 0 }

    /// Σⱼ ρ(i, j)·exposureⱼ: the exposure that moves with instrument i (currency, signed).
    /// - Complexity: O(n).
    public func netExposure(_ i: SymbolID) -> Double {
        let n = risk.dimension
        guard i.index < n else { return 0 }
        var s = 0.0
        for j in 0..<n { s += risk.covariance.correlation(i.index, j) * risk.exposure(j) }
        return s
    }

    /// ρ(a, b) from the EWMA covariance (0 without data, 1 for a = b).
    public func correlation(_ a: SymbolID, _ b: SymbolID) -> Double {
        guard a.index < risk.dimension, b.index < risk.dimension else { return 0 }
        return risk.covariance.correlation(a.index, b.index)
    }

    /// The answer to `q`, or nil when this step's budget is spent.
    public func answer(_ q: Question) -> Double? {
        guard answeredThisStep < answersPerStep else { return nil }
        answeredThisStep += 1
        answered &+= 1
        switch q.kind {
        case .netExposure: return netExposure(q.symbol)
        case .correlation: return correlation(q.symbol, q.other)
        }
    }
}

/// How the portfolio agent sizes a position.
@frozen public enum Sizing: UInt8, Sendable, BitwiseCopyable {
    /// |notional| = riskBudget/σ × consensus score.
    case volatilityTarget = 0
    /// Mean-variance on the EWMA covariance, one symbol at a time with the rest of the book
    /// held: w_i = |μ_i|/(γΣ_ii)·riskBudget/100 − Σ_{j≠i} (Σ_ij/Σ_ii)·w_j, the optimum of
    /// μ·w − γ/2·wᵀΣw in w_i with μ scaled by riskBudget/100 (repeated over the symbols as
    /// their signals come, these steps head for Σ⁻¹μ/γ).
    case meanVariance = 1
}

/// Portfolio sizing tuning.
public struct PortfolioParameters: Sendable, Equatable {
    public var sizing = Sizing.volatilityTarget
    /// Currency of one-σ move per symbol the position may carry.
    public var riskBudget = 100.0
    /// Risk aversion γ for mean-variance.
    public var riskAversion = 1.0
    /// Cap on any one symbol's notional.
    public var maxNotional = 100_000.0
    /// σ used before any estimate exists (per update, fraction).
    public var defaultVolatility = 0.001
    /// Positions are multiples of this.
    public var lot: Int64 = 1
    public init() {}
}

/// Signals → target positions: volatility targeting (or mean-variance) on the best σ
/// available — QuorumRisk's EWMA variance when it has data, else the regime agent's.
///
/// Not thread-safe; owned by a desk.
public final class PortfolioAgent {
    public let id: AgentID
    public var role: Role { .portfolio }
    public let parameters: PortfolioParameters
    @exclusivity(unchecked) public internal(set) var targetsSet = 0

    public init(id: AgentID, parameters: PortfolioParameters = PortfolioParameters()) {
        self.id = id
        self.parameters = parameters
    }

    /// Its consensus vote: 1 when it can size the symbol, ½ when σ is only the default.
    public func vote(volatility: Double) -> Double { volatility > 0 ? 1 : 0.5 }

    /// The signed target quantity.
    /// - Parameter correlated: mean-variance only: the notional (currency, signed) of this
    ///   symbol's risk that the other positions already carry, Σ_{j≠i} (Σ_ij/Σ_ii)·w_j
    ///   (`Desk.correlatedNotional`). A long book in a correlated symbol shrinks a long target;
    ///   a target is never pushed past flat against the consensus direction.
    /// - Complexity: O(1).
    public func target(direction: Direction, score: Double, expectedReturn: Double, mid: Double,
                       volatility: Double, correlated: Double = 0) -> Int64 {
        guard direction != .flat, mid > 0 else { return 0 }
        let p = parameters
        let sigma = volatility > 0 ? volatility : p.defaultVolatility
        var notional: Double
        switch p.sizing {
        case .volatilityTarget: notional = p.riskBudget / sigma * min(1, max(0, score))
        case .meanVariance:
            notional = abs(expectedReturn) / (p.riskAversion * sigma * sigma) * p.riskBudget / 100
                - Double(direction.sign) * correlated
        }
        notional = min(notional, p.maxNotional)
        guard notional.isFinite, notional > 0 else { return 0 }
        // Both positive, so truncating (Int64(_:), no libm floor call) is rounding down; and a
        // lot of 1 (the default) needs no integer division, the slowest step of this chain.
        let units = Int64(notional / mid)
        let lots = p.lot > 1 ? units / p.lot * p.lot : units
        targetsSet &+= 1
        return direction.sign * lots
    }
}

/// Execution tuning.
public struct ExecutionParameters: Sendable, Equatable {
    public var style = ExecutionStyle.immediate
    /// Schedule length for TWAP/VWAP (event-time ns).
    public var durationNanos: UInt64 = 60_000_000_000
    public var slices = 10
    /// POV participation rate.
    public var participation = 0.1
    /// VWAP volume profile over the duration, one weight per bucket (normalised in init).
    public var profile: [Double] = [0.16, 0.11, 0.08, 0.07, 0.06, 0.06, 0.07, 0.09, 0.12, 0.18]
    /// Spread (bp) above which the liquidity vote falls from 1 towards 0.
    public var maxSpreadBasisPoints = 20.0
    public init() {}
}

/// One symbol's execution plan.
@frozen public struct ExecutionPlan: Sendable, BitwiseCopyable, Equatable {
    public var active = false
    public var style = ExecutionStyle.immediate
    /// Signed quantity the plan trades in total.
    public var total: Int64 = 0
    /// Signed quantity sent in child orders under this plan (less closed-unfilled parts).
    public var sent: Int64 = 0
    /// Signed quantity filled under this plan.
    public var filled: Int64 = 0
    public var start: UInt64 = 0
    /// Mid at plan start, for implementation shortfall.
    public var arrivalMid: Double = 0
    public var volumeAtStart: Int64 = 0
    /// Working child: id (0 = none) and unsigned quantity left.
    public var workingID: UInt64 = 0
    public var workingLeft: Int64 = 0
    public var workingDirection = Direction.flat
    /// Σ side·(fill price − arrival mid)·qty: cost versus the decision price (currency).
    public var shortfall: Double = 0
    public init() {}
}

/// Targets → child orders (immediate, passive, TWAP, VWAP, POV), one working child per
/// symbol at a time; tracks fills and implementation shortfall against the arrival mid.
///
/// Not thread-safe; owned by a desk.
public final class ExecutionAgent {
    public let id: AgentID
    public var role: Role { .execution }
    public let parameters: ExecutionParameters
    @exclusivity(unchecked) var cumulativeProfile: [Double]
    @exclusivity(unchecked) var plans: [ExecutionPlan]
    @exclusivity(unchecked) var marketVolume: [Int64]
    @exclusivity(unchecked) var nextOrderID: UInt64 = 1
    @exclusivity(unchecked) public internal(set) var childrenSent = 0
    @exclusivity(unchecked) public internal(set) var filledQuantity: Int64 = 0
    /// Σ shortfall of all fills (currency).
    @exclusivity(unchecked) public internal(set) var totalShortfall = 0.0

    public init(id: AgentID, symbolCount: Int, parameters: ExecutionParameters = ExecutionParameters()) {
        self.id = id
        self.parameters = parameters
        let total = parameters.profile.reduce(0) { $0 + max(0, $1) }
        var acc = 0.0
        cumulativeProfile = parameters.profile.map { w in
            acc += total > 0 ? max(0, w) / total : 0
            return acc
        }
        if cumulativeProfile.isEmpty { cumulativeProfile = [1] }
        plans = Array(repeating: ExecutionPlan(), count: max(1, symbolCount))
        marketVolume = Array(repeating: 0, count: max(1, symbolCount))
    }

    public func plan(_ s: SymbolID) -> ExecutionPlan { plans[s.index] }

    /// Signed quantity of the working child.
    public func working(_ s: SymbolID) -> Int64 { plans[s.index].workingDirection.sign * plans[s.index].workingLeft }

    /// Its consensus vote: liquidity, 1 for a spread within `maxSpreadBasisPoints`, falling
    /// as maxSpread/spread beyond it; 0 without a two-sided quote.
    public func vote(bid: BookQuote, ask: BookQuote) -> Double {
        guard !bid.isEmpty, !ask.isEmpty, ask.price > bid.price else { return 0 }
        let mid = Microprice.mid(bid: bid, ask: ask)
        let spread = Double(ask.price.rawValue - bid.price.rawValue) / 10_000 / mid * 10_000
        return spread <= parameters.maxSpreadBasisPoints ? 1 : parameters.maxSpreadBasisPoints / spread
    }

    /// Counts printable market volume (for POV).
    func onMarket(_ u: MarketUpdate, _ s: SymbolID) {
        if u.changes.contains(.trade) && u.lastTrade.printable { marketVolume[s.index] &+= Int64(u.lastTrade.qty) }
    }

    /// Starts a plan that moves the position to `target` (given the position and working
    /// child); `style` overrides the configured style (e.g. immediate when flattening).
    func replan(_ s: SymbolID, target: Int64, position: Int64, mid: Double, time: UInt64, style: ExecutionStyle) {
        var p = plans[s.index]
        let need = target - position - p.workingDirection.sign * p.workingLeft
        p.active = need != 0
        p.style = style
        p.total = need
        p.sent = 0
        p.filled = 0
        p.start = time
        p.arrivalMid = mid
        p.volumeAtStart = marketVolume[s.index]
        plans[s.index] = p
    }

    func pause(_ s: SymbolID) { plans[s.index].active = false }

    /// Fraction of the plan due by `time`.
    func dueFraction(_ p: ExecutionPlan, _ s: SymbolID, time: UInt64) -> Double {
        let d = max(1, parameters.durationNanos)
        let elapsed = time >= p.start ? time - p.start : 0
        switch p.style {
        case .immediate, .passive:
            return 1
        case .twap:
            let n = max(1, parameters.slices)
            let slice = max(1, d / UInt64(n))
            return min(1, Double(elapsed / slice + 1) / Double(n))
        case .vwap:
            let buckets = cumulativeProfile.count
            let b = min(buckets - 1, Int(elapsed / max(1, d / UInt64(buckets))))
            return cumulativeProfile[b]
        case .pov:
            let traded = Double(marketVolume[s.index] - p.volumeAtStart)
            return min(1, parameters.participation * traded / Double(max(1, abs(p.total))))
        }
    }

    /// The next child order due for `s`, if any (none while a child is working).
    /// - Complexity: O(1); no allocation.
    func nextChild(_ s: SymbolID, bid: BookQuote, ask: BookQuote, time: UInt64) -> ChildOrder? {
        let p = plans[s.index]
        guard p.active, p.workingID == 0, !bid.isEmpty, !ask.isEmpty else { return nil }
        let due = Int64(dueFraction(p, s, time: time) * Double(p.total))  // truncates towards zero
        let q = due - p.sent
        guard q != 0, Direction.of(q) == Direction.of(p.total) else { return nil }
        let dir = Direction.of(q)
        let crossing = p.style != .passive
        let limit: Int64 = dir == .long
            ? Int64(crossing ? ask.price.rawValue : bid.price.rawValue)
            : Int64(crossing ? bid.price.rawValue : ask.price.rawValue)
        let id = nextOrderID
        return ChildOrder(id: id, symbol: s, direction: dir, quantity: abs(q), limitTicks: limit, style: p.style, time: time)
    }

    /// Records that `c` (possibly resized by risk) was sent.
    func sent(_ c: ChildOrder) {
        nextOrderID &+= 1
        var p = plans[c.symbol.index]
        p.sent += c.direction.sign * c.quantity
        p.workingID = c.id
        p.workingLeft = c.quantity
        p.workingDirection = c.direction
        plans[c.symbol.index] = p
        childrenSent &+= 1
    }

    /// Applies a fill; returns the plan's shortfall so far.
    func onFill(_ f: Fill) -> Double {
        var p = plans[f.symbol.index]
        let px = Double(f.priceTicks) / 10_000
        let cost = Double(f.direction.sign) * (px - p.arrivalMid) * Double(f.quantity)
        if p.arrivalMid > 0 { p.shortfall += cost; totalShortfall += cost }
        p.filled += f.direction.sign * f.quantity
        filledQuantity &+= f.quantity
        if f.order == p.workingID {
            p.workingLeft -= f.quantity
            if p.workingLeft <= 0 { p.workingID = 0; p.workingLeft = 0; p.workingDirection = .flat }
        }
        if p.active && p.filled == p.total { p.active = false }
        plans[f.symbol.index] = p
        return p.shortfall
    }

    /// The coordinator closed child `id` (cancelled, rejected, expired) with `unfilled` left.
    func onOrderClosed(_ s: SymbolID, id: UInt64, unfilled: Int64) {
        var p = plans[s.index]
        guard p.workingID == id else { return }
        p.sent -= p.workingDirection.sign * max(0, unfilled)
        p.workingID = 0; p.workingLeft = 0; p.workingDirection = .flat
        plans[s.index] = p
    }

    /// Forgets every working child (after a cancel-all).
    func clearWorking() {
        for i in 0..<plans.count {
            plans[i].workingID = 0; plans[i].workingLeft = 0; plans[i].workingDirection = .flat; plans[i].active = false
        }
    }
}

/// The risk role over QuorumRisk's `RiskEngine`: feeds it mids, clock ticks and fills,
/// votes in consensus from the breaker mode (veto in emergency), and approves, resizes or
/// vetoes every child order through the pre-trade gate.
///
/// Not thread-safe; owned by a desk.
public final class RiskAgent {
    public let id: AgentID
    public var role: Role { .risk }
    public let engine: RiskEngine
    /// The engine's sampling clock period (event-time ns).
    public let clockNanos: UInt64
    @exclusivity(unchecked) var nextClock: UInt64 = 0
    @exclusivity(unchecked) public internal(set) var approvals = 0
    @exclusivity(unchecked) public internal(set) var resizes = 0
    @exclusivity(unchecked) public internal(set) var vetoes = 0

    public init(id: AgentID, engine: RiskEngine, clockNanos: UInt64 = 1_000_000_000) {
        self.id = id
        self.engine = engine
        self.clockNanos = max(1, clockNanos)
    }

    func onMid(_ s: SymbolID, ticks: Int64, time: UInt64) {
        if ticks > 0 && s.index < engine.config.instrumentCapacity { engine.onMid(s.index, ticks: ticks) }
        if time >= nextClock {
            engine.onClockTick(atNanos: time)
            nextClock = time &+ clockNanos
        }
    }

    func onFill(_ f: Fill) { engine.onFill(f.symbol.index, signedQuantity: f.direction.sign * f.quantity) }

    /// Consensus vote for the given mode: 1 normal, ½ degraded; vetoes in emergency.
    public func vote(mode: EngineMode) -> (support: Double, veto: Bool) {
        switch mode {
        case .normal: return (1, false)
        case .degraded: return (0.5, false)
        case .emergency: return (0, true)
        }
    }

    /// The gate's decision on `c`.
    /// - Complexity: O(1); no allocation.
    public func check(_ c: ChildOrder) -> QuorumRisk.Decision {
        let d = engine.check(Order(instrument: c.symbol.index, side: c.direction == .long ? .buy : .sell,
                                   quantity: c.quantity, priceTicks: c.limitTicks))
        switch d {
        case .approve: approvals &+= 1
        case .resize: resizes &+= 1
        case .reject: vetoes &+= 1
        }
        return d
    }
}
