/// The portfolio's parametric risk: σₚ² = wᵀΣw kept incrementally, with the cached vector
/// Σw, on top of an owned ``EWMACovariance``.
///
/// w is the vector of *exposures* in currency (position × mark price), so a simple return
/// vector r gives the period P&L rᵀw and σₚ is the one-period P&L standard deviation.
///
/// Invariants kept without any O(n²) work beyond the covariance update itself:
/// - exposure change Δ on instrument i: σₚ² ← σₚ² + 2Δ(Σw)ᵢ + Δ²Σᵢᵢ and Σw ← Σw + Δ·Σ[:, i]
///   (O(n));
/// - covariance update with r: Σ' = λΣ + (1−λ)rrᵀ gives Σ'w = λΣw + (1−λ)r(rᵀw) and
///   σₚ'² = λσₚ² + (1−λ)(rᵀw)² (O(n) on top of the O(n²) Σ update).
/// Rounding errors do not accumulate without bound: every covariance update multiplies the
/// existing error by λ. ``recompute()`` rebuilds both exactly, e.g. after a bulk re-mark.
///
/// VaR = z_α·√h·σₚ; ES = φ(z_α)/(1−α)·√h·σₚ (normal, zero mean).
/// Marginal VaRᵢ = ∂VaR/∂wᵢ = z_α√h·(Σw)ᵢ/σₚ; component VaRᵢ = wᵢ·marginalᵢ and the
/// components sum to VaR (Euler). Incremental VaR of a change is VaR(after) − VaR(before).
///
/// Not thread-safe: one owner (the coordinator loop).
public final class PortfolioRisk {
    public let config: RiskConfig
    /// The estimator this portfolio's σₚ is built on. Change Σ only through this type's
    /// ``update(returns:)`` and ``override(covariance:)``/``override(correlation:volatilities:)``
    /// so that Σw and σₚ² stay in step (or call ``recompute()`` afterwards).
    public let covariance: EWMACovariance
    public var dimension: Int { covariance.dimension }
    /// z_α·√h, cached because the gate multiplies by it on every order.
    public let varMultiplier: Double
    /// φ(z_α)/(1−α)·√h.
    public let esMultiplier: Double

    let w: UnsafeMutablePointer<Double>
    let sw: UnsafeMutablePointer<Double>
    // @exclusivity(unchecked): the gate reads this on every order, and the dynamic
    // exclusivity check (a swift_beginAccess call per read) cost more than the check
    // itself. Safe because the type has one owner (the coordinator loop) and no method
    // holds an inout/modify access to it across a call that could read it.
    /// σₚ² = wᵀΣw, maintained incrementally.
    @exclusivity(unchecked) public internal(set) var variance: Double = 0
    /// rᵀw of the last applied return vector: the period's P&L on the exposures held.
    public internal(set) var lastPeriodPnL: Double = 0
    /// Exposure updates refused (unknown index, non-finite value).
    public internal(set) var rejectedExposures: Int = 0

    public init(config: RiskConfig) {
        self.config = config
        covariance = EWMACovariance(config: config)
        varMultiplier = config.varMultiplier
        esMultiplier = config.esMultiplier
        let n = config.instrumentCapacity
        w = .allocate(capacity: n); w.initialize(repeating: 0, count: n)
        sw = .allocate(capacity: n); sw.initialize(repeating: 0, count: n)
    }

    deinit {
        w.deallocate()
        sw.deallocate()
    }

    /// Applies a return vector to Σ and carries Σw and σₚ² along. Bad vectors are counted
    /// by the estimator and change nothing.
    /// - Complexity: O(n²) for Σ plus O(n); no allocation.
    @discardableResult
    public func update(returns: UnsafeBufferPointer<Double>) -> Bool {
        guard covariance.update(returns: returns) else { return false }
        let n = dimension
        let r = returns.baseAddress!
        var pnl = 0.0
        for i in 0..<n { pnl += r[i] * w[i] }
        let lam = covariance.lambda, a = covariance.oneMinusLambda
        let k = a * pnl
        for i in 0..<n {
            let v = lam * sw[i] + k * r[i]
            sw[i] = v.magnitude < .leastNormalMagnitude ? 0 : v  // as Σ's entries (EWMACovariance)
        }
        variance = max(0, lam * variance + a * pnl * pnl)
        lastPeriodPnL = pnl
        return true
    }

    /// Array convenience for ``update(returns:)-(UnsafeBufferPointer<Double>)``.
    @discardableResult
    public func update(returns: [Double]) -> Bool {
        returns.withUnsafeBufferPointer { update(returns: $0) }
    }

