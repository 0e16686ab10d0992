// swift-tools-version: 6.1
//
// Quorum: a low-latency trading engine in which a team of agents trades together.
// One module per part of the map in DESIGN.md; `quorum` is the one binary.

import PackageDescription

let package = Package(
    name: "Quorum",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "QuorumJournal", targets: ["QuorumJournal"]),
        .executable(name: "quorum", targets: ["quorum"]),
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

        // CRC32C: SSE 4.2 when the CPU has it, a table otherwise; one C file, one header.
        .target(name: "CQuorumCRC", path: "Sources/CQuorumCRC"),

        // The journal: segments, writer, reader, recovery, snapshots and the user tools.
        .target(
            name: "QuorumJournal",
            dependencies: [
                "CQuorumCRC",
                "CURing",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),

        // A child process for the crash-safety test: appends under `group` and prints
        // every durable sequence, until it is killed.
        .executableTarget(
            name: "quorum-journal-crashchild",
            dependencies: ["QuorumJournal"],
            path: "Sources/QuorumJournalCrashChild"
        ),

        // The one binary. The journal subcommands live in JournalCommand.swift.
        .executableTarget(
            name: "quorum",
            dependencies: [
                "QuorumJournal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(
            name: "QuorumJournalTests",
            dependencies: ["QuorumJournal", "CQuorumCRC", "quorum-journal-crashchild"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
