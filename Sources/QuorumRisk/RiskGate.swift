/// Buy or sell.
public enum Side: UInt8, Sendable {
    case buy, sell
}

/// An order as the gate sees it: instrument index, side, quantity in units, limit price in
/// fixed-point ticks (4 implied decimals).
public struct Order: Sendable, Equatable {
    public var instrument: Int
    public var side: Side
    public var quantity: Int64
    public var priceTicks: Int64
    public init(instrument: Int, side: Side, quantity: Int64, priceTicks: Int64) {
        self.instrument = instrument; self.side = side
        self.quantity = quantity; self.priceTicks = priceTicks
    }
}

/// Why the gate refused or cut an order. Stable raw values: they are journaled.
public enum RiskReason: UInt8, Sendable, CaseIterable {
    case invalidOrder = 1          // quantity ≤ 0 or price ≤ 0
    case unknownInstrument = 2
    case noReferencePrice = 3      // no mark yet: nothing to value or collar against
    case priceCollar = 4
    case orderQuantity = 5
    case orderNotional = 6
    case position = 7
    case instrumentNotional = 8
    case concentration = 9
    case grossExposure = 10
    case netExposure = 11
    case sectorLimit = 12
    case teamLimit = 13
    case varBudget = 14
    case emergencyReduceOnly = 15
}

/// The gate's answer.
public enum Decision: Sendable, Equatable {
    case approve
    /// Send `quantity` (< the requested quantity) instead; `reason` is the binding limit.
    case resize(quantity: Int64, reason: RiskReason)
    case reject(RiskReason)
}

/// Engine mode set by the circuit breakers. Ordered by severity.
public enum EngineMode: UInt8, Sendable, Comparable {
    case normal = 0, degraded = 1, emergency = 2
    public static func < (a: EngineMode, b: EngineMode) -> Bool { a.rawValue < b.rawValue }
}

/// Pre-trade limits. Validated once in `init`; the gate then trusts them.
///
/// Every limit is inclusive — a value exactly at the limit passes, the next unit beyond it
/// fails — and every exposure limit only stops orders that make that exposure *worse*: an
/// order that reduces an already-breached exposure is allowed.
public struct RiskLimits: Sendable, Equatable {
    /// Largest order, in units.
    public var maxOrderQuantity: Int64
    /// Largest order notional (quantity × limit price), currency.
    public var maxOrderNotional: Double
    /// Price collar: |limit − mark| ≤ collarBasisPoints/10 000 × mark.
    public var priceCollarBasisPoints: Int64
    /// Per-instrument |position| in units.
    public var maxPosition: [Int64]
    /// Per-instrument |position| × mark, currency.
    public var maxInstrumentNotional: [Double]
    /// Σ|exposure|, currency.
    public var maxGross: Double
    /// |Σ exposure|, currency.
    public var maxNet: Double
    /// Largest single-instrument |exposure| as a fraction of capital (default 10%).
    public var concentration: Double
    /// Per-sector gross, currency (indexed by sector).
    public var maxSectorGross: [Double]
    /// Per-team gross, currency (indexed by team).
    public var maxTeamGross: [Double]
    /// Parametric VaR budget (currency) the portfolio may not exceed after the order.
    public var varBudget: Double
    /// A resize below this is a reject.
    public var minimumQuantity: Int64
    /// In degraded mode, order quantity, order notional and the VaR budget are scaled by this.
    public var degradedScale: Double

    /// Limits that bind nowhere, for `instruments` instruments, `sectors` sectors and
    /// `teams` teams; set the fields you need.
    public static func unlimited(instruments: Int, sectors: Int = 1, teams: Int = 1) -> RiskLimits {
        RiskLimits(
            maxOrderQuantity: 1_000_000_000_000, maxOrderNotional: .infinity,
            priceCollarBasisPoints: 10_000, maxPosition: Array(repeating: 1_000_000_000_000, count: instruments),
            maxInstrumentNotional: Array(repeating: .infinity, count: instruments),
            maxGross: .infinity, maxNet: .infinity, concentration: .infinity,
            maxSectorGross: Array(repeating: .infinity, count: sectors),
            maxTeamGross: Array(repeating: .infinity, count: teams),
            varBudget: .infinity, minimumQuantity: 1, degradedScale: 0.5)
    }

