import Testing
@testable import QuorumRisk

@Suite("VaR backtesting")
struct BacktestTests {
    // Kupiec POF, T = 250 days, x = 8 exceptions, p = 0.01 (by hand, natural logs):
    //   H0:  242·ln(0.99) + 8·ln(0.01)       = 242·(−0.0100503) + 8·(−4.6051702) = −39.273546
    //   H1:  242·ln(242/250) + 8·ln(8/250)   = 242·(−0.0325232) + 8·(−3.4420193) = −35.406771
    //   LR = −2·(−39.273546 + 35.406771)     = 7.73355
    // Cross-checked in Python: 7.73355072449452 (p-value 0.00542 vs χ²(1)).
    @Test("Kupiec LR for 8 exceptions in 250 days at 99% is 7.73355")
    func kupiec() {
        let lr = VaRBacktest.kupiecLR(observations: 250, exceptions: 8, p: 0.01)
        #expect(abs(lr - 7.73355072449452) < 1e-9)
        #expect(abs(VaRBacktest.chiSquare1PValue(lr) - 0.0054204051941277994) < 1e-9)
        // Exactly the expected rate: LR = 0.
        #expect(VaRBacktest.kupiecLR(observations: 1000, exceptions: 10, p: 0.01) < 1e-9)
        // 1000 days, 17 exceptions: 983·ln .99 + 17·ln .01 vs 983·ln .983 + 17·ln .017 → 4.09097
        #expect(abs(VaRBacktest.kupiecLR(observations: 1000, exceptions: 17, p: 0.01) - 4.0909725545456) < 1e-9)
        // No exceptions at all uses 0·ln 0 = 0: LR = −2·250·ln(0.99) = 5.025167.
        #expect(abs(VaRBacktest.kupiecLR(observations: 250, exceptions: 0, p: 0.01) - (-2 * 250 * log(0.99))) < 1e-12)
    }

    // Christoffersen independence with n00 = 238, n01 = 6, n10 = 6, n11 = 2 (252 transitions):
    //   π0 = 6/244 = 0.0245902, π1 = 2/8 = 0.25, π = 8/252 = 0.0317460
    //   H0:  244·ln(1 − π) + 8·ln π                = 244·(−0.0322604) + 8·(−3.4499875) = −35.471494
    //   H1:  238·ln(1 − π0) + 6·ln π0 + 6·ln(0.75) + 2·ln(0.25)
    //      = 238·(−0.0248973) + 6·(−3.7054087) + 6·(−0.2876821) + 2·(−1.3862944) = −32.656694
    //   LR = −2·(−35.471494 + 32.656694)           = 5.6296
    // Cross-checked in Python: 5.62959953717262.
    @Test("Christoffersen LR for clustered exceptions is 5.6296, and 0 for independent ones")
    func christoffersen() throws {
        #expect(abs(VaRBacktest.christoffersenLR(n00: 238, n01: 6, n10: 6, n11: 2) - 5.62959953717262) < 1e-9)
        // Build the same counts from a day-by-day sequence: 253 days.
        var bt = try VaRBacktest(confidence: 0.99)
        var days = [Bool](repeating: false, count: 253)
        // Pairs of consecutive exceptions (two clusters) and 4 isolated exceptions.
        for d in [10, 11, 50, 51, 90, 130, 170, 210] { days[d] = true }
        for d in days { bt.record(exception: d) }
        #expect(bt.n01 == 6 && bt.n10 == 6 && bt.n11 == 2 && bt.n00 == 238)
        #expect(abs(bt.christoffersenLR - 5.62959953717262) < 1e-9)
        #expect(bt.exceptions == 8 && bt.observations == 253)
        // π0 == π1 gives LR = 0: n00 = 90, n01 = 10, n10 = 9, n11 = 1 (π0 = π1 = 0.1).
        #expect(VaRBacktest.christoffersenLR(n00: 90, n01: 10, n10: 9, n11: 1) < 1e-9)
    }

