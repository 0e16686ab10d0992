import Testing
@testable import QuorumRisk
import QuorumJournal
#if canImport(Glibc)
import Glibc
#endif

@Suite("Normal distribution")
struct NormalDistributionTests {
    // Reference values are scipy.stats.norm.ppf (scipy 1.17.1), printed with %.17g in the
    // session that wrote this test.
    @Test("quantile agrees with scipy to 1e-9 relative across centre and tails",
          arguments: [
            (0.9, 1.2815515655446004), (0.95, 1.6448536269514722), (0.975, 1.959963984540054),
            (0.99, 2.3263478740408408), (0.999, 3.0902323061678132), (1e-10, -6.3613409024040557),
            (0.02425, -1.9729610513118849), (0.97575, 1.9729610513118849),
            (1 - 1e-12, 7.0344869100478356), (0.3, -0.52440051270804089),
          ])
    func quantileMatchesReference(p: Double, expected: Double) {
        #expect(relativeError(NormalDistribution.quantile(p), expected) < 1e-9)
    }

    @Test("quantile(0.5) is 0 and the edges are ±∞/NaN")
    func quantileEdges() {
        #expect(abs(NormalDistribution.quantile(0.5)) < 1e-15)
        #expect(NormalDistribution.quantile(0) == -.infinity)
        #expect(NormalDistribution.quantile(1) == .infinity)
        #expect(NormalDistribution.quantile(1.5).isNaN)
        #expect(NormalDistribution.quantile(.nan).isNaN)
    }

    @Test("ES multiplier is φ(z)/(1−α)·√h")
    func esMultiplier() throws {
        let c = try RiskConfig(instrumentCapacity: 1, confidence: 0.99, horizon: 4)
        // φ(z₀.₉₉) = 0.02665214220345808 (scipy); /0.01 · √4
        #expect(relativeError(c.esMultiplier, 0.02665214220345808 / 0.01 * 2) < 1e-9)
        #expect(relativeError(c.varMultiplier, 2.3263478740408408 * 2) < 1e-9)
    }
}

@Suite("Configuration")
struct ConfigTests {
    @Test("λ outside (0, 1) is rejected with the field and value",
          arguments: [0.0, 1.0, -0.1, 1.5, Double.nan, Double.infinity])
    func lambdaOutsideOpenInterval(lambda: Double) {
        #expect(throws: RiskError.self) { try RiskConfig(instrumentCapacity: 3, lambda: lambda) }
        do {
            _ = try EWMACovariance(dimension: 3, lambda: lambda)
            Issue.record("accepted λ = \(lambda)")
        } catch {
            guard case .invalidConfig(let field, _, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(field == "risk.lambda")
        }
    }

    @Test("confidence, horizon, capacity and window are validated")
    func otherFields() {
        #expect(throws: RiskError.self) { try RiskConfig(instrumentCapacity: 0) }
        #expect(throws: RiskError.self) { try RiskConfig(instrumentCapacity: 2, confidence: 1) }
        #expect(throws: RiskError.self) { try RiskConfig(instrumentCapacity: 2, confidence: 0.4) }
        #expect(throws: RiskError.self) { try RiskConfig(instrumentCapacity: 2, horizon: 0.5) }
        #expect(throws: RiskError.self) { try RiskConfig(instrumentCapacity: 2, pnlWindow: 1) }
        #expect((try? RiskConfig(instrumentCapacity: 2))?.lambda == 0.94)
    }
}

@Suite("EWMA estimator against full recomputation")
struct EWMAReferenceTests {
    /// n = 8 keeps 100k updates × n² (estimator and reference both) to about a second in a
    /// debug build. Returns come from a one-factor model so every pair is materially
    /// correlated and relative errors on off-diagonals are meaningful.
    static let n = 8
    static let updates = 100_000

