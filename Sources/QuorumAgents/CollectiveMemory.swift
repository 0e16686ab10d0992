/// What the desk remembers about one pattern in one regime.
@frozen public struct MemoryCell: Sendable, BitwiseCopyable, Equatable {
    public var wins: Int32 = 0
    public var losses: Int32 = 0
    /// Mean direction-adjusted return of the closed trades.
    public var meanReturn: Double = 0
    /// Event time of the last outcome recorded (ns).
    public var lastTested: UInt64 = 0
    /// Agents that contributed (bit i = agent i, agents 0…63).
    public var contributors: UInt64 = 0
    public init() {}
    public var trades: Int { Int(wins) + Int(losses) }
}

/// Collective memory: per pattern × regime, wins, losses, mean return, last tested and
/// contributors; updated when a position closes (each signal that opened it is credited
/// with the outcome) and consulted to scale a new signal's confidence.
///
/// The scale is 2·p̂ with p̂ = (wins + 1)/(trades + 2) (Laplace's rule, so one lucky trade
/// does not swing it), clamped to [minScale, maxScale], and 1 until `minTrades` trades are
/// known.
///
/// Not thread-safe; one owner.
public final class CollectiveMemory {
    public let minTrades: Int
    public let minScale: Double
    public let maxScale: Double
    @exclusivity(unchecked) var cells: [MemoryCell]
    @exclusivity(unchecked) public internal(set) var recorded = 0
    @exclusivity(unchecked) public internal(set) var consulted = 0
    /// Consultations that changed a confidence.
    @exclusivity(unchecked) public internal(set) var adjusted = 0

    public init(minTrades: Int = 3, minScale: Double = 0.5, maxScale: Double = 1.5) {
        self.minTrades = max(0, minTrades)
        self.minScale = minScale
        self.maxScale = maxScale
        cells = Array(repeating: MemoryCell(), count: PatternID.count * Regime.count)
    }

    @inline(__always) func index(_ p: PatternID, _ r: Regime) -> Int {
        Int(p.rawValue) % PatternID.count * Regime.count + Int(r.rawValue)
    }

    public func cell(_ p: PatternID, _ r: Regime) -> MemoryCell { cells[index(p, r)] }

    /// Credits one contributing signal with a closed trade's return.
    /// - Complexity: O(1).
    public func record(pattern: PatternID, regime: Regime, returnFraction: Double, agent: AgentID, time: UInt64) {
        guard returnFraction.isFinite else { return }
        let i = index(pattern, regime)
        var c = cells[i]
        if returnFraction > 0 { c.wins += 1 } else { c.losses += 1 }
        c.meanReturn += (returnFraction - c.meanReturn) / Double(c.trades)
        c.lastTested = time
        if agent.index < 64 { c.contributors |= 1 << UInt64(agent.index) }
        cells[i] = c
        recorded &+= 1
    }

    /// The factor by which a new signal's confidence is multiplied.
    /// - Complexity: O(1).
    public func confidenceScale(pattern: PatternID, regime: Regime) -> Double {
        consulted &+= 1
        let c = cells[index(pattern, regime)]
        guard c.trades >= minTrades, c.trades > 0 else { return 1 }
        let p = (Double(c.wins) + 1) / (Double(c.trades) + 2)
        let s = min(maxScale, max(minScale, 2 * p))
        if s != 1 { adjusted &+= 1 }
        return s
    }
}
