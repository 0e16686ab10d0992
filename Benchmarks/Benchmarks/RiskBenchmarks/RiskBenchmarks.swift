// Risk hot paths: the pre-trade gate, the EWMA covariance update, and incremental VaR
// against the O(n²) full recomputation it replaces.
//
// Names carry no spaces: package-benchmark writes threshold files with spaces turned
// into underscores but looks them up by the raw name.
//
// Every benchmark here is a steady-state hot path, so mallocCountTotal is held at 0 by
// the committed static thresholds in Benchmarks/Thresholds (checked with
// `swift package --disable-sandbox benchmark thresholds check --target RiskBenchmarks`).
//
// One operation per iteration (no scaling) so p50/p99 are per-call latencies; they include
// the harness's clock reads (a few tens of ns), so the true figures are lower.

import Benchmark
import QuorumRisk

/// Pre-built risk state shared by the benchmark closures. The harness runs benchmarks one
/// at a time on one thread, which is the single-owner discipline these types require;
/// `@unchecked Sendable` only satisfies the closure's signature.
final class RiskFixture: @unchecked Sendable {
    let n: Int
    let portfolio: Portfolio
    let gate: RiskGate
    let returns: [[Double]]
    var next = 0

    init(n: Int, seed: UInt64) {
        self.n = n
        var rng = SplitMix(state: seed)
        let config = try! RiskConfig(instrumentCapacity: n, lambda: 0.94, confidence: 0.99, horizon: 1)
        let risk = PortfolioRisk(config: config)
        // One-factor returns so Σ is dense and realistic.
        let betas = (0..<n).map { _ in 0.5 + rng.uniform() }
        returns = (0..<64).map { _ in
            let f = 0.01 * rng.normal()
            return betas.map { $0 * f + 0.005 * rng.normal() }
        }
        for k in 0..<500 { risk.update(returns: returns[k % 64]) }
        portfolio = try! Portfolio(risk: risk, capital: 100_000_000,
                                   sectors: (0..<n).map { $0 % 8 }, teams: (0..<n).map { $0 % 4 })
        for i in 0..<n {
            portfolio.set(i, position: Int64(rng.next() % 2000) - 1000, markTicks: 1_000_000 + Int64(rng.next() % 1_000_000))
        }
        // Finite limits everywhere so every check is evaluated, none binding for the
        // approve benchmark; instrument 1's position limit binds for the resize one.
        var limits = RiskLimits.unlimited(instruments: n, sectors: 8, teams: 4)
        limits.maxOrderQuantity = 100_000
        limits.maxOrderNotional = 10_000_000
        limits.priceCollarBasisPoints = 500
        limits.maxPosition = Array(repeating: 50_000, count: n)
        limits.maxPosition[1] = Int64(portfolio.position(1).magnitude) + 100
        limits.maxInstrumentNotional = Array(repeating: 5_000_000, count: n)
        limits.maxGross = 1e10; limits.maxNet = 1e10; limits.concentration = 0.10
        limits.maxSectorGross = Array(repeating: 1e9, count: 8)
        limits.maxTeamGross = Array(repeating: 1e9, count: 4)
        limits.varBudget = 1e9
        gate = try! RiskGate(limits: limits, for: portfolio)
    }

    func nextReturns() -> [Double] {
        next = next == 63 ? 0 : next + 1
        return returns[next]
    }
}

/// A 100-instrument engine with small positions and 64 rows of mids to cycle through.
/// Same single-thread discipline as `RiskFixture`.
final class EngineFixture: @unchecked Sendable {
    let engine: RiskEngine
    let mids: [[Int64]]
    var t: UInt64 = 0