    public init(
        maxOrderQuantity: Int64, maxOrderNotional: Double, priceCollarBasisPoints: Int64,
        maxPosition: [Int64], maxInstrumentNotional: [Double], maxGross: Double, maxNet: Double,
        concentration: Double = 0.10, maxSectorGross: [Double], maxTeamGross: [Double],
        varBudget: Double, minimumQuantity: Int64 = 1, degradedScale: Double = 0.5
    ) {
        self.maxOrderQuantity = maxOrderQuantity; self.maxOrderNotional = maxOrderNotional
        self.priceCollarBasisPoints = priceCollarBasisPoints
        self.maxPosition = maxPosition; self.maxInstrumentNotional = maxInstrumentNotional
        self.maxGross = maxGross; self.maxNet = maxNet; self.concentration = concentration
        self.maxSectorGross = maxSectorGross; self.maxTeamGross = maxTeamGross
        self.varBudget = varBudget; self.minimumQuantity = minimumQuantity
        self.degradedScale = degradedScale
    }

    /// Checks every field against a portfolio's shape.
    /// - Throws: `RiskError.invalidConfig` naming the field (and index) and value.
    public func validate(for p: Portfolio) throws(RiskError) {
        func bad(_ f: String, _ v: Any, _ why: String) -> RiskError {
            .invalidConfig(field: "risk.limits.\(f)", value: "\(v)", reason: why)
        }
        // Quantities are capped at 10¹⁵ so that position ± quantity cannot overflow Int64.
        guard maxOrderQuantity >= 1 && maxOrderQuantity <= 1_000_000_000_000_000 else {
            throw bad("max_order_quantity", maxOrderQuantity, "must be in 1...1e15")
        }
        guard minimumQuantity >= 1 && minimumQuantity <= maxOrderQuantity else {
            throw bad("minimum_quantity", minimumQuantity, "must be in 1...max_order_quantity")
        }
        guard priceCollarBasisPoints >= 0 && priceCollarBasisPoints <= 1_000_000 else {
            throw bad("price_collar_bps", priceCollarBasisPoints, "must be in 0...1000000")
        }
        for (name, v) in [("max_order_notional", maxOrderNotional), ("max_gross", maxGross),
                          ("max_net", maxNet), ("concentration", concentration), ("var_budget", varBudget)]
        where !(v >= 0) {  // also rejects NaN; +∞ means "no limit"
            throw bad(name, v, "must be >= 0 (inf for no limit)")
        }
        guard degradedScale > 0 && degradedScale <= 1 else {
            throw bad("degraded_scale", degradedScale, "must be in (0, 1]")
        }
        guard maxPosition.count == p.dimension else { throw bad("max_position", maxPosition.count, "need \(p.dimension) entries") }
        for (i, v) in maxPosition.enumerated() where v < 0 || v > 1_000_000_000_000_000 {
            throw bad("max_position[\(i)]", v, "must be in 0...1e15")
        }
        guard maxInstrumentNotional.count == p.dimension else {
            throw bad("max_instrument_notional", maxInstrumentNotional.count, "need \(p.dimension) entries")
        }
        for (i, v) in maxInstrumentNotional.enumerated() where !(v >= 0) { throw bad("max_instrument_notional[\(i)]", v, "must be >= 0") }
        guard maxSectorGross.count >= p.sectorCount else { throw bad("max_sector_gross", maxSectorGross.count, "need \(p.sectorCount) entries") }
        for (i, v) in maxSectorGross.enumerated() where !(v >= 0) { throw bad("max_sector_gross[\(i)]", v, "must be >= 0") }
        guard maxTeamGross.count >= p.teamCount else { throw bad("max_team_gross", maxTeamGross.count, "need \(p.teamCount) entries") }
        for (i, v) in maxTeamGross.enumerated() where !(v >= 0) { throw bad("max_team_gross[\(i)]", v, "must be >= 0") }
    }
}

