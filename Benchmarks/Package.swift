// swift-tools-version: 6.1
//
// Quorum's benchmark suites on package-benchmark. Run from this folder:
//   swift package --disable-sandbox benchmark
// Committed thresholds (Thresholds/) hold the steady-state malloc count at 0.

import PackageDescription

let package = Package(
    name: "QuorumBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Quorum", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The TSC read for timing single journal appends.
        .target(name: "CJournalBenchSupport", path: "Benchmarks/CJournalBenchSupport"),
        .executableTarget(
            name: "JournalBenchmarks",
            dependencies: [
                "CJournalBenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumJournal", package: "Quorum"),
            ],
            path: "Benchmarks/JournalBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RingBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumRings", package: "Quorum"),
            ],
            path: "Benchmarks/RingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Pre-trade gate, EWMA covariance update, incremental vs full VaR.
        .executableTarget(
            name: "RiskBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumRisk", package: "Quorum"),
            ],
            path: "Benchmarks/RiskBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The agents' desk step per market event, and the incremental indicators.
        .executableTarget(
            name: "AgentBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumAgents", package: "Quorum"),
                .product(name: "QuorumRisk", package: "Quorum"),
                .product(name: "QuorumBook", package: "Quorum"),
                .product(name: "QuorumWire", package: "Quorum"),
            ],
            path: "Benchmarks/AgentBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Book maintenance, decode, per-operation latency on a generated day.
        .executableTarget(
            name: "BookBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumBook", package: "Quorum"),
                .product(name: "QuorumWire", package: "Quorum"),
                .product(name: "QuorumMarketTools", package: "Quorum"),
            ],
            path: "Benchmarks/BookBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Matching + ITCH encoding + MoldUDP64 packing for the exchange simulator (no sockets).
        .executableTarget(
            name: "ExchangeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumExchange", package: "Quorum"),
                .product(name: "QuorumWire", package: "Quorum"),
                .product(name: "QuorumMarketTools", package: "Quorum"),
            ],
            path: "Benchmarks/ExchangeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // FIX 4.4 codec: encode NewOrderSingle, parse + validate ExecutionReport.
        .executableTarget(
            name: "FIXBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumWire", package: "Quorum"),
            ],
            path: "Benchmarks/FIXBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The io_uring reactor's loopback paths and the MoldUDP64 receive state machine.
        .executableTarget(
            name: "NetBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumNet", package: "Quorum"),
                .product(name: "QuorumWire", package: "Quorum"),
            ],
            path: "Benchmarks/NetBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The whole backtest loop per feed message: books, the default team's desk step, the
        // fill model and the coordinator (malloc 0 in steady state).
        .executableTarget(
            name: "BacktestBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumEngine", package: "Quorum"),
                .product(name: "QuorumMarketTools", package: "Quorum"),
                .product(name: "QuorumWire", package: "Quorum"),
            ],
            path: "Benchmarks/BacktestBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The same publisher path as a plain program (quick figure, callgrind).
        .executableTarget(
            name: "ExchangeThroughput",
            dependencies: [
                .product(name: "QuorumExchange", package: "Quorum"),
                .product(name: "QuorumWire", package: "Quorum"),
                .product(name: "QuorumMarketTools", package: "Quorum"),
            ],
            path: "Benchmarks/ExchangeThroughput"
        ),
        // The whole feed → book → rule → FIX order path on loopback (malloc 0 in steady state).
        .executableTarget(
            name: "TickToTradeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuorumEngine", package: "Quorum"),
                .product(name: "QuorumExchange", package: "Quorum"),
                .product(name: "QuorumNet", package: "Quorum"),
                .product(name: "QuorumBook", package: "Quorum"),
                .product(name: "QuorumWire", package: "Quorum"),
            ],
            path: "Benchmarks/TickToTradeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
