// swift-tools-version: 6.1
//
// Quorum's package-benchmark suites. Run from this directory:
//   swift package --disable-sandbox benchmark --target BookBenchmarks

import PackageDescription

let package = Package(
    name: "QuorumBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Quorum", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
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
    ],
    swiftLanguageModes: [.v6]
)
