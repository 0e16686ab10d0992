// swift-tools-version: 6.1
//
// Quorum: a low-latency trading engine in which a team of agents trades together.
// One module per part of the map in DESIGN.md; `quorum` is the one binary.

import PackageDescription

import class Foundation.ProcessInfo

// `make test-tsan` builds with QUORUM_TSAN=1: the rings then report their slot accesses
// to ThreadSanitizer, which cannot see unsafe-pointer accesses by itself, and the package
// shrinks to the rings and their tests (the TSan build of the whole tree trips a compiler
// crash in QuorumBook, "Invalid bitcast", with Swift 6.3.1).
let tsan = ProcessInfo.processInfo.environment["QUORUM_TSAN"] == "1"

let atomics = Target.Dependency.product(name: "Atomics", package: "swift-atomics")

// The net loop and the simulator touch dozens of class-stored counters and tables per
// message; with dynamic exclusivity enforcement each access is a swift_beginAccess call,
// which measured as a quarter of the simulator's instructions (callgrind, quorum sim
// --rate 0) and half of the net loop's busy-poll turn (callgrind, quorum bench
// tick-to-trade). These modules are single-threaded by contract (one loop owns each
// reactor, session, publisher) and checked statically; the rest keeps the default.
// The desk and the coordinator are too (one owner each, the coordinator loop): their
// remaining checks were ~5% of a backtest's instructions (callgrind, quorum backtest).
let uncheckedExclusivity: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let core: [Target] = [
    // liburing and libnuma, plus the few shims Swift cannot import (variadic syscalls, pause).
    .systemLibrary(name: "CURing", path: "Sources/CURing"),

    // Lock-free rings, seqlock, wait strategies, pinned threads and loop runners.
    .target(
        name: "QuorumRings",
        dependencies: ["CURing", atomics],
        swiftSettings: tsan ? [.define("QUORUM_TSAN")] : []
    ),
    .testTarget(name: "QuorumRingsTests", dependencies: ["QuorumRings"]),
]