/// The pre-trade gate: limits plus incremental VaR, in O(1) per order from the portfolio's
/// cached aggregates and Σw, allocating nothing.
///
/// `check` answers:
/// - `.approve` when the whole order passes every check;
/// - `.resize(q, reason)` with the largest q < requested that passes (found analytically —
///   each limit is linear or, for VaR, quadratic in q — then confirmed against the
///   forward checks, with a bounded binary search as the fallback), when q ≥
///   `minimumQuantity`;
/// - `.reject(reason)` otherwise, or for a bad order, a price outside the collar, or a
///   risk-increasing order in emergency mode (emergency is reduce-only; reducing orders are
///   cut to flatten at most).
///
/// Not thread-safe: owned by the coordinator with the portfolio.
public final class RiskGate {
    public let limits: RiskLimits
    // @exclusivity(unchecked): the gate reads this on every order, and the dynamic
    // exclusivity check (a swift_beginAccess call per read) cost more than the check
    // itself. Safe because the type has one owner (the coordinator loop) and no method
    // holds an inout/modify access to it across a call that could read it.
    /// Set by the coordinator from ``CircuitBreakers/mode``.
    @exclusivity(unchecked) public var mode: EngineMode = .normal

    // The limits copied into flat storage so the hot path does no Array bounds/ownership work.
    let maxPosition: UnsafeMutablePointer<Int64>
    let maxInstrumentNotional: UnsafeMutablePointer<Double>
    let maxSectorGross: UnsafeMutablePointer<Double>
    let maxTeamGross: UnsafeMutablePointer<Double>

    /// - Throws: `RiskError.invalidConfig` if `limits` do not fit `portfolio`'s shape.
    public init(limits: RiskLimits, for portfolio: Portfolio) throws(RiskError) {
        try limits.validate(for: portfolio)
        self.limits = limits
        maxPosition = .allocate(capacity: limits.maxPosition.count)
        maxPosition.initialize(from: limits.maxPosition, count: limits.maxPosition.count)
        maxInstrumentNotional = .allocate(capacity: limits.maxInstrumentNotional.count)
        maxInstrumentNotional.initialize(from: limits.maxInstrumentNotional, count: limits.maxInstrumentNotional.count)
        maxSectorGross = .allocate(capacity: limits.maxSectorGross.count)
        maxSectorGross.initialize(from: limits.maxSectorGross, count: limits.maxSectorGross.count)
        maxTeamGross = .allocate(capacity: limits.maxTeamGross.count)
        maxTeamGross.initialize(from: limits.maxTeamGross, count: limits.maxTeamGross.count)
    }

    deinit {
        maxPosition.deallocate(); maxInstrumentNotional.deallocate()
        maxSectorGross.deallocate(); maxTeamGross.deallocate()
    }

    /// The values one check reads, gathered once per order.
    struct Context {
        var i: Int
        var s: Int64          // +1 buy, −1 sell
        var pos: Int64
        var mark: Double
        var price: Double
        var maxOrderQuantity: Int64
        var maxOrderNotional: Double
        var varBudget: Double
        var oldAbs: Double    // |pos|·mark
        var sectorGross: Double
        var teamGross: Double
        var sectorLimit: Double
        var teamLimit: Double
    }

