/// RiskMetrics exponentially weighted covariance of n instruments' returns.
///
/// Each update with a cross-sectional return vector r applies, for every pair (i, j),
///
///     Σᵢⱼ ← λ·Σᵢⱼ + (1 − λ)·rᵢ·rⱼ
///
/// (zero-mean returns, as RiskMetrics assumes at short horizons). Because every update adds
/// the rank-one PSD matrix (1 − λ)·r·rᵀ to the PSD matrix λ·Σ, Σ stays positive
/// semi-definite — *provided every entry of r is a return over the same interval*. That is
/// why returns come from ``ReturnSampler``, which samples mid prices on one fixed clock,
/// and never from per-instrument ticks: pairwise covariances built from misaligned
/// intervals form a matrix that need not be PSD.
///
/// Storage is one flat n×n row-major buffer holding both triangles, allocated once in
/// `init`. Keeping the full square costs 2× the flops of one triangle but makes row i —
/// which equals column i — contiguous, so Σw updates and the gate read one cache-friendly
/// row, and the update loop vectorises.
///
/// Bad vectors (any NaN/±∞ entry, or a simple return ≤ −1, i.e. a price at or below zero)
/// are counted in ``rejectedUpdates`` and skipped whole: they never touch Σ.
///
/// An entry that decays below the smallest normal double (≈ 2.2·10⁻³⁰⁸, after ~11 000
/// updates of λ = 0.94 with a return stuck at zero) becomes exactly 0: it carries no
/// information, and arithmetic on subnormal numbers takes a microcode assist of ~100 cycles
/// per operation on x86. A quiet instrument's row would otherwise slow every later update.
///
/// Not thread-safe: one owner (the coordinator loop).
public final class EWMACovariance {
    /// Number of instruments (rows/columns of Σ).
    public let dimension: Int
    /// Decay λ in (0, 1).
    public let lambda: Double
    let oneMinusLambda: Double
    let sqrtOneMinusLambda: Double
    /// √(1−λ)·r for the update in progress (n entries).
    let scaled: UnsafeMutablePointer<Double>
    /// 1/σᵢ scratch for ``maxCorrelation()`` (n entries).
    let inverseVolatility: UnsafeMutablePointer<Double>
    /// Σ, row-major n×n, both triangles kept equal.
    @usableFromInline let storage: UnsafeMutablePointer<Double>
    /// √Σᵢᵢ, made whenever Σ changes (every change goes through `_diagonalChanged()`): read on
    /// every desk step for sizing, Σ changes once per sampling period.
    @usableFromInline let _volatility: UnsafeMutablePointer<Double>
    /// Scratch for the PSD check of user overrides (n×n); never used on the hot path.
    private let scratch: UnsafeMutablePointer<Double>

    /// Return vectors applied so far.
    public internal(set) var updates: Int = 0
    /// Return vectors refused because an entry was NaN, infinite or ≤ −1.
    public internal(set) var rejectedUpdates: Int = 0

    /// - Throws: `RiskError.invalidConfig` if λ is not in (0, 1) or `dimension` < 1.
    public init(dimension: Int, lambda: Double) throws(RiskError) {
        guard dimension >= 1 && dimension <= 4096 else {
            throw .invalidConfig(field: "risk.instruments", value: "\(dimension)", reason: "must be in 1...4096")
        }
        guard lambda > 0 && lambda < 1 else {
            throw .invalidConfig(field: "risk.lambda", value: "\(lambda)",
                                 reason: "must be in the open interval (0, 1)")
        }
        self.dimension = dimension
        self.lambda = lambda
        self.oneMinusLambda = 1 - lambda
        self.sqrtOneMinusLambda = (1 - lambda).squareRoot()
        scaled = .allocate(capacity: dimension)
        scaled.initialize(repeating: 0, count: dimension)
        inverseVolatility = .allocate(capacity: dimension)
        inverseVolatility.initialize(repeating: 0, count: dimension)
        storage = .allocate(capacity: dimension * dimension)
        storage.initialize(repeating: 0, count: dimension * dimension)
        _volatility = .allocate(capacity: dimension)
        _volatility.initialize(repeating: 0, count: dimension)
        scratch = .allocate(capacity: dimension * dimension)
        scratch.initialize(repeating: 0, count: dimension * dimension)
    }

    /// Sized and tuned from the risk configuration.
    public convenience init(config: RiskConfig) {
        // RiskConfig has already validated both fields.
        try! self.init(dimension: config.instrumentCapacity, lambda: config.lambda)
    }

