#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// VaR backtesting over recorded exceptions (days whose loss exceeded that day's VaR):
/// Kupiec's proportion-of-failures test, Christoffersen's independence test and the Basel
/// traffic-light zone.
///
/// Keeps only counts (observations, exceptions and the four transition counts of the
/// exception indicator), so recording is O(1) and allocation-free.
public struct VaRBacktest: Sendable, Equatable {
    /// Expected exception probability p = 1 − α.
    public let exceptionProbability: Double
    public private(set) var observations = 0
    public private(set) var exceptions = 0
    /// Transition counts nᵢⱼ: previous day state i, today state j (1 = exception).
    public private(set) var n00 = 0, n01 = 0, n10 = 0, n11 = 0
    private var last: Bool? = nil

    public init(confidence: Double) throws(RiskError) {
        guard confidence > 0.5 && confidence < 1 else {
            throw .invalidConfig(field: "risk.confidence", value: "\(confidence)",
                                 reason: "must be in the open interval (0.5, 1)")
        }
        exceptionProbability = 1 - confidence
    }

    /// Records one day: `exception` is true when the realised loss exceeded VaR.
    /// - Complexity: O(1).
    public mutating func record(exception: Bool) {
        observations += 1
        if exception { exceptions += 1 }
        if let prev = last {
            switch (prev, exception) {
            case (false, false): n00 += 1
            case (false, true): n01 += 1
            case (true, false): n10 += 1
            case (true, true): n11 += 1
            }
        }
        last = exception
    }

    /// Records one day from its realised P&L and that day's VaR (a positive loss amount).
    public mutating func record(pnl: Double, valueAtRisk: Double) {
        record(exception: -pnl > valueAtRisk)
    }

    public var kupiecLR: Double {
        Self.kupiecLR(observations: observations, exceptions: exceptions, p: exceptionProbability)
    }
    public var christoffersenLR: Double {
        Self.christoffersenLR(n00: n00, n01: n01, n10: n10, n11: n11)
    }
    public var trafficLight: TrafficLight {
        TrafficLight(observations: observations, exceptions: exceptions, p: exceptionProbability)
    }

    /// x·ln(y) with the convention 0·ln 0 = 0 that both likelihoods need.
    static func xlogy(_ x: Double, _ y: Double) -> Double { x == 0 ? 0 : x * log(y) }

    /// Kupiec POF: LR = −2[(T−x)ln(1−p) + x ln p] + 2[(T−x)ln(1−x/T) + x ln(x/T)],
    /// asymptotically χ²(1) under correct coverage.
    /// - Complexity: O(1).
    public static func kupiecLR(observations t: Int, exceptions x: Int, p: Double) -> Double {
        guard t > 0 else { return 0 }
        let T = Double(t), X = Double(x), phat = X / T
        let null = xlogy(T - X, 1 - p) + xlogy(X, p)
        let alt = xlogy(T - X, 1 - phat) + xlogy(X, phat)
        return max(0, -2 * (null - alt))
    }

    /// Christoffersen independence: LR = −2 ln[L(π)/L(π₀, π₁)] with
    /// π₀ = n01/(n00+n01), π₁ = n11/(n10+n11), π = (n01+n11)/(n00+n01+n10+n11);
    /// asymptotically χ²(1) under independence.
    /// - Complexity: O(1).
    public static func christoffersenLR(n00: Int, n01: Int, n10: Int, n11: Int) -> Double {
        let a = Double(n00), b = Double(n01), c = Double(n10), d = Double(n11)
        let total = a + b + c + d
        guard total > 0 else { return 0 }
        let pi = (b + d) / total
        let pi0 = a + b > 0 ? b / (a + b) : 0
        let pi1 = c + d > 0 ? d / (c + d) : 0
        let null = xlogy(a + c, 1 - pi) + xlogy(b + d, pi)
        let alt = xlogy(a, 1 - pi0) + xlogy(b, pi0) + xlogy(c, 1 - pi1) + xlogy(d, pi1)
        return max(0, -2 * (null - alt))
    }

    /// P(χ²(1) ≥ x) = erfc(√(x/2)).
    public static func chiSquare1PValue(_ x: Double) -> Double { erfc((x / 2).squareRoot()) }

    /// Basel traffic light. The zones follow the Basel Committee's definition by cumulative
    /// binomial probability of seeing at most x exceptions under correct coverage: green
    /// while P(X ≤ x) < 95%, red from 99.99%, yellow between. For 250 days at 99% that is
    /// green 0–4, yellow 5–9, red 10+.
    public enum TrafficLight: String, Sendable, Equatable {
        case green, yellow, red

        public init(observations t: Int, exceptions x: Int, p: Double) {
            let cum = VaRBacktest.binomialCDF(x, t, p)
            if cum < 0.95 { self = .green } else if cum < 0.9999 { self = .yellow } else { self = .red }
        }
    }

    /// P(X ≤ x) for X ~ Binomial(t, p), summed in log space (lgamma) so t in the
    /// thousands does not overflow.
    public static func binomialCDF(_ x: Int, _ t: Int, _ p: Double) -> Double {
        guard x >= 0 else { return 0 }
        if x >= t { return 1 }
        var s = 0.0
        let lp = log(p), lq = log1p(-p)
        for k in 0...x {
            let lc = lgamma(Double(t) + 1) - lgamma(Double(k) + 1) - lgamma(Double(t - k) + 1)
            s += exp(lc + Double(k) * lp + Double(t - k) * lq)
        }
        return min(1, s)
    }
}