    /// Replaces Σ with a user matrix (PSD-checked, see `EWMACovariance.override`) and
    /// rebuilds Σw and σₚ². On error nothing changes.
    /// - Complexity: O(n³).
    public func override(covariance matrix: [Double]) throws(RiskError) {
        try covariance.override(covariance: matrix)
        recompute()
    }

    /// Replaces Σ with D·R·D from a user correlation matrix and volatilities (PSD-checked)
    /// and rebuilds Σw and σₚ². On error nothing changes.
    /// - Complexity: O(n³).
    public func override(correlation: [Double], volatilities: [Double]) throws(RiskError) {
        try covariance.override(correlation: correlation, volatilities: volatilities)
        recompute()
    }

    /// wᵢ in currency.
    /// - Complexity: O(1).
    public func exposure(_ i: Int) -> Double {
        precondition(i >= 0 && i < dimension, "instrument index out of range")
        return w[i]
    }

    /// (Σw)ᵢ.
    /// - Complexity: O(1).
    public func sigmaW(_ i: Int) -> Double {
        precondition(i >= 0 && i < dimension, "instrument index out of range")
        return sw[i]
    }

    /// Sets wᵢ and updates σₚ² and Σw in O(n) from the cached Σw. Returns `false` (and
    /// counts) for an unknown index or a non-finite exposure.
    /// - Complexity: O(n); no allocation.
    @discardableResult
    public func setExposure(_ i: Int, _ value: Double) -> Bool {
        guard i >= 0 && i < dimension, value.isFinite else { rejectedExposures &+= 1; return false }
        let delta = value - w[i]
        if delta == 0 { return true }
        let n = dimension
        let col = covariance.storage + i * n  // row i == column i (symmetric)
        variance = max(0, variance + delta * (2 * sw[i] + delta * col[i]))
        for j in 0..<n { sw[j] += delta * col[j] }
        w[i] = value
        return true
    }

    /// Rebuilds Σw and σₚ² from scratch.
    /// - Complexity: O(n²).
    public func recompute() {
        let n = dimension
        // Σw as a sum of scaled rows (Σ is symmetric, so row j is column j): each inner
        // loop is an independent axpy the compiler vectorises, where a dot-product form
        // would be one serial floating-point reduction per row.
        sw.update(repeating: 0, count: n)
        for j in 0..<n {
            let wj = w[j]
            if wj == 0 { continue }
            let row = covariance.storage + j * n
            for i in 0..<n { sw[i] += wj * row[i] }
        }
        var v = 0.0
        for i in 0..<n { v += w[i] * sw[i] }
        variance = max(0, v)
    }

    /// Stores wᵢ without touching Σw or σₚ²: for bulk re-marks, which must end with
    /// ``recompute()`` before anything reads the risk state.
    func storeExposureDeferred(_ i: Int, _ value: Double) {
        w[i] = value
    }

    /// σₚ.
    public var volatility: Double { variance.squareRoot() }
    /// Parametric VaR over the configured horizon at the configured confidence.
    /// - Complexity: O(1).
    public var valueAtRisk: Double { varMultiplier * variance.squareRoot() }
    /// Parametric ES (normal).
    /// - Complexity: O(1).
    public var expectedShortfall: Double { esMultiplier * variance.squareRoot() }

    /// ∂VaR/∂wᵢ; 0 while σₚ = 0.
    /// - Complexity: O(1).
    public func marginalVaR(_ i: Int) -> Double {
        let s = variance.squareRoot()
        return s > 0 ? varMultiplier * sigmaW(i) / s : 0
    }

    /// wᵢ·∂VaR/∂wᵢ; the components sum to ``valueAtRisk``.
    /// - Complexity: O(1).
    public func componentVaR(_ i: Int) -> Double { exposure(i) * marginalVaR(i) }

    /// σₚ² if instrument i's exposure changed by `delta` (nothing is changed).
    /// - Complexity: O(1) from the cached Σw.
    public func varianceAfter(_ i: Int, exposureChange delta: Double) -> Double {
        max(0, variance + delta * (2 * sw[i] + delta * covariance.storage[i * dimension + i]))
    }

    /// VaR(after) − VaR(before) for a proposed exposure change on instrument i — what the
    /// pre-trade gate uses for an order.
    /// - Complexity: O(1) from the cached Σw; no allocation.
    public func incrementalVaR(_ i: Int, exposureChange delta: Double) -> Double {
        varMultiplier * (varianceAfter(i, exposureChange: delta).squareRoot() - variance.squareRoot())
    }

    /// The classic incremental VaR of a held position: VaR − VaR(without instrument i).
    /// - Complexity: O(1).
    public func incrementalVaR(of i: Int) -> Double {
        -incrementalVaR(i, exposureChange: -exposure(i))
    }
}
