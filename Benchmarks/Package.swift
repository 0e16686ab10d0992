// swift-tools-version: 6.1
//
// Quorum's package-benchmark suites. Run one with
//   cd Benchmarks && swift package --disable-sandbox benchmark --target JournalBenchmarks

import PackageDescription

let package = Package(
    name: "QuorumBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // name: the identity of a path dependency is its directory name (main, wt-journal, a CI
        // checkout …); naming it keeps `package: "Quorum"` valid wherever the repository sits.
        .package(name: "Quorum", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The TSC read for timing single appends.
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
    ],
    swiftLanguageModes: [.v6]
)
