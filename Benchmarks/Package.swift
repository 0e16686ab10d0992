// swift-tools-version: 6.1
//
// Quorum's package-benchmark suites; run from this folder with
//   swift package --disable-sandbox benchmark --target <Suite>

import PackageDescription

let package = Package(
    name: "QuorumBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named so the product reference does not depend on the checkout folder's name.
        .package(name: "Quorum", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
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
    ]
)