    @Test("Σ, ρ, σₚ, Σw, marginal and component VaR agree to 1e-9 after 100k random updates with random position changes")
    func agreesWithReferenceAfter100kUpdates() throws {
        let n = Self.n
        let config = try RiskConfig(instrumentCapacity: n, lambda: 0.97, confidence: 0.99, horizon: 1)
        let risk = PortfolioRisk(config: config)
        var rng = SeededGenerator(seed: 42)
        var history: [[Double]] = []
        history.reserveCapacity(Self.updates)
        var w = [Double](repeating: 0, count: n)
        let betas = (0..<n).map { _ in 0.5 + rng.uniform() }
        var r = [Double](repeating: 0, count: n)
        for t in 0..<Self.updates {
            let f = 0.01 * rng.normal()
            for i in 0..<n { r[i] = betas[i] * f + 0.006 * rng.normal() }
            #expect(risk.update(returns: r))
            history.append(r)
            if t % 7 == 0 {  // a position change between return vectors
                let i = Int(rng.next() % UInt64(n))
                w[i] = (rng.uniform() - 0.4) * 1_000_000
                risk.setExposure(i, w[i])
            }
        }
        let ref = referenceCovariance(history: history, lambda: 0.97, n: n)
        var worst = 0.0
        for i in 0..<n {
            for j in 0..<n {
                worst = max(worst, relativeError(risk.covariance.covariance(i, j), ref[i * n + j]))
                let rho = ref[i * n + j] / (ref[i * n + i] * ref[j * n + j]).squareRoot()
                worst = max(worst, relativeError(risk.covariance.correlation(i, j), rho))
            }
        }
        #expect(worst < 1e-9, "worst Σ/ρ relative error \(worst)")

        var sw = [Double](repeating: 0, count: n)
        var variance = 0.0
        for i in 0..<n {
            for j in 0..<n { sw[i] += ref[i * n + j] * w[j] }
            variance += w[i] * sw[i]
        }
        let sigma = variance.squareRoot()
        #expect(relativeError(risk.volatility, sigma) < 1e-9)
        let z = 2.3263478740408408  // scipy norm.ppf(0.99)
        #expect(relativeError(risk.valueAtRisk, z * sigma) < 1e-9)
        var componentSum = 0.0
        for i in 0..<n {
            #expect(relativeError(risk.sigmaW(i), sw[i]) < 1e-9)
            let marginal = z * sw[i] / sigma
            #expect(relativeError(risk.marginalVaR(i), marginal) < 1e-9)
            #expect(relativeError(risk.componentVaR(i), w[i] * marginal) < 1e-9)
            componentSum += risk.componentVaR(i)
        }
        #expect(relativeError(componentSum, risk.valueAtRisk) < 1e-9, "Euler: components sum to VaR")
        #expect(risk.covariance.updates == Self.updates)
        #expect(risk.covariance.rejectedUpdates == 0)
    }

