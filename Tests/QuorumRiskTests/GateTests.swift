import Testing
@testable import QuorumRisk

/// Four instruments at 100.0000 (1 000 000 ticks), capital 1 000 000,
/// sectors [0, 0, 1, 1], teams [0, 1, 0, 1], σ = 1% each with ρ = 0.3.
func makeBook(_ edit: (inout RiskLimits) -> Void = { _ in }) throws -> (Portfolio, RiskGate) {
    let config = try RiskConfig(instrumentCapacity: 4, lambda: 0.94, confidence: 0.99)
    let risk = PortfolioRisk(config: config)
    var rho = [Double](repeating: 0.3, count: 16)
    for i in 0..<4 { rho[i * 4 + i] = 1 }
    try risk.covariance.override(correlation: rho, volatilities: [0.01, 0.01, 0.01, 0.01])
    let p = try Portfolio(risk: risk, capital: 1_000_000, sectors: [0, 0, 1, 1], teams: [0, 1, 0, 1])
    for i in 0..<4 { p.setMark(i, ticks: 1_000_000) }
    var limits = RiskLimits.unlimited(instruments: 4, sectors: 2, teams: 2)
    edit(&limits)
    return (p, try RiskGate(limits: limits, for: p))
}

func buy(_ i: Int, _ q: Int64, at ticks: Int64 = 1_000_000) -> Order {
    Order(instrument: i, side: .buy, quantity: q, priceTicks: ticks)
}
func sell(_ i: Int, _ q: Int64, at ticks: Int64 = 1_000_000) -> Order {
    Order(instrument: i, side: .sell, quantity: q, priceTicks: ticks)
}

@Suite("Pre-trade gate: every limit fires exactly at its threshold")
struct GateThresholdTests {
    @Test("order quantity: 100 passes, 101 is cut to 100")
    func orderQuantity() throws {
        let (p, g) = try makeBook { $0.maxOrderQuantity = 100 }
        #expect(g.check(buy(0, 100), p) == .approve)
        #expect(g.check(buy(0, 101), p) == .resize(quantity: 100, reason: .orderQuantity))
    }

    @Test("order notional 10 000 at 100.0000: 100 units pass, 101 are cut")
    func orderNotional() throws {
        let (p, g) = try makeBook { $0.maxOrderNotional = 10_000 }
        #expect(g.check(buy(0, 100), p) == .approve)
        #expect(g.check(buy(0, 101), p) == .resize(quantity: 100, reason: .orderNotional))
    }

    @Test("position limit 100 from +40: buy 60 passes, 61 cut; sell 140 passes, 141 cut")
    func position() throws {
        let (p, g) = try makeBook { $0.maxPosition[0] = 100 }
        p.applyFill(0, signedQuantity: 40)
        #expect(g.check(buy(0, 60), p) == .approve)
        #expect(g.check(buy(0, 61), p) == .resize(quantity: 60, reason: .position))
        #expect(g.check(sell(0, 140), p) == .approve)
        #expect(g.check(sell(0, 141), p) == .resize(quantity: 140, reason: .position))
    }

    @Test("instrument notional 10 000: 100 units pass, 101 cut")
    func instrumentNotional() throws {
        let (p, g) = try makeBook { $0.maxInstrumentNotional[2] = 10_000 }
        #expect(g.check(sell(2, 100), p) == .approve)
        #expect(g.check(sell(2, 101), p) == .resize(quantity: 100, reason: .instrumentNotional))
    }

    @Test("concentration default 10% of 1 000 000: 1000 units pass, 1001 cut")
    func concentration() throws {
        let (p, g) = try makeBook { $0.concentration = 0.10 }
        #expect(g.check(buy(1, 1000), p) == .approve)
        #expect(g.check(buy(1, 1001), p) == .resize(quantity: 1000, reason: .concentration))
    }

    @Test("gross 50 000 with 20 000 elsewhere: 300 units pass, 301 cut")
    func gross() throws {
        let (p, g) = try makeBook { $0.maxGross = 50_000 }
        p.applyFill(1, signedQuantity: -200)
        #expect(g.check(buy(0, 300), p) == .approve)
        #expect(g.check(buy(0, 301), p) == .resize(quantity: 300, reason: .grossExposure))
    }

