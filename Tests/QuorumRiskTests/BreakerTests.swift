import Testing
@testable import QuorumRisk

@Suite("Circuit breakers fire exactly at their thresholds")
struct BreakerTests {
    func board() throws -> CircuitBreakers {
        try CircuitBreakers(capital: 1_000_000, equity: 1_000_000)
    }

    @Test("daily loss: 1% degrades, 2% (default) is emergency, one cent before is not")
    func dailyLoss() throws {
        let b = try board()
        b.observeEquity(990_000.01, atNanos: 1)
        #expect(b.mode == .normal)
        b.observeEquity(990_000, atNanos: 2)          // loss exactly 1%
        #expect(b.status(.dailyLoss).state == .degraded)
        #expect(b.status(.dailyLoss).triggeredAtNanos == 2)
        b.observeEquity(980_000.01, atNanos: 3)
        #expect(b.status(.dailyLoss).state == .degraded)
        b.observeEquity(980_000, atNanos: 4)          // loss exactly 2%
        let s = b.status(.dailyLoss)
        #expect(s.state == .emergency)
        #expect(s.triggerValue == 0.02)
        #expect(s.triggeredAtNanos == 4)
        #expect(b.mode == .emergency)
        b.observeEquity(1_000_000, atNanos: 5)        // recovery does not unlatch
        #expect(b.status(.dailyLoss).state == .emergency)
        #expect(b.status(.dailyLoss).lastValue == 0)
        b.startDay(equity: 1_000_000, atNanos: 6)
        #expect(b.status(.dailyLoss).state == .normal)
    }

    @Test("drawdown from the peak: 3% degrades, 5% is emergency")
    func drawdown() throws {
        let b = try board()
        b.startDay(equity: 2_000_000, atNanos: 0)     // keep daily loss out of the way
        b.observeEquity(2_000_000, atNanos: 1)        // new peak
        b.observeEquity(1_940_000.01, atNanos: 2)
        #expect(b.status(.drawdown).state == .normal)
        b.observeEquity(1_940_000, atNanos: 3)        // exactly 3% of the peak
        #expect(b.status(.drawdown).state == .degraded)
        b.observeEquity(1_900_000.01, atNanos: 4)
        #expect(b.status(.drawdown).state == .degraded)
        b.observeEquity(1_900_000, atNanos: 5)        // exactly 5%
        #expect(b.status(.drawdown).state == .emergency)
        #expect(b.status(.drawdown).triggeredAtNanos == 5)
    }

    @Test("correlation spike: 0.8 is not above 0.8, the next double is")
    func correlation() throws {
        let b = try board()
        b.observeMaxCorrelation(0.8, atNanos: 1)
        #expect(b.status(.correlationSpike).state == .normal)
        b.observeMaxCorrelation(0.8.nextUp, atNanos: 2)
        #expect(b.status(.correlationSpike).state == .degraded)
        #expect(b.status(.correlationSpike).triggerValue == 0.8.nextUp)
        b.observeMaxCorrelation(1.0, atNanos: 3)      // emergency level disabled by default
        #expect(b.mode == .degraded)
    }

    @Test("confidence collapse: 0.3 is not below 0.3; below 0.1 is emergency")
    func confidence() throws {
        let b = try board()
        b.observeConfidence(0.3, atNanos: 1)
        #expect(b.mode == .normal)
        b.observeConfidence(0.3.nextDown, atNanos: 2)
        #expect(b.mode == .degraded)
        b.observeConfidence(0.1, atNanos: 3)
        #expect(b.mode == .degraded)
        b.observeConfidence(0.1.nextDown, atNanos: 4)
        #expect(b.mode == .emergency)
        b.reset(.confidenceCollapse, atNanos: 5)
        #expect(b.mode == .normal)
        #expect(b.status(.confidenceCollapse).triggerValue.isNaN)
    }

    @Test("non-finite observations are counted and ignored; bad thresholds rejected")
    func badInput() throws {
        let b = try board()
        b.observeEquity(.nan, atNanos: 1)
        b.observeMaxCorrelation(.infinity, atNanos: 1)
        b.observeConfidence(.nan, atNanos: 1)
        #expect(b.rejectedObservations == 3)
        #expect(b.mode == .normal)
        var c = BreakerConfig()
        c.dailyLossDegraded = 0.05
        #expect(throws: RiskError.self) { try CircuitBreakers(config: c, capital: 1, equity: 1) }
        #expect(throws: RiskError.self) { try CircuitBreakers(capital: 0, equity: 1) }
    }

    @Test("the coordinator feeds the correlation breaker from the estimator")
    func correlationFromEstimator() throws {
        let cov = try EWMACovariance(dimension: 3, lambda: 0.94)
        try cov.override(correlation: [1, 0.85, 0.1, 0.85, 1, 0.2, 0.1, 0.2, 1], volatilities: [0.01, 0.02, 0.03])
        let top = cov.maxCorrelation()
        #expect(top.i == 0 && top.j == 1)
        #expect(abs(top.value - 0.85) < 1e-12)
        let b = try board()
        b.observeMaxCorrelation(top.value, atNanos: 9)
        #expect(b.status(.correlationSpike).state == .degraded)
    }
}
