/// Positions, marks and the exposure aggregates the pre-trade gate reads, kept in step
/// with the parametric risk state (`risk`) on every fill and re-mark.
///
/// Quantities are integers (units/contracts); prices are fixed-point integers with ITCH's
/// 4 implied decimals (`ticks`); values are Double currency. Each instrument belongs to one
/// sector and one team (the desk whose agents trade it); sector and team limits apply to
/// the gross notional of their instruments.
///
/// All aggregates are updated in O(1) per change (plus the O(n) σₚ²/Σw update in `risk`);
/// ``recomputeAggregates()`` rebuilds them exactly.
///
/// Not thread-safe: one owner (the coordinator loop).
public final class Portfolio {
    public let risk: PortfolioRisk
    public let dimension: Int
    public let sectorCount: Int
    public let teamCount: Int
    // @exclusivity(unchecked): the gate reads this on every order, and the dynamic
    // exclusivity check (a swift_beginAccess call per read) cost more than the check
    // itself. Safe because the type has one owner (the coordinator loop) and no method
    // holds an inout/modify access to it across a call that could read it.
    /// Capital against which concentration, daily loss and drawdown fractions are taken.
    @exclusivity(unchecked) public var capital: Double

    let position: UnsafeMutablePointer<Int64>
    let markTicks: UnsafeMutablePointer<Int64>
    let mark: UnsafeMutablePointer<Double>
    let sectorOf: UnsafeMutablePointer<Int>
    let teamOf: UnsafeMutablePointer<Int>
    let sectorGross: UnsafeMutablePointer<Double>
    let teamGross: UnsafeMutablePointer<Double>
    /// Σ|posᵢ|·markᵢ. (Unchecked exclusivity: see `capital`.)
    @exclusivity(unchecked) public internal(set) var gross: Double = 0
    /// Σ posᵢ·markᵢ. (Unchecked exclusivity: see `capital`.)
    @exclusivity(unchecked) public internal(set) var net: Double = 0
    /// Fills or marks refused (unknown instrument, non-positive price).
    public internal(set) var rejectedUpdates = 0

    /// - Parameters:
    ///   - sectors: sector index of each instrument (`risk.dimension` entries, each ≥ 0).
    ///   - teams: team index of each instrument (same shape).
    /// - Throws: `RiskError.invalidConfig` naming the field, instrument and value.
    public init(risk: PortfolioRisk, capital: Double, sectors: [Int], teams: [Int]) throws(RiskError) {
        let n = risk.dimension
        guard capital.isFinite && capital > 0 else {
            throw .invalidConfig(field: "risk.capital", value: "\(capital)", reason: "must be finite and > 0")
        }
        guard sectors.count == n else {
            throw .invalidConfig(field: "risk.sectors", value: "\(sectors.count) entries", reason: "need one per instrument (\(n))")
        }
        guard teams.count == n else {
            throw .invalidConfig(field: "risk.teams", value: "\(teams.count) entries", reason: "need one per instrument (\(n))")
        }
        for (i, s) in sectors.enumerated() where s < 0 || s >= 4096 {
            throw .invalidConfig(field: "risk.sectors[\(i)]", value: "\(s)", reason: "must be in 0..<4096")
        }
        for (i, t) in teams.enumerated() where t < 0 || t >= 4096 {
            throw .invalidConfig(field: "risk.teams[\(i)]", value: "\(t)", reason: "must be in 0..<4096")
        }
        self.risk = risk
        self.dimension = n
        self.capital = capital
        sectorCount = (sectors.max() ?? 0) + 1
        teamCount = (teams.max() ?? 0) + 1
        position = .allocate(capacity: n); position.initialize(repeating: 0, count: n)
        markTicks = .allocate(capacity: n); markTicks.initialize(repeating: 0, count: n)
        mark = .allocate(capacity: n); mark.initialize(repeating: 0, count: n)
        sectorOf = .allocate(capacity: n); sectorOf.initialize(from: sectors, count: n)
        teamOf = .allocate(capacity: n); teamOf.initialize(from: teams, count: n)
        sectorGross = .allocate(capacity: sectorCount); sectorGross.initialize(repeating: 0, count: sectorCount)
        teamGross = .allocate(capacity: teamCount); teamGross.initialize(repeating: 0, count: teamCount)
    }

    deinit {
        position.deallocate(); markTicks.deallocate(); mark.deallocate()
        sectorOf.deallocate(); teamOf.deallocate()
        sectorGross.deallocate(); teamGross.deallocate()
    }

