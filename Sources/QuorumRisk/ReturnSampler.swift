/// Turns asynchronous per-instrument mid-price updates into cross-sectional return vectors
/// on a fixed clock — the only way return vectors reach ``EWMACovariance``.
///
/// How a return vector is formed:
/// 1. Between clock ticks, ``updateMid(_:_:)`` records each instrument's latest mid price
///    (last value wins; updates arrive at any time and in any order).
/// 2. On every tick of the sampling clock (Config's period, driven by the coordinator's
///    timer events so replay reproduces it), ``sample(into:)`` writes, for *every*
///    instrument, the simple return of its last mid over the *same* interval:
///    rᵢ = midᵢ(t)/midᵢ(t−1) − 1. An instrument whose mid did not change, or that did not
///    trade in the interval, gets the previous-tick mid carried forward, i.e. rᵢ = 0.
/// 3. The first tick only establishes the baseline prices and emits nothing; an instrument
///    whose first mid arrives later contributes 0 on the tick that sets its baseline.
///
/// Because all entries of the vector measure the same interval, Σ's update is a rank-one
/// PSD term and Σ stays PSD (see ``EWMACovariance``). Carrying stale prices forward biases
/// correlations of illiquid instruments towards zero (the Epps effect); choose the clock
/// period longer than the slowest instrument's typical quote interval.
///
/// Bad input — an index outside `0..<dimension`, or a mid that is NaN, ±∞, zero or
/// negative — is counted and skipped; the previous mid stays in force.
///
/// Not thread-safe: one owner (the coordinator loop).
public final class ReturnSampler {
    public let dimension: Int
    let lastMid: UnsafeMutablePointer<Double>
    let baseMid: UnsafeMutablePointer<Double>
    /// Clock ticks seen (including the first, which emits nothing).
    public internal(set) var ticks: Int = 0
    /// Mid updates refused because the instrument index was out of range.
    public internal(set) var unknownInstrumentUpdates: Int = 0
    /// Mid updates refused because the price was NaN, ±∞, zero or negative.
    public internal(set) var invalidPriceUpdates: Int = 0

    /// - Throws: `RiskError.invalidConfig` if `dimension` is not in 1...4096.
    public init(dimension: Int) throws(RiskError) {
        guard dimension >= 1 && dimension <= 4096 else {
            throw .invalidConfig(field: "risk.instruments", value: "\(dimension)", reason: "must be in 1...4096")
        }
        self.dimension = dimension
        lastMid = .allocate(capacity: dimension)
        lastMid.initialize(repeating: 0, count: dimension)
        baseMid = .allocate(capacity: dimension)
        baseMid.initialize(repeating: 0, count: dimension)
    }

    deinit {
        lastMid.deallocate()
        baseMid.deallocate()
    }

    /// Records instrument `i`'s latest mid. Returns `false` (and counts) for bad input.
    /// - Complexity: O(1).
    @discardableResult
    public func updateMid(_ i: Int, _ mid: Double) -> Bool {
        guard i >= 0 && i < dimension else { unknownInstrumentUpdates &+= 1; return false }
        guard mid.isFinite && mid > 0 else { invalidPriceUpdates &+= 1; return false }
        lastMid[i] = mid
        return true
    }

    /// Fixed-point variant: `ticks` in ITCH's 4 implied decimals.
    /// - Complexity: O(1).
    @discardableResult
    public func updateMid(_ i: Int, ticks: Int64) -> Bool {
        updateMid(i, Double(ticks) / 10_000)  // division, not × 1e-4: exact for whole prices
    }

    /// On a clock tick: writes every instrument's return since the previous tick into
    /// `out` (which must hold `dimension` entries) and rolls the baseline forward.
    /// Returns `false` on the first tick (no interval yet) or if `out` is too short.
    /// - Complexity: O(n); no allocation.
    public func sample(into out: UnsafeMutableBufferPointer<Double>) -> Bool {
        guard out.count >= dimension else { return false }
        ticks &+= 1
        let emit = ticks > 1
        for i in 0..<dimension {
            let now = lastMid[i], before = baseMid[i]
            if emit { out[i] = (before > 0 && now > 0) ? now / before - 1 : 0 }
            baseMid[i] = now
        }
        return emit
    }

    /// Array convenience for ``sample(into:)-(UnsafeMutableBufferPointer<Double>)``.
    /// - Complexity: O(n); no allocation when `out` already has `dimension` elements.
    public func sample(into out: inout [Double]) -> Bool {
        out.withUnsafeMutableBufferPointer { sample(into: $0) }
    }
}
