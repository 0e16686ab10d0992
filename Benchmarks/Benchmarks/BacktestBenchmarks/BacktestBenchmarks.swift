// The whole backtest loop per market event: one ITCH message of a generated day through
// the books and, when it moves one of the 20 traded symbols, the default team's desk step
// (6 analysts, regime, correlation, portfolio, execution, risk, supervisor, 2 team leads),
// the fill model and the coordinator (order manager, P&L, checkpoints) — `Backtest.process`,
// the body of `quorum backtest`'s loop. No journal here (its own suite measures appends).
//
// Steady state: mallocCountTotal is held at 0 by the committed threshold.

import Benchmark
import QuorumEngine
import QuorumMarketTools
import QuorumWire

/// A generated 50-symbol day in memory, a backtest over its 20 most active symbols, and a
/// reader part-way through it (books warm, positions open). Used by one benchmark at a time
/// on one thread (the coordinator's single-owner rule); `@unchecked Sendable` only
/// satisfies the closure's signature.
final class BacktestFixture: @unchecked Sendable {
    let feed: UnsafeMutableRawBufferPointer
    let backtest: Backtest
    var cursor: BacktestCursor
    var reader: ITCHDayFile.Reader
    /// Messages left unread when the fixture would run dry (checked after the run).
    var exhausted = 0

    init(messages: Int, warm: Int) {
        let bytes = SyntheticDay.bytes(options: .init(symbols: 50, messages: messages, seed: 7))
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        feed = copy
        let whole = UnsafeRawBufferPointer(copy)
        let setup = Backtest.chooseSymbols(BacktestSetup(), feed: whole)
        backtest = try! Backtest(setup: setup, journalDirectory: nil)
        cursor = backtest.makeCursor()
        reader = ITCHDayFile.Reader(whole)
        for _ in 0..<warm { step() }
    }

    /// One feed message (a market event).
    @inline(__always)
    func step() {
        guard let frame = try? reader.next() else { exhausted &+= 1; return }
        backtest.process(frame.bytes, &cursor)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 20,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_500
    )

    // 1000 feed messages per iteration over 3M generated ones: 200k to warm, at most
    // (20 + 1500) × 1000 measured, so the day never runs dry (`exhausted` stays 0).
    let fixture = BacktestFixture(messages: 3_000_000, warm: 200_000)
    Benchmark("Backtest.process.20symbols.x1000") { benchmark in
        for _ in benchmark.scaledIterations { fixture.step() }
        precondition(fixture.exhausted == 0, "the generated day ran dry: raise its message count")
        blackHole(fixture.cursor.messages)
    }
}
