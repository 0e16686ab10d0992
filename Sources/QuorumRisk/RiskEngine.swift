/// The coordinator's one handle on risk: wires the clock sampler, the EWMA estimator and
/// σₚ state, the P&L window, the circuit breakers and the gate together, in the order a
/// clock tick needs them.
///
/// Event order on a clock tick (``onClockTick(atNanos:)``):
/// 1. the sampler emits r, every instrument's return over the interval just ended;
/// 2. `PortfolioRisk.update` folds r into Σ, carries Σw and σₚ², and yields the interval's
///    P&L rᵀw on the exposures that were held over it (before re-marking);
/// 3. that P&L goes into the historical window;
/// 4. positions are re-marked to the new mids (O(n) per instrument whose mid moved);
/// 5. the largest pairwise correlation feeds the correlation-spike breaker, and the gate's
///    mode follows the breakers.
/// Everything is O(n²) per tick, O(1) per order, and allocation-free after `init`.
///
/// Marks (and so exposures and the price-collar reference) move on the clock, not on every
/// mid: exposures must stay constant over the interval whose return they are multiplied
/// by, and a fill needs a mark, so the first tick must have passed before fills apply.
///
/// Not thread-safe: owned by the coordinator loop, which journals every input it passes in.
public final class RiskEngine {
    public let config: RiskConfig
    public let sampler: ReturnSampler
    public let portfolio: Portfolio
    public let pnl: PnLWindow
    public let breakers: CircuitBreakers
    public let gate: RiskGate
    public var risk: PortfolioRisk { portfolio.risk }

    /// The latest mid of each instrument in ticks (0 = none yet).
    let pendingMarks: UnsafeMutablePointer<Int64>
    /// Scratch for the sampled return vector.
    let returns: UnsafeMutableBufferPointer<Double>

    /// - Throws: `RiskError.invalidConfig` naming the field for any bad setting.
    public init(config: RiskConfig, capital: Double, sectors: [Int], teams: [Int],
                limits: RiskLimits, breakers breakerConfig: BreakerConfig = BreakerConfig()) throws(RiskError) {
        self.config = config
        sampler = try ReturnSampler(dimension: config.instrumentCapacity)
        portfolio = try Portfolio(risk: PortfolioRisk(config: config), capital: capital, sectors: sectors, teams: teams)
        pnl = try PnLWindow(capacity: config.pnlWindow)
        breakers = try CircuitBreakers(config: breakerConfig, capital: capital, equity: capital)
        gate = try RiskGate(limits: limits, for: portfolio)
        let n = config.instrumentCapacity
        pendingMarks = .allocate(capacity: n)
        pendingMarks.initialize(repeating: 0, count: n)
        returns = .allocate(capacity: n)
        returns.initialize(repeating: 0)
    }

    deinit {
        pendingMarks.deallocate()
        returns.deallocate()
    }

    /// A mid-price update (any time, any order). Bad input is counted by the sampler.
    /// - Complexity: O(1).
    @discardableResult
    public func onMid(_ i: Int, ticks: Int64) -> Bool {
        guard sampler.updateMid(i, ticks: ticks) else { return false }
        pendingMarks[i] = ticks
        return true
    }

    /// The sampling clock fired. Returns `true` if a return vector was applied.
    /// - Complexity: O(n²); no allocation.
    @discardableResult
    public func onClockTick(atNanos t: UInt64) -> Bool {
        var applied = false
        if sampler.sample(into: returns) && risk.update(returns: UnsafeBufferPointer(returns)) {
            pnl.record(risk.lastPeriodPnL)
            applied = true
        }
        // Few moved mids: O(n) each; many: one O(n²) rebuild (break-even near n/4 here).
        let n = config.instrumentCapacity
        var moved = 0
        for i in 0..<n where pendingMarks[i] > 0 && pendingMarks[i] != portfolio.markTicks[i] { moved += 1 }
        if moved * 4 > n {
            portfolio.setMarks(pendingMarks)
        } else if moved > 0 {
            for i in 0..<n where pendingMarks[i] > 0 && pendingMarks[i] != portfolio.markTicks[i] {
                portfolio.setMark(i, ticks: pendingMarks[i])
            }
        }
        // The O(n²) correlation scan only feeds the correlation breaker; with both of its
        // thresholds at +∞ (switched off, as the backtest does) no value can move it.
        let correlationWatched = breakers.config.correlationDegraded.isFinite || breakers.config.correlationEmergency.isFinite
        if applied && correlationWatched {
            breakers.observeMaxCorrelation(risk.covariance.maxCorrelation().value, atNanos: t)
        }
        gate.mode = breakers.mode
        return applied
    }

    /// A fill of `signedQuantity` (buy > 0) in instrument i.
    /// - Complexity: O(n); no allocation.
    @discardableResult
    public func onFill(_ i: Int, signedQuantity q: Int64) -> Bool {
        portfolio.applyFill(i, signedQuantity: q)
    }

    /// Account equity (cash + marked positions), from the coordinator's P&L.
    /// - Complexity: O(1).
    public func onEquity(_ equity: Double, atNanos t: UInt64) {
        breakers.observeEquity(equity, atNanos: t)
        gate.mode = breakers.mode
    }

    /// The agents' aggregate confidence in [0, 1].
    /// - Complexity: O(1).
    public func onConfidence(_ c: Double, atNanos t: UInt64) {
        breakers.observeConfidence(c, atNanos: t)
        gate.mode = breakers.mode
    }

    /// The pre-trade decision for `order`.
    /// - Complexity: O(1); no allocation.
    public func check(_ order: Order) -> Decision { gate.check(order, portfolio) }
}