    deinit {
        storage.deallocate()
        _volatility.deallocate()
        scratch.deallocate()
        scaled.deallocate()
        inverseVolatility.deallocate()
    }

    /// Applies one cross-sectional return vector (`returns.count` must equal `dimension`).
    ///
    /// Returns `false`, counts, and leaves Σ untouched if the vector has the wrong length or
    /// any entry is NaN, ±∞ or ≤ −1.
    /// - Complexity: O(n²); no allocation.
    @discardableResult
    public func update(returns: UnsafeBufferPointer<Double>) -> Bool {
        guard Self.isValid(returns, dimension: dimension) else {
            rejectedUpdates &+= 1  // a counter; wrapping after 2⁶³ vectors is harmless
            return false
        }
        let n = dimension
        let lam = lambda
        let r = returns.baseAddress!
        // u = √(1−λ)·r, so the added term uᵢuⱼ is bit-for-bit equal to uⱼuᵢ and Σ stays
        // exactly symmetric (w·rᵢ·rⱼ evaluated left to right would not be).
        for i in 0..<n { scaled[i] = sqrtOneMinusLambda * r[i] }
        for i in 0..<n {
            let row = storage + i * n
            let ui = scaled[i]
            for j in 0..<n {
                let v = lam * row[j] + ui * scaled[j]
                row[j] = v.magnitude < .leastNormalMagnitude ? 0 : v  // no subnormals (see above)
            }
        }
        _diagonalChanged()
        updates &+= 1
        return true
    }

    /// Array convenience for ``update(returns:)-(UnsafeBufferPointer<Double>)``.
    /// - Complexity: O(n²); no allocation.
    @discardableResult
    public func update(returns: [Double]) -> Bool {
        returns.withUnsafeBufferPointer { update(returns: $0) }
    }

    /// True if the vector has `dimension` entries, all finite and > −1.
    static func isValid(_ r: UnsafeBufferPointer<Double>, dimension: Int) -> Bool {
        guard r.count == dimension else { return false }
        for x in r where !(x.isFinite && x > -1) { return false }
        return true
    }

    /// Σᵢⱼ. Indices must be in `0..<dimension` (checked with a precondition).
    /// - Complexity: O(1).
    @inlinable public func covariance(_ i: Int, _ j: Int) -> Double {
        precondition(i >= 0 && i < dimension && j >= 0 && j < dimension, "instrument index out of range")
        return storage[i * dimension + j]
    }

    /// σᵢ² = Σᵢᵢ.
    /// - Complexity: O(1).
    public func variance(_ i: Int) -> Double { covariance(i, i) }

    /// σᵢ = √Σᵢᵢ.
    /// - Complexity: O(1).
    @inlinable public func volatility(_ i: Int) -> Double {
        precondition(i >= 0 && i < dimension, "instrument index out of range")
        return _volatility[i]
    }

    /// Remakes the √Σᵢᵢ that `volatility(_:)` returns; called by everything that writes Σ.
    /// - Complexity: O(n).
    func _diagonalChanged() {
        let n = dimension
        for i in 0..<n { _volatility[i] = storage[i * n + i].squareRoot() }
    }

    /// ρᵢⱼ = Σᵢⱼ/(σᵢσⱼ); 0 when either variance is still 0 (no information yet), 1 on the
    /// diagonal. Clamped to [−1, 1] against rounding.
    /// - Complexity: O(1).
    public func correlation(_ i: Int, _ j: Int) -> Double {
        if i == j { return 1 }
        let vi = covariance(i, i), vj = covariance(j, j)
        guard vi > 0 && vj > 0 else { return 0 }
        let rho = covariance(i, j) / (vi * vj).squareRoot()
        return min(1, max(-1, rho))
    }

    /// The largest off-diagonal correlation and its pair; (−∞, −1, −1) when n < 2 or no
    /// pair has variance yet. Feeds the correlation-spike breaker.
    /// - Complexity: O(n²); no allocation.
    public func maxCorrelation() -> (value: Double, i: Int, j: Int) {
        let n = dimension
        // 1/σᵢ once per row (n square roots and divisions instead of n²/2), 0 for no data.
        for i in 0..<n {
            let v = storage[i * n + i]
            inverseVolatility[i] = v > 0 ? 1 / v.squareRoot() : 0
        }
        var best = -Double.infinity, bi = -1, bj = -1
        for i in 0..<n {
            let si = inverseVolatility[i]
            guard si > 0 else { continue }
            let row = storage + i * n
            for j in (i + 1)..<max(i + 1, n) {
                let rho = row[j] * si * inverseVolatility[j]
                if inverseVolatility[j] > 0 && rho > best { best = rho; bi = i; bj = j }
            }
        }
        return (min(best, 1), bi, bj)
    }

