/// SplitMix64: a tiny, fast, well-mixed PRNG whose whole state is one integer, so a seed
/// pins a generated day bit for bit on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15  // &+= : the state is meant to wrap (Weyl sequence)
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0); the modulo bias is below 2^-40 for the n used here.
    @inline(__always)
    public mutating func below(_ n: UInt64) -> UInt64 { next() % n }

    /// Uniform in (0, 1].
    @inline(__always)
    public mutating func unit() -> Double { Double((next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0) }
}
