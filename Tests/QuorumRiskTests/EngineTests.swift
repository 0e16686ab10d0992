import Testing
@testable import QuorumRisk

@Suite("RiskEngine wiring")
struct EngineTests {
    @Test("a clock tick applies same-interval returns, records P&L on held exposure, re-marks, and feeds the breakers")
    func tickFlow() throws {
        let config = try RiskConfig(instrumentCapacity: 2, lambda: 0.94, pnlWindow: 10)
        let engine = try RiskEngine(config: config, capital: 1_000_000, sectors: [0, 0], teams: [0, 0],
                                    limits: .unlimited(instruments: 2))
        engine.onMid(0, ticks: 1_000_000)   // 100.0000
        engine.onMid(1, ticks: 500_000)     // 50.0000
        #expect(engine.onClockTick(atNanos: 1) == false)   // baseline only
        #expect(engine.portfolio.mark(0) == 100)
        engine.onFill(0, signedQuantity: 10)                 // 1 000 long
        engine.onMid(0, ticks: 1_100_000)                    // +10%
        engine.onMid(1, ticks: 550_000)                      // +10%
        #expect(engine.onClockTick(atNanos: 2))
        // P&L over the interval on the exposure held through it: 1 000 × 10% = 100.
        #expect(abs(engine.pnl.observation(0) - 100) < 1e-9)
        #expect(engine.portfolio.mark(0) == 110)
        #expect(abs(engine.risk.exposure(0) - 1_100) < 1e-9)
        // Σ = 0.06·r·rᵀ with r = (0.1, 0.1): correlation 1, above 0.8 → degraded.
        #expect(engine.breakers.status(.correlationSpike).state == .degraded)
        #expect(engine.breakers.status(.correlationSpike).triggeredAtNanos == 2)
        #expect(engine.gate.mode == .degraded)
        engine.onEquity(970_000, atNanos: 3)                 // 3% day loss → emergency
        #expect(engine.gate.mode == .emergency)
        #expect(engine.check(Order(instrument: 1, side: .buy, quantity: 1, priceTicks: 550_000)) == .reject(.emergencyReduceOnly))
        #expect(engine.check(Order(instrument: 0, side: .sell, quantity: 10, priceTicks: 1_100_000)) == .approve)
    }

    @Test("bad mids are counted and change nothing")
    func badMids() throws {
        let config = try RiskConfig(instrumentCapacity: 2)
        let engine = try RiskEngine(config: config, capital: 1, sectors: [0, 0], teams: [0, 0], limits: .unlimited(instruments: 2))
        #expect(engine.onMid(0, ticks: -5) == false)
        #expect(engine.onMid(7, ticks: 5) == false)
        engine.onClockTick(atNanos: 1)
        #expect(engine.portfolio.markTicks(0) == 0)
        #expect(engine.sampler.invalidPriceUpdates == 1 && engine.sampler.unknownInstrumentUpdates == 1)
    }
}

@Suite("Bulk re-mark")
struct BulkRemarkTests {
    @Test("setMarks rebuilds σₚ², Σw and the aggregates exactly as per-instrument re-marks would")
    func bulkEqualsIncremental() throws {
        let n = 20
        let config = try RiskConfig(instrumentCapacity: n)
        func make() throws -> Portfolio {
            let risk = PortfolioRisk(config: config)
            var rng = SeededGenerator(seed: 9)
            for _ in 0..<300 { risk.update(returns: (0..<n).map { _ in 0.01 * rng.normal() }) }
            let p = try Portfolio(risk: risk, capital: 1e7, sectors: (0..<n).map { $0 % 3 }, teams: (0..<n).map { $0 % 2 })
            for i in 0..<n { p.set(i, position: Int64(i * 37 % 91) - 45, markTicks: 1_000_000 + Int64(i) * 1234) }
            return p
        }
        let a = try make(), b = try make()
        var marks = (0..<n).map { Int64(900_000 + $0 * 5_555) }
        marks[3] = 0  // 0 = unchanged
        #expect(a.setMarks(marks) == n - 1)
        for i in 0..<n where marks[i] > 0 { b.setMark(i, ticks: marks[i]) }
        #expect(relativeError(a.risk.variance, b.risk.variance) < 1e-12)
        for i in 0..<n { #expect(relativeError(a.risk.sigmaW(i), b.risk.sigmaW(i)) < 1e-12) }
        #expect(relativeError(a.gross, b.gross) < 1e-12)
        #expect(relativeError(a.net, b.net) < 1e-12)
        #expect(relativeError(a.sectorGross(1), b.sectorGross(1)) < 1e-12)
        #expect(a.markTicks(3) == 1_000_000 + 3 * 1234)
    }
}

@Suite("RiskEngine: the correlation scan runs only for a live correlation breaker")
struct CorrelationScanTests {
    func engine(_ breakers: BreakerConfig) throws -> RiskEngine {
        let config = try RiskConfig(instrumentCapacity: 2, lambda: 0.94, pnlWindow: 10)
        let e = try RiskEngine(config: config, capital: 1_000_000, sectors: [0, 0], teams: [0, 0],
                               limits: .unlimited(instruments: 2), breakers: breakers)
        e.onMid(0, ticks: 1_000_000); e.onMid(1, ticks: 500_000)
        e.onClockTick(atNanos: 1)
        e.onMid(0, ticks: 1_100_000); e.onMid(1, ticks: 550_000)  // both +10%: correlation 1
        #expect(e.onClockTick(atNanos: 2))
        return e
    }

    @Test("both thresholds at +infinity: the breaker is never fed (no value, stays normal)")
    func switchedOff() throws {
        var b = BreakerConfig()
        b.correlationDegraded = .infinity
        let e = try engine(b)
        let s = e.breakers.status(.correlationSpike)
        #expect(s.state == .normal)
        #expect(s.lastValue.isNaN, "no correlation was computed for a breaker that cannot trip")
        #expect(e.gate.mode == .normal)
    }

    @Test("finite thresholds: still fed, and it trips")
    func switchedOn() throws {
        var b = BreakerConfig()
        b.correlationDegraded = 0.95
        b.correlationEmergency = 0.99
        let e = try engine(b)
        let s = e.breakers.status(.correlationSpike)
        #expect(abs(s.lastValue - 1) < 1e-9)
        #expect(s.state == .emergency)
    }
}