    /// Replaces Σ with a user-supplied covariance matrix (row-major n×n), after checking it
    /// is finite, symmetric and positive semi-definite. On any error Σ is left unchanged.
    /// - Throws: `RiskError.invalidMatrix` or `.notPositiveSemidefinite` naming the entry.
    /// - Complexity: O(n³) (Cholesky); not for the hot path.
    public func override(covariance matrix: [Double]) throws(RiskError) {
        let n = dimension
        guard matrix.count == n * n else {
            throw .invalidMatrix(row: -1, column: -1, value: Double(matrix.count),
                                 reason: "expected \(n * n) entries (\(n)×\(n))")
        }
        for i in 0..<n {
            for j in 0..<n {
                let a = matrix[i * n + j]
                guard a.isFinite else { throw .invalidMatrix(row: i, column: j, value: a, reason: "not finite") }
                if i == j && a < 0 { throw .invalidMatrix(row: i, column: j, value: a, reason: "negative variance") }
                let b = matrix[j * n + i]
                guard abs(a - b) <= 1e-12 * max(1, abs(a)) else {
                    throw .invalidMatrix(row: i, column: j, value: a, reason: "not symmetric (mirror is \(b))")
                }
            }
        }
        try Self.checkPSD(matrix, n: n, scratch: scratch)
        for k in 0..<(n * n) { storage[k] = matrix[k] }
        _diagonalChanged()
    }

    /// Replaces Σ with D·R·D from a user correlation matrix R (row-major n×n, unit diagonal,
    /// |ρ| ≤ 1, symmetric, PSD) and per-instrument volatilities σ (D = diag σ).
    /// - Throws: `RiskError.invalidMatrix` or `.notPositiveSemidefinite` naming the entry.
    /// - Complexity: O(n³); not for the hot path.
    public func override(correlation: [Double], volatilities: [Double]) throws(RiskError) {
        let n = dimension
        guard correlation.count == n * n else {
            throw .invalidMatrix(row: -1, column: -1, value: Double(correlation.count),
                                 reason: "expected \(n * n) correlation entries")
        }
        guard volatilities.count == n else {
            throw .invalidMatrix(row: -1, column: -1, value: Double(volatilities.count),
                                 reason: "expected \(n) volatilities")
        }
        var cov = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            let si = volatilities[i]
            guard si.isFinite && si >= 0 else {
                throw .invalidMatrix(row: i, column: i, value: si, reason: "volatility must be finite and >= 0")
            }
            for j in 0..<n {
                let rho = correlation[i * n + j]
                guard rho.isFinite && abs(rho) <= 1 else {
                    throw .invalidMatrix(row: i, column: j, value: rho, reason: "correlation must be in [-1, 1]")
                }
                if i == j && rho != 1 {
                    throw .invalidMatrix(row: i, column: j, value: rho, reason: "diagonal must be 1")
                }
                cov[i * n + j] = si * rho * volatilities[j]
            }
        }
        // Check R, not D·R·D: a zero volatility would hide a non-PSD correlation block.
        try Self.checkPSD(correlation, n: n, scratch: scratch)
        try override(covariance: cov)
    }

    /// Cholesky with a relative tolerance: a pivot below −tol·max diagonal means "not PSD";
    /// tiny negatives from rounding on a singular (but PSD) matrix are treated as 0.
    private static func checkPSD(_ a: [Double], n: Int, scratch l: UnsafeMutablePointer<Double>) throws(RiskError) {
        var maxDiag = 0.0
        for i in 0..<n { maxDiag = max(maxDiag, abs(a[i * n + i])) }
        let tol = 1e-10 * max(maxDiag, 1e-300)
        for i in 0..<(n * n) { l[i] = 0 }
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            if d < -tol { throw .notPositiveSemidefinite(row: j, pivot: d) }
            let ljj = d > tol ? d.squareRoot() : 0
            l[j * n + j] = ljj
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if ljj > 0 {
                    l[i * n + j] = s / ljj
                } else if abs(s) > tol.squareRoot() * max(maxDiag, 1e-300).squareRoot() {
                    // A zero pivot with a non-zero coupling below it: not PSD.
                    throw .notPositiveSemidefinite(row: j, pivot: d)
                }
            }
        }
    }

    /// Resets Σ to zero and the counters (e.g. start of a backtest).
    /// - Complexity: O(n²).
    public func reset() {
        storage.update(repeating: 0, count: dimension * dimension)
        _diagonalChanged()
        updates = 0
        rejectedUpdates = 0
    }
}
