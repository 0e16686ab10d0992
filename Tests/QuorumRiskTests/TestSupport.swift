@testable import QuorumRisk

/// SplitMix64: a tiny seeded generator, so every test run sees the same numbers.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15  // golden-ratio increment, wrapping by design
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
    /// Standard normal by Box–Muller (one of the pair; simplicity over speed).
    mutating func normal() -> Double {
        let u1 = uniform(), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#endif

func relativeError(_ a: Double, _ b: Double) -> Double {
    a == b ? 0 : abs(a - b) / max(abs(a), abs(b))
}

/// Full n×n reference Σ = Σₜ (1−λ)λ^(T−t) rₜrₜᵀ recomputed from the whole history,
/// independently of the estimator's recursion (newest first, explicit weights).
func referenceCovariance(history: [[Double]], lambda: Double, n: Int) -> [Double] {
    var cov = [Double](repeating: 0, count: n * n)
    var weight = 1 - lambda
    for r in history.reversed() {
        if weight == 0 { break }  // λ^k underflowed: every older term is exactly 0 too
        for i in 0..<n { for j in 0..<n { cov[i * n + j] += weight * r[i] * r[j] } }
        weight *= lambda
    }
    return cov
}
