#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal distribution: density, CDF and quantile, computed in code.
///
/// The quantile starts from Acklam's rational approximation (relative error ≈ 1.15e-9) and
/// takes one Halley step on Φ(x) − p using libm's `erfc`, which brings it to a few ulps —
/// comfortably inside the 1e-9 the risk numbers need.
public enum NormalDistribution {
    /// φ(x) = exp(−x²/2)/√(2π).
    /// - Complexity: O(1).
    public static func density(_ x: Double) -> Double {
        0.398_942_280_401_432_677_94 * exp(-0.5 * x * x)
    }

    /// Φ(x) via erfc, which keeps full relative precision in the lower tail.
    /// - Complexity: O(1).
    public static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.707_106_781_186_547_524_40)
    }

    /// Φ⁻¹(p) for p in (0, 1); returns −∞/+∞ at 0/1 and NaN outside [0, 1].
    /// - Complexity: O(1).
    public static func quantile(_ p: Double) -> Double {
        guard p > 0 && p < 1 else {
            if p == 0 { return -.infinity }
            if p == 1 { return .infinity }
            return .nan
        }
        // Acklam's coefficients for the central and tail regions.
        let a0 = -3.969683028665376e+01, a1 = 2.209460984245205e+02
        let a2 = -2.759285104469687e+02, a3 = 1.383577518672690e+02
        let a4 = -3.066479806614716e+01, a5 = 2.506628277459239e+00
        let b0 = -5.447609879822406e+01, b1 = 1.615858368580409e+02
        let b2 = -1.556989798598866e+02, b3 = 6.680131188771972e+01
        let b4 = -1.328068155288572e+01
        let c0 = -7.784894002430293e-03, c1 = -3.223964580411365e-01
        let c2 = -2.400758277161838e+00, c3 = -2.549732539343734e+00
        let c4 = 4.374664141464968e+00, c5 = 2.938163982698783e+00
        let d0 = 7.784695709041462e-03, d1 = 3.224671290700398e-01
        let d2 = 2.445134137142996e+00, d3 = 3.754408661907416e+00
        let pLow = 0.02425
        var x: Double
        if p < pLow {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5)
                / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
        } else if p <= 1 - pLow {
            let q = p - 0.5
            let r = q * q
            x = (((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q
                / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
        } else {
            let q = (-2 * log1p(-p)).squareRoot()
            x = -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5)
                / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
        }
        // One Halley step: e = Φ(x) − p, u = e/φ(x), x ← x − u/(1 + x·u/2).
        // In the upper tail use the complementary form so e keeps its precision.
        // Φ(x) − p; above the median write it as (1 − p) − Q(x), Q = upper tail, so neither
        // side is a difference of two numbers close to 1.
        let e = p > 0.5
            ? (1 - p) - 0.5 * erfc(x * 0.707_106_781_186_547_524_40)
            : cdf(x) - p
        let u = e * (2.506_628_274_631_000_502_42) * exp(0.5 * x * x)
        x = x - u / (1 + 0.5 * x * u)
        return x
    }
}
