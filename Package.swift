// swift-tools-version: 6.1
//
// Quorum: a low-latency trading engine in which a team of agents trades together.
// One module per part of the map in DESIGN.md; `quorum` is the one binary.

import PackageDescription

let package = Package(
    name: "Quorum",
    platforms: [.macOS(.v15)],
    products: [
        // Exported so the sibling Benchmarks package can depend on the risk module.
        .library(name: "QuorumRisk", targets: ["QuorumRisk"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        // liburing and libnuma, plus the few shims Swift cannot import (macros, variadics).
        .systemLibrary(name: "CURing", path: "Sources/CURing"),

        // EWMA covariance, VaR/ES, limits, the pre-trade gate and circuit breakers.
        .target(name: "QuorumRisk"),
        .testTarget(name: "QuorumRiskTests", dependencies: ["QuorumRisk"]),

        // The one binary (in this worktree only the `risk` subcommand; the lead merges).
        .executableTarget(
            name: "quorum",
            dependencies: [
                "QuorumRisk",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
