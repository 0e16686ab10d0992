/// A named stress scenario: instantaneous simple-return shocks applied to the current
/// exposures, evaluated on demand (not on the hot path).
///
/// Shocks target every instrument, a sector, or one instrument; the most specific wins
/// (instrument over sector over all), so "BTC −20%, alts −35%" is written as
/// `[.all(-0.35), .instrument(btc, -0.20)]`, and the order of shocks does not matter.
public struct StressScenario: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case all
        case sector(Int)
        case instrument(Int)
    }

    public struct Shock: Sendable, Equatable {
        public var target: Target
        /// Simple return, ≥ −1 (a price cannot fall below zero).
        public var shock: Double
        public init(_ target: Target, _ shock: Double) { self.target = target; self.shock = shock }
    }

    public let name: String
    public let shocks: [Shock]

    /// - Throws: `RiskError.invalidConfig` naming the scenario and the shock if a shock is
    ///   not finite or is below −100%.
    public init(name: String, shocks: [Shock]) throws(RiskError) {
        for (k, s) in shocks.enumerated() where !(s.shock.isFinite && s.shock >= -1) {
            throw .invalidConfig(field: "risk.stress.\(name).shocks[\(k)]", value: "\(s.shock)",
                                 reason: "shock must be a finite simple return >= -1")
        }
        self.name = name
        self.shocks = shocks
    }

    /// The shock applied to instrument `i` in `sector` (0 if no shock targets it).
    /// - Complexity: O(number of shocks).
    public func shock(instrument i: Int, sector: Int) -> Double {
        var all: Double? = nil, sec: Double? = nil
        for s in shocks {
            switch s.target {
            case .instrument(let j) where j == i: return s.shock
            case .sector(let k) where k == sector: sec = s.shock
            case .all: all = s.shock
            default: break
            }
        }
        return sec ?? all ?? 0
    }

    /// Scenario P&L = Σᵢ wᵢ·shockᵢ for exposures w and sector assignment `sectors`.
    /// - Complexity: O(n · shocks).
    public func pnl(exposures: [Double], sectors: [Int]) -> Double {
        var total = 0.0
        for i in exposures.indices {
            total += exposures[i] * shock(instrument: i, sector: i < sectors.count ? sectors[i] : -1)
        }
        return total
    }
}