    @Test("net 30 000 with +20 000 held: buy 100 passes, 101 cut; sell 500 passes, 501 cut")
    func net() throws {
        let (p, g) = try makeBook { $0.maxNet = 30_000 }
        p.applyFill(1, signedQuantity: 200)
        #expect(g.check(buy(0, 100), p) == .approve)
        #expect(g.check(buy(0, 101), p) == .resize(quantity: 100, reason: .netExposure))
        #expect(g.check(sell(0, 500), p) == .approve)
        #expect(g.check(sell(0, 501), p) == .resize(quantity: 500, reason: .netExposure))
    }

    @Test("sector gross 25 000 with 20 000 in the sector: 50 pass, 51 cut; other sector free")
    func sector() throws {
        let (p, g) = try makeBook { $0.maxSectorGross[0] = 25_000 }
        p.applyFill(1, signedQuantity: 200)
        #expect(g.check(sell(0, 50), p) == .approve)
        #expect(g.check(sell(0, 51), p) == .resize(quantity: 50, reason: .sectorLimit))
        #expect(g.check(sell(2, 5000), p) == .approve)
    }

    @Test("team gross 25 000 with 20 000 on the team: 50 pass, 51 cut")
    func team() throws {
        let (p, g) = try makeBook { $0.maxTeamGross[1] = 25_000 }
        p.applyFill(3, signedQuantity: 200)
        #expect(g.check(buy(1, 50), p) == .approve)
        #expect(g.check(buy(1, 51), p) == .resize(quantity: 50, reason: .teamLimit))
        #expect(g.check(buy(0, 5000), p) == .approve)
    }

    @Test("VaR budget equal to the VaR with 100 more units: 100 pass, 101 cut")
    func varBudget() throws {
        let (p0, _) = try makeBook()
        p0.applyFill(2, signedQuantity: 300)
        // The budget is the portfolio VaR after buying exactly 100 of instrument 0.
        let budget = p0.risk.varMultiplier * p0.risk.varianceAfter(0, exposureChange: 100 * 100).squareRoot()
        let (p, g) = try makeBook { $0.varBudget = budget }
        p.applyFill(2, signedQuantity: 300)
        #expect(g.check(buy(0, 100), p) == .approve)
        #expect(g.check(buy(0, 101), p) == .resize(quantity: 100, reason: .varBudget))
        // Selling instrument 0 hedges (ρ > 0 with the long in 2) and is far inside the budget.
        #expect(g.check(sell(0, 100), p) == .approve)
    }

    @Test("price collar 500 bps around 100.0000: 105.0000 and 95.0000 pass, one tick beyond rejects")
    func priceCollar() throws {
        let (p, g) = try makeBook { $0.priceCollarBasisPoints = 500 }
        #expect(g.check(buy(0, 1, at: 1_050_000), p) == .approve)
        #expect(g.check(buy(0, 1, at: 1_050_001), p) == .reject(.priceCollar))
        #expect(g.check(sell(0, 1, at: 950_000), p) == .approve)
        #expect(g.check(sell(0, 1, at: 949_999), p) == .reject(.priceCollar))
    }

    @Test("a limit already breached still lets reducing orders through")
    func reducingAllowedWhenBreached() throws {
        let (p, g) = try makeBook { $0.maxPosition[0] = 100 }
        p.applyFill(0, signedQuantity: 200)           // e.g. the limit was lowered
        #expect(g.check(buy(0, 1), p) == .reject(.position))
        #expect(g.check(sell(0, 50), p) == .approve)
        #expect(g.check(sell(0, 400), p) == .approve)  // ends at −200: not worse than +200
        #expect(g.check(sell(0, 401), p) == .resize(quantity: 400, reason: .position))
    }

    @Test("a resize below the minimum quantity is a reject")
    func minimumQuantity() throws {
        let (p, g) = try makeBook { $0.maxPosition[0] = 5; $0.minimumQuantity = 10 }
        #expect(g.check(buy(0, 20), p) == .reject(.position))
    }