    // Binomial(250, 0.01) cumulative probabilities (scipy): P(X≤4) = 0.8922, P(X≤5) = 0.9588,
    // P(X≤9) = 0.99975, P(X≤10) = 0.999946 — hence green 0–4, yellow 5–9, red 10+ as in the
    // Basel table.
    @Test("Basel traffic light over 250 days at 99%: 4 green, 5 yellow, 9 yellow, 10 red")
    func trafficLight() {
        #expect(VaRBacktest.TrafficLight(observations: 250, exceptions: 4, p: 0.01) == .green)
        #expect(VaRBacktest.TrafficLight(observations: 250, exceptions: 5, p: 0.01) == .yellow)
        #expect(VaRBacktest.TrafficLight(observations: 250, exceptions: 9, p: 0.01) == .yellow)
        #expect(VaRBacktest.TrafficLight(observations: 250, exceptions: 10, p: 0.01) == .red)
        #expect(abs(VaRBacktest.binomialCDF(5, 250, 0.01) - 0.9588168159301517) < 1e-12)
    }

    @Test("record(pnl:valueAtRisk:) counts a loss beyond VaR, not one equal to it")
    func exceptionDefinition() throws {
        var bt = try VaRBacktest(confidence: 0.99)
        bt.record(pnl: -100, valueAtRisk: 100)
        bt.record(pnl: -100.01, valueAtRisk: 100)
        #expect(bt.exceptions == 1)
    }
}

@Suite("Historical simulation")
struct HistoricalTests {
    @Test("VaR is the k-th worst loss and ES the mean of the k worst, k = ⌈N(1−α)⌉")
    func historicalVaR() throws {
        let w = try PnLWindow(capacity: 100)
        // P&L −50…+49 in scrambled order: losses are 50, 49, … .
        var rng = SeededGenerator(seed: 5)
        var values = (0..<100).map { Double($0 - 50) }
        values.shuffle(using: &rng)
        for v in values { w.record(v) }
        let m95 = w.measures(confidence: 0.95)       // k = 5: losses 50 49 48 47 46
        #expect(m95.valueAtRisk == 46)
        #expect(m95.expectedShortfall == 48)
        let m99 = w.measures(confidence: 0.99)       // k = 1, not 2 (1 − 0.99 rounding)
        #expect(m99.valueAtRisk == 50 && m99.expectedShortfall == 50)
        #expect(PnLWindow.tailCount(observations: 250, confidence: 0.99) == 3)
    }

    @Test("the window rolls: old observations fall out; non-finite P&L is counted")
    func rolling() throws {
        let w = try PnLWindow(capacity: 3)
        for v in [-1000.0, 1, 2, 3] { w.record(v) }
        #expect(w.count == 3)
        #expect([w.observation(0), w.observation(1), w.observation(2)] == [1, 2, 3])
        #expect(w.measures(confidence: 0.9).valueAtRisk == -1)   // worst "loss" is −1 (a gain)
        #expect(w.record(.nan) == false)
        #expect(w.rejected == 1)
    }
}

@Suite("Stress scenarios")
struct StressTests {
    @Test("most specific shock wins: BTC −20%, alts −35%, sector override")
    func precedence() throws {
        // 0 = BTC, 1 = ETH, 2 = SOL (sector 1), 3 = USDC (sector 2)
        let s = try StressScenario(name: "crypto crash", shocks: [
            .init(.all, -0.35), .init(.instrument(0), -0.20), .init(.sector(2), 0),
        ])
        let pnl = s.pnl(exposures: [1000, 500, 200, 300], sectors: [0, 0, 1, 2])
        #expect(abs(pnl - (-200 - 175 - 70 + 0)) < 1e-9)
        #expect(throws: RiskError.self) { try StressScenario(name: "bad", shocks: [.init(.all, -1.5)]) }
        #expect(throws: RiskError.self) { try StressScenario(name: "bad", shocks: [.init(.all, .nan)]) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
