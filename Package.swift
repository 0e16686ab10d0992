// swift-tools-version: 6.1
//
// Quorum: a low-latency trading engine in which a team of agents trades together.
// One module per part of the map in DESIGN.md; `quorum` is the one binary.

import PackageDescription

let package = Package(
    name: "Quorum",
    platforms: [.macOS(.v15)],
    products: [
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

        // Market data on the wire: ITCH 5.0, MoldUDP64, SoupBinTCP, day-file framing.
        .target(name: "QuorumWire"),
        // Preallocated L3 order books, the multi-symbol book manager, MarketUpdate.
        .target(name: "QuorumBook", dependencies: ["QuorumWire"]),
        // Offline tools over market data: LOBSTER replay/check/convert, ITCH stats/book/generate.
        .target(name: "QuorumMarketTools", dependencies: ["QuorumWire", "QuorumBook"]),

        .executableTarget(
            name: "quorum",
            dependencies: [
                "QuorumWire", "QuorumBook", "QuorumMarketTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "QuorumWireTests", dependencies: ["QuorumWire"]),
        .testTarget(name: "QuorumBookTests", dependencies: ["QuorumBook", "QuorumWire"]),
        .testTarget(name: "QuorumMarketToolsTests", dependencies: ["QuorumMarketTools", "QuorumBook", "QuorumWire"]),
    ],
    swiftLanguageModes: [.v6]
)