    /// Decides on `order` against `portfolio` in the current ``mode``.
    /// - Complexity: O(1) (plus a bounded search of ≤ 64 O(1) steps only when rounding
    ///   defeats the analytic resize); no allocation, no throwing.
    public func check(_ order: Order, _ portfolio: Portfolio) -> Decision {
        let p = portfolio
        let i = order.instrument
        guard i >= 0 && i < p.dimension else { return .reject(.unknownInstrument) }
        guard order.quantity > 0 && order.priceTicks > 0 else { return .reject(.invalidOrder) }
        let ref = p.markTicks[i]
        guard ref > 0 else { return .reject(.noReferencePrice) }
        // |limit − ref|/ref > bps/10 000 ⇔ |limit − ref|·10 000 > bps·ref: exact in integers.
        // Prices up to 9·10¹⁴ ticks keep both products inside Int64; beyond that, reject.
        let diff = order.priceTicks > ref ? order.priceTicks - ref : ref - order.priceTicks
        let (lhs, o1) = diff.multipliedReportingOverflow(by: 10_000)
        let (rhs, o2) = limits.priceCollarBasisPoints.multipliedReportingOverflow(by: ref)
        if o1 || o2 || lhs > rhs { return .reject(.priceCollar) }

        let s: Int64 = order.side == .buy ? 1 : -1
        let pos = p.position[i]
        if mode == .emergency {
            // Reduce-only: an order that does not move the position towards zero is refused,
            // one that would cross zero is cut to flatten.
            if s * pos >= 0 { return .reject(.emergencyReduceOnly) }
            let room = Int64(pos.magnitude)
            return order.quantity <= room ? .approve : .resize(quantity: room, reason: .emergencyReduceOnly)
        }
        let scale = mode == .degraded ? limits.degradedScale : 1
        let m = p.mark[i]
        let c = Context(
            i: i, s: s, pos: pos, mark: m, price: Double(order.priceTicks) / 10_000,
            maxOrderQuantity: mode == .degraded
                ? max(1, Int64(Double(limits.maxOrderQuantity) * scale)) : limits.maxOrderQuantity,
            maxOrderNotional: limits.maxOrderNotional * scale,
            varBudget: limits.varBudget * scale,
            oldAbs: Double(pos.magnitude) * m,
            sectorGross: p.sectorGross[p.sectorOf[i]], teamGross: p.teamGross[p.teamOf[i]],
            sectorLimit: maxSectorGross[p.sectorOf[i]], teamLimit: maxTeamGross[p.teamOf[i]])

        let requested = min(order.quantity, c.maxOrderQuantity)
        if requested == order.quantity, violation(order.quantity, c, p) == nil { return .approve }

        // Largest passing quantity in [0, requested]. Each check's passing set is an
        // interval containing 0 (k = 0 leaves every exposure unchanged), so the overall
        // passing set is [0, k*]: start from the analytic bound, then confirm.
        var k = min(requested, Self.floorQuantity(analyticBound(c, p)))
        if violation(k, c, p) == nil {
            if k < requested && violation(k + 1, c, p) == nil {
                k = largestPassing(from: k + 1, to: requested, c, p)
            }
        } else if k > 0 && violation(k - 1, c, p) == nil {
            k -= 1
        } else {
            k = largestPassing(from: 0, to: max(0, k - 2), c, p)
        }
        let binding = k < order.quantity
            ? (k + 1 > c.maxOrderQuantity ? .orderQuantity : (violation(k + 1, c, p) ?? .orderQuantity))
            : RiskReason.orderQuantity
        return k >= limits.minimumQuantity ? .resize(quantity: k, reason: binding) : .reject(binding)
    }