    public func position(_ i: Int) -> Int64 { precondition(i >= 0 && i < dimension); return position[i] }
    public func markTicks(_ i: Int) -> Int64 { precondition(i >= 0 && i < dimension); return markTicks[i] }
    public func mark(_ i: Int) -> Double { precondition(i >= 0 && i < dimension); return mark[i] }
    public func sector(_ i: Int) -> Int { precondition(i >= 0 && i < dimension); return sectorOf[i] }
    public func team(_ i: Int) -> Int { precondition(i >= 0 && i < dimension); return teamOf[i] }
    public func sectorGross(_ s: Int) -> Double { precondition(s >= 0 && s < sectorCount); return sectorGross[s] }
    public func teamGross(_ t: Int) -> Double { precondition(t >= 0 && t < teamCount); return teamGross[t] }

    /// Sets instrument i's position and mark together (a fill at the mark, a snapshot
    /// load, or a re-mark). Returns `false` and counts on an unknown index or a
    /// non-positive mark.
    /// - Complexity: O(n) (σₚ²/Σw in `risk`), O(1) for the aggregates; no allocation.
    @discardableResult
    public func set(_ i: Int, position newPos: Int64, markTicks newTicks: Int64) -> Bool {
        set(i, position: newPos, markTicks: newTicks, deferRisk: false)
    }

    /// `deferRisk`: store the exposure only; the caller runs `risk.recompute()` after a batch.
    func set(_ i: Int, position newPos: Int64, markTicks newTicks: Int64, deferRisk: Bool) -> Bool {
        guard i >= 0 && i < dimension, newTicks > 0 else { rejectedUpdates &+= 1; return false }
        // Division by 10_000 rather than × 1e-4 keeps whole prices exact.
        let newMark = Double(newTicks) / 10_000
        let oldAbs = Double(position[i].magnitude) * mark[i]
        let newAbs = Double(newPos.magnitude) * newMark
        let d = newAbs - oldAbs
        gross += d
        sectorGross[sectorOf[i]] += d
        teamGross[teamOf[i]] += d
        net += Double(newPos) * newMark - Double(position[i]) * mark[i]
        position[i] = newPos
        markTicks[i] = newTicks
        mark[i] = newMark
        if deferRisk {
            risk.storeExposureDeferred(i, Double(newPos) * newMark)
        } else {
            risk.setExposure(i, Double(newPos) * newMark)
        }
        return true
    }

    /// Applies a fill of `signedQuantity` (buy > 0) and keeps the current mark.
    /// - Complexity: O(n); no allocation.
    @discardableResult
    public func applyFill(_ i: Int, signedQuantity q: Int64) -> Bool {
        guard i >= 0 && i < dimension, markTicks[i] > 0 else { rejectedUpdates &+= 1; return false }
        return set(i, position: position[i] + q, markTicks: markTicks[i])
    }

    /// Re-marks instrument i.
    /// - Complexity: O(n); no allocation.
    @discardableResult
    public func setMark(_ i: Int, ticks: Int64) -> Bool {
        guard i >= 0 && i < dimension else { rejectedUpdates &+= 1; return false }
        return set(i, position: position[i], markTicks: ticks)
    }

    /// Re-marks many instruments at once: `marks[i]` in ticks, 0 = leave as is. Aggregates
    /// move in O(1) each; σₚ² and Σw are rebuilt once at the end — cheaper than k O(n)
    /// updates once more than a few instruments move. Returns how many were re-marked.
    /// - Complexity: O(n²); no allocation.
    @discardableResult
    public func setMarks(_ marks: UnsafePointer<Int64>) -> Int {
        var changed = 0
        for i in 0..<dimension where marks[i] > 0 && marks[i] != markTicks[i] {
            _ = set(i, position: position[i], markTicks: marks[i], deferRisk: true)  // i and marks[i] were checked above
            changed += 1
        }
        if changed > 0 { risk.recompute() }
        return changed
    }

    /// Rebuilds gross, net, sector and team sums, and the risk state, exactly.
    /// - Complexity: O(n²).
    public func recomputeAggregates() {
        gross = 0; net = 0
        sectorGross.update(repeating: 0, count: sectorCount)
        teamGross.update(repeating: 0, count: teamCount)
        for i in 0..<dimension {
            let a = Double(position[i].magnitude) * mark[i]
            gross += a
            net += Double(position[i]) * mark[i]
            sectorGross[sectorOf[i]] += a
            teamGross[teamOf[i]] += a
        }
        risk.recompute()
    }
}