    @Test("bad orders: zero quantity, bad price, unknown instrument, no mark")
    func badOrders() throws {
        let (p, g) = try makeBook()
        #expect(g.check(buy(0, 0), p) == .reject(.invalidOrder))
        #expect(g.check(buy(0, 1, at: 0), p) == .reject(.invalidOrder))
        #expect(g.check(buy(9, 1), p) == .reject(.unknownInstrument))
        #expect(g.check(buy(-1, 1), p) == .reject(.unknownInstrument))
        let risk = PortfolioRisk(config: try RiskConfig(instrumentCapacity: 2))
        let unmarked = try Portfolio(risk: risk, capital: 1, sectors: [0, 0], teams: [0, 0])
        let g2 = try RiskGate(limits: .unlimited(instruments: 2), for: unmarked)
        #expect(g2.check(buy(0, 1), unmarked) == .reject(.noReferencePrice))
    }

    @Test("emergency is reduce-only; degraded halves order size")
    func modes() throws {
        let (p, g) = try makeBook { $0.maxOrderQuantity = 100 }
        p.applyFill(0, signedQuantity: 100)
        g.mode = .emergency
        #expect(g.check(buy(0, 1), p) == .reject(.emergencyReduceOnly))
        #expect(g.check(buy(1, 1), p) == .reject(.emergencyReduceOnly))
        #expect(g.check(sell(0, 100), p) == .approve)
        #expect(g.check(sell(0, 150), p) == .resize(quantity: 100, reason: .emergencyReduceOnly))
        g.mode = .degraded
        #expect(g.check(buy(1, 50), p) == .approve)
        #expect(g.check(buy(1, 51), p) == .resize(quantity: 50, reason: .orderQuantity))
    }

    @Test("limits that do not fit the portfolio are rejected naming the field")
    func invalidLimits() throws {
        let (p, _) = try makeBook()
        var l = RiskLimits.unlimited(instruments: 3, sectors: 2, teams: 2)
        #expect(throws: RiskError.invalidConfig(field: "risk.limits.max_position", value: "3", reason: "need 4 entries")) {
            try RiskGate(limits: l, for: p)
        }
        l = RiskLimits.unlimited(instruments: 4, sectors: 2, teams: 2)
        l.maxGross = .nan
        #expect(throws: RiskError.self) { try RiskGate(limits: l, for: p) }
    }

    @Test("resize is always the largest passing quantity (randomised portfolios and limits)")
    func resizeIsLargestPassing() throws {
        var rng = SeededGenerator(seed: 11)
        var counts = (approved: 0, resized: 0, rejected: 0)
        for round in 0..<300 {
            let (p, g) = try makeBook { l in
                l.maxOrderQuantity = 1 + Int64(rng.next() % 5000)
                l.maxPosition[0] = Int64(rng.next() % 3000)
                l.maxGross = 50_000 + rng.uniform() * 400_000
                l.maxNet = 20_000 + rng.uniform() * 200_000
                l.maxSectorGross[0] = 30_000 + rng.uniform() * 300_000
                l.varBudget = 500 + rng.uniform() * 10_000
                l.concentration = 0.05 + rng.uniform() * 0.2
            }
            for i in 0..<4 {
                p.set(i, position: Int64(rng.next() % 2000) - 1000, markTicks: 500_000 + Int64(rng.next() % 1_000_000))
            }
            let side: Side = rng.next() % 2 == 0 ? .buy : .sell
            let order = Order(instrument: 0, side: side, quantity: 1 + Int64(rng.next() % 20_000),
                              priceTicks: p.markTicks(0))
            // Rebuild the gate's context the way `check` does, to probe k and k + 1.
            let decision = g.check(order, p)
            let probe = { (k: Int64) -> Bool in
                var o = order; o.quantity = k
                return g.check(o, p) == .approve
            }
            switch decision {
            case .approve: counts.approved += 1
            case .resize(let k, _):
                counts.resized += 1
                #expect(k < order.quantity, "round \(round)")
                #expect(probe(k), "round \(round): resized \(k) does not pass")
                #expect(!probe(k + 1), "round \(round): \(k + 1) also passes")
            case .reject:
                counts.rejected += 1
                #expect(!probe(1), "round \(round): rejected but 1 unit passes")
            }
        }
        // The sweep must exercise all three outcomes to mean anything.
        #expect(counts.approved > 3 && counts.resized > 100 && counts.rejected > 5, "\(counts)")
    }
}
