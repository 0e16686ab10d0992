// swift-tools-version: 6.1
//
// Quorum: a low-latency trading engine in which a team of agents trades together.
// One module per part of the map in DESIGN.md; `quorum` is the one binary.

import PackageDescription

import class Foundation.ProcessInfo

// `make test-tsan` builds with QUORUM_TSAN=1: the rings then report their slot accesses
// to ThreadSanitizer, which cannot see unsafe-pointer accesses by itself.
let tsanAnnotations: [SwiftSetting] =
    ProcessInfo.processInfo.environment["QUORUM_TSAN"] == "1" ? [.define("QUORUM_TSAN")] : []

let package = Package(
    name: "Quorum",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quorum", targets: ["quorum"]),
        .library(name: "QuorumRings", targets: ["QuorumRings"]),
        .library(name: "QuorumEngine", targets: ["QuorumEngine"]),
        .library(name: "QuorumRisk", targets: ["QuorumRisk"]),
        .library(name: "QuorumWire", targets: ["QuorumWire"]),
        .library(name: "QuorumBook", targets: ["QuorumBook"]),
        .library(name: "QuorumMarketTools", targets: ["QuorumMarketTools"]),
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

        // Lock-free rings, seqlock, wait strategies, pinned threads and loop runners.
        .target(
            name: "QuorumRings",
            dependencies: [
                "CURing",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: tsanAnnotations
        ),

        // Configuration and the wiring of loops to threads and cores.
        .target(
            name: "QuorumEngine",
            dependencies: [
                "QuorumRings",
                "QuorumRisk",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),

        // EWMA covariance, VaR/ES, limits, the pre-trade gate and circuit breakers.
        .target(name: "QuorumRisk"),

        // Market data on the wire: ITCH 5.0, MoldUDP64, SoupBinTCP, day-file framing.
        .target(name: "QuorumWire"),
        // Preallocated L3 order books, the multi-symbol book manager, MarketUpdate.
        .target(name: "QuorumBook", dependencies: ["QuorumWire", "CQuorumBook"]),
        // Cache-prefetch shims for the book's hot path (header-only).
        .target(name: "CQuorumBook"),
        // Offline tools over market data: LOBSTER replay/check/convert, ITCH stats/book/generate.
        .target(name: "QuorumMarketTools", dependencies: ["QuorumWire", "QuorumBook"]),

        .executableTarget(
            name: "quorum",
            dependencies: [
                "QuorumRings",
                "QuorumEngine",
                "QuorumRisk",
                "QuorumWire",
                "QuorumBook",
                "QuorumMarketTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        .testTarget(name: "QuorumRingsTests", dependencies: ["QuorumRings"]),
        .testTarget(name: "QuorumRiskTests", dependencies: ["QuorumRisk"]),
        .testTarget(name: "QuorumWireTests", dependencies: ["QuorumWire"]),
        .testTarget(name: "QuorumBookTests", dependencies: ["QuorumBook", "QuorumWire"]),
        .testTarget(name: "QuorumMarketToolsTests", dependencies: ["QuorumMarketTools", "QuorumBook", "QuorumWire"]),
        .testTarget(
            name: "QuorumEngineTests",
            dependencies: ["QuorumEngine", .product(name: "Atomics", package: "swift-atomics")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