    init() {
        engine = try! RiskEngine(config: RiskConfig(instrumentCapacity: 100), capital: 100_000_000,
                                 sectors: (0..<100).map { $0 % 8 }, teams: (0..<100).map { $0 % 4 },
                                 limits: .unlimited(instruments: 100, sectors: 8, teams: 4))
        mids = (0..<64).map { k in (0..<100).map { i in 1_000_000 + Int64((i * 7919 + k * 104_729) % 20_000) } }
        for i in 0..<100 { engine.onMid(i, ticks: mids[0][i]) }
        engine.onClockTick(atNanos: 0)  // marks arrive with the clock; fills need a mark
        for i in 0..<100 { precondition(engine.onFill(i, signedQuantity: Int64(i % 7) - 3)) }
    }
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15  // SplitMix64 increment; wrapping by design
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
    mutating func normal() -> Double {
        // Irwin–Hall(12) − 6: close enough to normal for benchmark inputs, no libm needed.
        var s = 0.0
        for _ in 0..<12 { s += uniform() }
        return s - 6
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 1000,
        maxDuration: .seconds(2),
        maxIterations: 200_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])]
    )

    // The harness's own floor for a one-call sample (clock reads, loop, blackHole): subtract
    // it mentally from the single-call figures below.
    Benchmark("Harness.emptySample") { benchmark in
        for k in benchmark.scaledIterations { blackHole(k) }
    }

    let f100 = RiskFixture(n: 100, seed: 1)
    let f500 = RiskFixture(n: 500, seed: 2)

    // The gate's common case: every limit and the incremental VaR evaluated, order passes.
    let approveOrder = Order(instrument: 17, side: .buy, quantity: 10, priceTicks: f100.portfolio.markTicks(17))
    precondition(f100.gate.check(approveOrder, f100.portfolio) == .approve)
    Benchmark("RiskGate.check.approve.n100") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(f100.gate.check(approveOrder, f100.portfolio))
        }
    }

    // The same with 1000 calls per timed iteration, so the harness's clock reads (≈ 95 ns
    // per sample here, see PortfolioRisk.incrementalVaR) do not hide the gate's own cost.
    // Alternating instruments keeps the optimiser from treating the calls as one.
    let approveOrders = (0..<8).map { k in
        Order(instrument: 16 + k, side: .buy, quantity: 10, priceTicks: f100.portfolio.markTicks(16 + k))
    }
    for o in approveOrders { precondition(f100.gate.check(o, f100.portfolio) == .approve) }
    Benchmark("RiskGate.check.approve.n100.x1000", configuration: .init(scalingFactor: .kilo, maxIterations: 20_000)) { benchmark in
        for k in benchmark.scaledIterations {
            blackHole(f100.gate.check(approveOrders[k & 7], f100.portfolio))
        }
    }

    // The resize path: position limit binds, analytic bound then confirmation.
    let side: Side = f100.portfolio.position(1) >= 0 ? .buy : .sell
    let resizeOrder = Order(instrument: 1, side: side, quantity: 500, priceTicks: f100.portfolio.markTicks(1))
    precondition(f100.gate.check(resizeOrder, f100.portfolio) == .resize(quantity: 100, reason: .position))
    Benchmark("RiskGate.check.resize.n100") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(f100.gate.check(resizeOrder, f100.portfolio))
        }
    }

    // O(n²): 3n² flops (λ·Σᵢⱼ, uᵢ·uⱼ, add) plus n for u = √(1−λ)·r.
    Benchmark("EWMACovariance.update.n100") { benchmark in
        let cov = f100.portfolio.risk.covariance
        for _ in benchmark.scaledIterations {
            f100.returns[f100.next].withUnsafeBufferPointer { blackHole(cov.update(returns: $0)) }
            f100.next = f100.next == 63 ? 0 : f100.next + 1
        }
    }

    // Σ update plus the O(n) carry of Σw and σₚ² — what the coordinator runs per clock tick.
    Benchmark("PortfolioRisk.update.n100") { benchmark in
        let risk = f100.portfolio.risk
        for _ in benchmark.scaledIterations {
            f100.returns[f100.next].withUnsafeBufferPointer { blackHole(risk.update(returns: $0)) }
            f100.next = f100.next == 63 ? 0 : f100.next + 1
        }
    }

    // The coordinator's whole clock tick: sample, Σ/Σw/σₚ² update, P&L window, re-mark,
    // max-correlation scan for the breaker. Mids move every tick so re-marking is real.
    let tick = EngineFixture()
    Benchmark("RiskEngine.onClockTick.n100") { benchmark in
        for _ in benchmark.scaledIterations {
            tick.t &+= 1  // wrapping is irrelevant at benchmark lengths
            let row = tick.mids[Int(tick.t & 63)]
            for i in 0..<100 { tick.engine.onMid(i, ticks: row[i]) }
            blackHole(tick.engine.onClockTick(atNanos: tick.t))
        }
    }

    for f in [f100, f500] {
        let risk = f.portfolio.risk
        let delta = 1_000.0
        // O(1) from the cached Σw: the number the gate needs for a proposed order.
        Benchmark("PortfolioRisk.incrementalVaR.n\(f.n)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(risk.incrementalVaR(7, exposureChange: delta))
            }
        }
        Benchmark("PortfolioRisk.incrementalVaR.n\(f.n).x1000", configuration: .init(scalingFactor: .kilo, maxIterations: 20_000)) { benchmark in
            for k in benchmark.scaledIterations {
                blackHole(risk.incrementalVaR(k & 63, exposureChange: delta))
            }
        }
        // O(n): applying a fill (σₚ² and Σw updated from column i).
        Benchmark("PortfolioRisk.setExposure.n\(f.n)") { benchmark in
            var flip = false
            for _ in benchmark.scaledIterations {
                flip.toggle()
                let w = risk.exposure(7) + (flip ? delta : -delta)
                blackHole(risk.setExposure(7, w))
            }
        }
        // O(n²): full wᵀΣw + Σw, the in-process analogue of the numpy baseline.
        Benchmark("PortfolioRisk.recompute.n\(f.n)") { benchmark in
            for _ in benchmark.scaledIterations {
                risk.recompute()
                blackHole(risk.valueAtRisk)
            }
        }
    }
}