    @Test("a return stuck at zero decays its row to exactly 0, never through subnormal numbers; the other entries are the plain recursion's, bit for bit")
    func quietInstrumentDecaysToZero() throws {
        let n = 3, lambda = 0.94
        let risk = PortfolioRisk(config: try RiskConfig(instrumentCapacity: n, lambda: lambda))
        risk.setExposure(0, 50_000); risk.setExposure(2, 20_000)
        var rng = SeededGenerator(seed: 7)
        // Instrument 2 trades for 50 updates, then its mid never moves again: its row decays
        // by λ per update and would reach the subnormal range after ~11 000.
        var plain = [Double](repeating: 0, count: n * n)  // the recursion without the flush
        let u = (1 - lambda).squareRoot()
        var sawSubnormalInPlain = false
        for t in 0..<13_000 {
            let r = [0.01 * rng.normal(), 0.01 * rng.normal(), t < 50 ? 0.01 * rng.normal() : 0]
            #expect(risk.update(returns: r))
            for i in 0..<n { for j in 0..<n { plain[i * n + j] = lambda * plain[i * n + j] + (u * r[i]) * (u * r[j]) } }
            sawSubnormalInPlain = sawSubnormalInPlain || plain.contains { $0 != 0 && $0.magnitude < .leastNormalMagnitude }
            for i in 0..<n { for j in 0..<n {
                let v = risk.covariance.covariance(i, j)
                #expect(v == 0 || v.magnitude >= .leastNormalMagnitude, "Σ[\(i)][\(j)] = \(v) at update \(t)")
            } }
            for i in 0..<n { #expect(risk.sigmaW(i) == 0 || risk.sigmaW(i).magnitude >= .leastNormalMagnitude) }
        }
        #expect(sawSubnormalInPlain)  // the case the flush is for did arise
        for k in [2, 5, 6, 7, 8] { #expect(risk.covariance.covariance(k / n, k % n) == 0) }  // row and column 2
        // The live instruments' entries are untouched by the flush.
        for k in [0, 1, 3, 4] { #expect(risk.covariance.covariance(k / n, k % n) == plain[k]) }
        #expect(risk.covariance.volatility(2) == 0)
        #expect(risk.covariance.correlation(0, 2) == 0)
    }

    @Test("σᵢ is √Σᵢᵢ after updates, both overrides, a state image read into a fresh estimator, and a reset")
    func volatilityFollowsTheDiagonal() throws {
        let cov = try EWMACovariance(dimension: 3, lambda: 0.94)
        func expectDiagonal(_ c: EWMACovariance, _ note: String) {
            for i in 0..<3 { #expect(c.volatility(i) == c.covariance(i, i).squareRoot(), "\(note): σ\(i)") }
        }
        expectDiagonal(cov, "new")
        for k in 0..<5 { cov.update(returns: [0.01 * Double(k), -0.02, 0.005 * Double(k % 2)]) }
        expectDiagonal(cov, "updated")
        #expect(cov.volatility(1) > 0)
        try cov.override(correlation: [1, 0.5, 0, 0.5, 1, 0, 0, 0, 1], volatilities: [0.1, 0.2, 0.3])
        expectDiagonal(cov, "correlation override")
        #expect(abs(cov.volatility(2) - 0.3) < 1e-15)
        try cov.override(covariance: [0.04, 0, 0, 0, 0.09, 0, 0, 0, 0.16])
        expectDiagonal(cov, "covariance override")
        #expect(cov.volatility(1) == 0.3)
        cov.update(returns: [0.03, -0.01, 0.02])
        var w = StateImage()
        try cov.image(&w)
        let restored = try EWMACovariance(dimension: 3, lambda: 0.94)
        var r = StateImage(reading: w.bytes)
        try restored.image(&r)
        try r.finish()
        expectDiagonal(restored, "restored")
        #expect((0..<3).map(restored.volatility) == (0..<3).map(cov.volatility))
        cov.reset()
        expectDiagonal(cov, "reset")
        #expect(cov.volatility(0) == 0)
    }

    @Test("incremental σₚ² after a position change equals full wᵀΣw, and incremental VaR equals VaR(after) − VaR(before)")
    func incrementalVarianceEqualsFull() throws {
        let n = 12
        let config = try RiskConfig(instrumentCapacity: n, lambda: 0.94)
        let risk = PortfolioRisk(config: config)
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<500 { risk.update(returns: (0..<n).map { _ in 0.01 * rng.normal() }) }
        var w = (0..<n).map { _ in (rng.uniform() - 0.5) * 2e5 }
        for i in 0..<n { risk.setExposure(i, w[i]) }
        func full(_ w: [Double]) -> Double {
            var v = 0.0
            for i in 0..<n { for j in 0..<n { v += w[i] * risk.covariance.covariance(i, j) * w[j] } }
            return v
        }
        for step in 0..<200 {
            let i = step % n
            let delta = (rng.uniform() - 0.5) * 1e5
            let before = risk.valueAtRisk
            let predicted = risk.varianceAfter(i, exposureChange: delta)
            let predictedIncrement = risk.incrementalVaR(i, exposureChange: delta)
            w[i] += delta
            risk.setExposure(i, w[i])
            let exact = full(w)
            #expect(relativeError(risk.variance, exact) < 1e-9)
            #expect(relativeError(predicted, exact) < 1e-9)
            #expect(abs(predictedIncrement - (risk.valueAtRisk - before)) <= 1e-9 * risk.valueAtRisk)
        }
        // Incremental VaR of a held position: VaR − VaR(without it).
        var without = w; without[3] = 0
        let expected = risk.varMultiplier * (full(w).squareRoot() - full(without).squareRoot())
        #expect(relativeError(risk.incrementalVaR(of: 3), expected) < 1e-9)
    }
}

@Suite("Bad input never poisons the estimator")
struct BadInputTests {
    static func snapshot(_ c: EWMACovariance) -> [Double] {
        (0..<(c.dimension * c.dimension)).map { c.covariance($0 / c.dimension, $0 % c.dimension) }
    }

    @Test("NaN, ±∞, ≤ −1 and wrong-length return vectors are counted and skipped whole",
          arguments: [[0.01, .nan, 0.0], [.infinity, 0, 0], [0, 0, -.infinity], [0.01, -1.0, 0.02], [0.01, 0.02]])
    func badVectors(bad: [Double]) throws {
        let cov = try EWMACovariance(dimension: 3, lambda: 0.94)
        cov.update(returns: [0.01, -0.02, 0.005])
        cov.update(returns: [0.003, 0.01, -0.004])
        let before = Self.snapshot(cov)
        #expect(cov.update(returns: bad) == false)
        #expect(cov.rejectedUpdates == 1)
        #expect(cov.updates == 2)
        #expect(Self.snapshot(cov) == before)
    }

    @Test("a bad vector leaves σₚ² and Σw untouched too")
    func badVectorPortfolio() throws {
        let risk = PortfolioRisk(config: try RiskConfig(instrumentCapacity: 2))
        risk.update(returns: [0.01, 0.02])
        risk.setExposure(0, 1000); risk.setExposure(1, -500)
        let v = risk.variance
        #expect(risk.update(returns: [.nan, 0]) == false)
        #expect(risk.variance == v)
        #expect(risk.setExposure(5, 1) == false)
        #expect(risk.setExposure(0, .infinity) == false)
        #expect(risk.rejectedExposures == 2)
        #expect(risk.variance == v)
    }

    @Test("a correlation override that is not PSD is rejected and Σ is unchanged")
    func nonPSDOverride() throws {
        let cov = try EWMACovariance(dimension: 3, lambda: 0.94)
        cov.update(returns: [0.01, -0.02, 0.005])
        let before = Self.snapshot(cov)
        // ρ12 = ρ13 = 0.9 but ρ23 = −0.9: impossible (determinant < 0).
        let bad = [1, 0.9, 0.9,
                   0.9, 1, -0.9,
                   0.9, -0.9, 1]
        do {
            try cov.override(correlation: bad, volatilities: [0.01, 0.02, 0.03])
            Issue.record("accepted a non-PSD correlation matrix")
        } catch {
            guard case .notPositiveSemidefinite(let row, let pivot) = error else { Issue.record("\(error)"); return }
            #expect(row == 2)
            #expect(pivot < 0)
        }
        #expect(Self.snapshot(cov) == before)
        #expect(throws: RiskError.self) { try cov.override(correlation: [1, 0.5, 0, 0.4, 1, 0, 0, 0, 1], volatilities: [1, 1, 1]) }
        #expect(throws: RiskError.self) { try cov.override(correlation: [1, 1.2, 0, 1.2, 1, 0, 0, 0, 1], volatilities: [1, 1, 1]) }
        #expect(throws: RiskError.self) { try cov.override(correlation: [0.9, 0, 0, 0, 1, 0, 0, 0, 1], volatilities: [1, 1, 1]) }
        #expect(Self.snapshot(cov) == before)
        // A singular but PSD matrix (perfect correlation) is accepted.
        try cov.override(correlation: [1, 1, 0, 1, 1, 0, 0, 0, 1], volatilities: [0.01, 0.02, 0.03])
        #expect(abs(cov.covariance(0, 1) - 0.0002) < 1e-18)
    }
}

@Suite("Return sampler")
struct ReturnSamplerTests {
    @Test("asynchronous mids become same-interval returns on the clock; bad mids are counted")
    func samplesOnClock() throws {
        let s = try ReturnSampler(dimension: 3)
        var out = [Double](repeating: -9, count: 3)
        s.updateMid(0, 100); s.updateMid(1, 50)
        #expect(s.sample(into: &out) == false, "first tick only sets the baseline")
        s.updateMid(0, 101); s.updateMid(0, 102)    // last value wins
        s.updateMid(2, 20)                          // first price for 2: baseline only
        #expect(s.updateMid(1, -50) == false)
        #expect(s.updateMid(1, 0) == false)
        #expect(s.updateMid(1, .nan) == false)
        #expect(s.updateMid(3, 10) == false)
        #expect(s.updateMid(-1, 10) == false)
        #expect(s.sample(into: &out))
        #expect(out == [102.0 / 100 - 1, 0, 0])
        s.updateMid(2, ticks: 210_000)  // 21.0000
        #expect(s.sample(into: &out))
        #expect(out == [0, 0, 21.0 / 20 - 1])
        #expect(s.invalidPriceUpdates == 3)
        #expect(s.unknownInstrumentUpdates == 2)
    }

    @Test("Σ built from sampled vectors stays PSD even with stale and missing prices")
    func staysPSD() throws {
        let n = 6
        let s = try ReturnSampler(dimension: n)
        let cov = try EWMACovariance(dimension: n, lambda: 0.9)
        var rng = SeededGenerator(seed: 3)
        var mids = [Double](repeating: 100, count: n)
        var out = [Double](repeating: 0, count: n)
        for _ in 0..<2000 {
            // Each instrument updates with probability 0.3 per interval: asynchronous.
            for i in 0..<n where rng.uniform() < 0.3 {
                mids[i] *= 1 + 0.01 * rng.normal()
                s.updateMid(i, mids[i])
            }
            if s.sample(into: &out) { cov.update(returns: out) }
        }
        let m = (0..<(n * n)).map { cov.covariance($0 / n, $0 % n) }
        // The estimator's own matrix must pass the PSD check it applies to user overrides.
        try cov.override(covariance: m)
    }
}

@Suite("Overrides keep σₚ in step")
struct OverrideTests {
    @Test("PortfolioRisk.override rebuilds Σw and σₚ²; a rejected override changes nothing")
    func overrideRecomputes() throws {
        let risk = PortfolioRisk(config: try RiskConfig(instrumentCapacity: 2))
        risk.update(returns: [0.01, -0.02])
        risk.setExposure(0, 1_000); risk.setExposure(1, 2_000)
        try risk.override(correlation: [1, 0.5, 0.5, 1], volatilities: [0.1, 0.2])
        // wᵀΣw = 1000²·0.01 + 2000²·0.04 + 2·1000·2000·0.5·0.1·0.2 = 10 000 + 160 000 + 40 000
        #expect(abs(risk.variance - 210_000) < 1e-6)
        #expect(throws: RiskError.self) { try risk.override(correlation: [1, 2, 2, 1], volatilities: [0.1, 0.2]) }
        #expect(abs(risk.variance - 210_000) < 1e-6)
    }
}