let rest: [Target] = [
    // Configuration and the wiring of loops to threads and cores.
    .target(
        name: "QuorumEngine",
        dependencies: [
            "QuorumRings", "QuorumRisk", "QuorumWire", "QuorumBook", "QuorumNet", "QuorumAgents", "QuorumJournal",
            atomics,
            .product(name: "TOMLKit", package: "TOMLKit"),
            // Live mode's tick-to-trade histogram.
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ],
        swiftSettings: uncheckedExclusivity
    ),

    // EWMA covariance, VaR/ES, limits, the pre-trade gate and circuit breakers.
    // State images (snapshots) come from the journal module. One owner (the coordinator
    // loop), so no dynamic exclusivity checks: the breakers' `mode` getter alone spent ~75
    // instructions per desk step in them (callgrind, quorum replay).
    .target(name: "QuorumRisk", dependencies: ["QuorumJournal"], swiftSettings: uncheckedExclusivity),

    // Market data on the wire: ITCH 5.0, MoldUDP64, SoupBinTCP, day-file framing.
    .target(name: "QuorumWire"),
    // Cache-prefetch shims for the book's hot path (header-only).
    .target(name: "CQuorumBook"),
    // Preallocated L3 order books, the multi-symbol book manager, MarketUpdate.
    .target(name: "QuorumBook", dependencies: ["QuorumWire", "CQuorumBook"]),
    // Offline tools over market data: LOBSTER replay/check/convert, ITCH stats/book/generate.
    .target(name: "QuorumMarketTools", dependencies: ["QuorumWire", "QuorumBook", "QuorumRings", atomics],
            swiftSettings: uncheckedExclusivity),

    // CRC32C (SSE 4.2 when the CPU has it, a table otherwise) and the file helpers that
    // need _GNU_SOURCE (fallocate, sync_file_range).
    .target(name: "CQuorumCRC", path: "Sources/CQuorumCRC"),
    // The journal: segments, writer, reader, recovery, snapshots and the user tools.
    .target(name: "QuorumJournal", dependencies: ["CQuorumCRC", "CURing", "QuorumRings", atomics]),
    // A child process for the crash-safety test: appends under `group` and prints every
    // durable sequence, until it is killed.
    .executableTarget(
        name: "quorum-journal-crashchild",
        dependencies: ["QuorumJournal"],
        path: "Sources/QuorumJournalCrashChild"
    ),

    // A child process for the recovery tests: a coordinator over an ITCH day that recovers
    // from its journal when there is one, trades on, and is killed at random points.
    .executableTarget(
        name: "quorum-recovery-child",
        dependencies: ["QuorumEngine", "QuorumJournal"],
        path: "Sources/QuorumRecoveryChild"
    ),

    // The io_uring reactor, the MoldUDP64/SoupBinTCP feed clients and the FIX 4.4 session.
    .target(
        name: "QuorumNet",
        dependencies: ["CURing", "QuorumRings", "QuorumWire", "QuorumBook", atomics],
        swiftSettings: uncheckedExclusivity
    ),
    // The exchange simulator: matching engine, ITCH/MoldUDP64 publisher, FIX acceptor, flow.
    .target(
        name: "QuorumExchange",
        dependencies: ["QuorumWire", "QuorumBook", "QuorumMarketTools", "QuorumNet", "QuorumRings", atomics],
        swiftSettings: uncheckedExclusivity
    ),
    // The trading team: analysts, regime, correlation, portfolio, execution, risk and
    // supervisor agents, and the coordination mechanisms between them.
    .target(name: "QuorumAgents", dependencies: ["QuorumBook", "QuorumRisk", "QuorumJournal"], swiftSettings: uncheckedExclusivity),

    .executableTarget(
        name: "quorum",
        dependencies: [
            "QuorumRings", "QuorumEngine", "QuorumRisk", "QuorumWire", "QuorumBook",
            "QuorumMarketTools", "QuorumJournal", "QuorumNet", "QuorumExchange", "QuorumAgents", atomics,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]
    ),

    .testTarget(
        name: "QuorumEngineTests",
        dependencies: ["QuorumEngine", "QuorumNet", "QuorumExchange", "QuorumWire", "QuorumBook", "QuorumAgents",
                       "QuorumJournal", "QuorumMarketTools", "QuorumRings", "quorum-recovery-child", atomics]
    ),
    .testTarget(name: "QuorumRiskTests", dependencies: ["QuorumRisk", "QuorumJournal"]),
    .testTarget(name: "QuorumWireTests", dependencies: ["QuorumWire"]),
    .testTarget(name: "QuorumBookTests", dependencies: ["QuorumBook", "QuorumWire"]),
    .testTarget(name: "QuorumMarketToolsTests", dependencies: ["QuorumMarketTools", "QuorumBook", "QuorumWire"]),
    .testTarget(name: "QuorumNetTests", dependencies: ["QuorumNet", "QuorumWire", "QuorumBook", "CURing"]),
    .testTarget(
        name: "QuorumExchangeTests",
        dependencies: ["QuorumExchange", "QuorumNet", "QuorumWire", "QuorumBook", "QuorumRings", "QuorumMarketTools"]
    ),
    .testTarget(name: "QuorumAgentsTests", dependencies: ["QuorumAgents", "QuorumBook", "QuorumRisk", "QuorumJournal"]),
    .testTarget(
        name: "QuorumJournalTests",
        dependencies: ["QuorumJournal", "CQuorumCRC", "quorum-journal-crashchild"]
    ),
]

let libraries = [
    "QuorumRings", "QuorumEngine", "QuorumRisk", "QuorumWire", "QuorumBook",
    "QuorumMarketTools", "QuorumJournal", "QuorumNet", "QuorumExchange", "QuorumAgents",
]

let package = Package(
    name: "Quorum",
    platforms: [.macOS(.v15)],
    products: tsan
        ? [.library(name: "QuorumRings", targets: ["QuorumRings"])]
        : [.executable(name: "quorum", targets: ["quorum"])] + libraries.map { .library(name: $0, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: tsan ? core : core + rest,
    swiftLanguageModes: [.v6]
)