    /// Binary search for the largest k in [lo, hi] that passes, given that lo passes
    /// (lo = 0 always does). At most 64 steps.
    func largestPassing(from lo: Int64, to hi: Int64, _ c: Context, _ p: Portfolio) -> Int64 {
        var lo = lo, hi = hi
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2
            if violation(mid, c, p) == nil { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    static func floorQuantity(_ x: Double) -> Int64 {
        if !(x > 0) { return 0 }
        if x >= 1e15 { return 1_000_000_000_000_000 }
        return Int64(x)  // positive: truncating is rounding down (and needs no libm call)
    }

    /// The first check that buying/selling k units fails, or nil. Order of checks is the
    /// order of the reason codes, so the reported reason is deterministic.
    func violation(_ k: Int64, _ c: Context, _ p: Portfolio) -> RiskReason? {
        if k > c.maxOrderQuantity { return .orderQuantity }
        let kd = Double(k)
        if kd * c.price > c.maxOrderNotional { return .orderNotional }
        let newPos = c.pos + c.s * k  // |pos|, k ≤ 10¹⁵ by validated limits: no overflow
        let newAbsUnits = newPos.magnitude, oldAbsUnits = c.pos.magnitude
        let worse = newAbsUnits > oldAbsUnits
        if worse && newAbsUnits > UInt64(maxPosition[c.i]) { return .position }
        let newAbs = Double(newAbsUnits) * c.mark
        if worse && newAbs > maxInstrumentNotional[c.i] { return .instrumentNotional }
        if worse && newAbs > limits.concentration * p.capital { return .concentration }
        let dAbs = newAbs - c.oldAbs
        if worse && p.gross + dAbs > limits.maxGross { return .grossExposure }
        let dExposure = Double(c.s * k) * c.mark
        let newNet = p.net + dExposure
        if abs(newNet) > abs(p.net) && abs(newNet) > limits.maxNet { return .netExposure }
        if worse && c.sectorGross + dAbs > c.sectorLimit { return .sectorLimit }
        if worse && c.teamGross + dAbs > c.teamLimit { return .teamLimit }
        let risk = p.risk
        let after = risk.varianceAfter(c.i, exposureChange: dExposure)
        if after > risk.variance && risk.varMultiplier * after.squareRoot() > c.varBudget { return .varBudget }
        return nil
    }

    /// Units k ≥ 0 in direction s that keep |x + s·k| ≤ max(bound, |x|).
    static func room(_ x: Double, _ s: Double, _ bound: Double) -> Double {
        let ax = abs(x)
        let b = max(bound, ax)
        return s * x >= 0 ? b - ax : ax + b
    }

    /// The smallest of the per-check largest quantities, in closed form.
    func analyticBound(_ c: Context, _ p: Portfolio) -> Double {
        let s = Double(c.s), x = Double(c.pos), m = c.mark
        var k = Double(c.maxOrderQuantity)
        k = min(k, c.maxOrderNotional / c.price)
        k = min(k, Self.room(x, s, Double(maxPosition[c.i])))
        k = min(k, Self.room(x, s, maxInstrumentNotional[c.i] / m))
        k = min(k, Self.room(x, s, limits.concentration * p.capital / m))
        k = min(k, Self.room(x, s, (limits.maxGross - (p.gross - c.oldAbs)) / m))
        k = min(k, Self.room(p.net / m, s, limits.maxNet / m))
        k = min(k, Self.room(x, s, (c.sectorLimit - (c.sectorGross - c.oldAbs)) / m))
        k = min(k, Self.room(x, s, (c.teamLimit - (c.teamGross - c.oldAbs)) / m))
        // VaR: σ² + 2·s·k·m·(Σw)ᵢ + k²m²Σᵢᵢ ≤ V², V = budget/(z√h), relaxed to ≥ σ².
        let risk = p.risk
        let v = c.varBudget / risk.varMultiplier
        let a = m * m * risk.covariance.variance(c.i)
        let b = 2 * s * m * risk.sigmaW(c.i)
        let cc = risk.variance - max(v * v, risk.variance)
        if a > 0 {
            k = min(k, (-b + max(0, b * b - 4 * a * cc).squareRoot()) / (2 * a))
        } else if b > 0 {
            k = min(k, -cc / b)
        }
        return k
    }
}
