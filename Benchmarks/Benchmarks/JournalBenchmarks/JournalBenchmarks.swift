// Journal benchmarks (issue 5 targets):
//  - append of 64-byte payloads under policy `none`: ≥ 10 M records/s sustained, malloc 0;
//  - the hot-path hand-off (one append) p99 ≤ 200 ns;
//  - group commit MB/s (compared with dd … conv=fdatasync by tools/baselines/journal-group-commit.sh);
//  - replay (read + CRC + dispatch) ≥ 20 M records/s from page cache.
// Journals go to $QUORUM_BENCH_DIR (default /tmp), i.e. the file system being measured.

import Benchmark
import CJournalBenchSupport
import Foundation
import QuorumJournal

/// State shared between a benchmark's setup, body and teardown; the harness runs them in
/// sequence on one thread, so there is never concurrent access.
nonisolated(unsafe) var writer: JournalWriter?
nonisolated(unsafe) var runner: JournalLoopThread?
nonisolated(unsafe) var directory = ""
nonisolated(unsafe) var payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)

/// Histogram of single-append costs in TSC ticks (bucket i = i ticks; the last bucket
/// collects everything longer), preallocated so timing allocates nothing.
let histogramBuckets = 200_000
nonisolated(unsafe) var histogram = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: histogramBuckets)
/// TSC ticks per nanosecond and the cost of an empty timing pair, measured in setup.
nonisolated(unsafe) var ticksPerNs = 1.0
nonisolated(unsafe) var emptyPairTicks: UInt64 = 0

func calibrateTSC() {
    let c0 = ContinuousClock.now
    let t0 = cjournal_bench_tsc()
    while ContinuousClock.now - c0 < .milliseconds(100) {}
    let t1 = cjournal_bench_tsc()
    let elapsed = ContinuousClock.now - c0
    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    ticksPerNs = Double(t1 - t0) / ns
    var best = UInt64.max
    for _ in 0..<100_000 {
        let a = cjournal_bench_tsc()
        let b = cjournal_bench_tsc()
        best = min(best, b &- a)
    }
    emptyPairTicks = best
}

/// The value below which `fraction` of the recorded samples lie, in ns, timing pair subtracted.
func percentileNs(_ fraction: Double, total: Int) -> Int {
    let target = Int((Double(total) * fraction).rounded(.up))
    var seen = 0
    for i in 0..<histogramBuckets {
        seen += Int(histogram[i])
        if seen >= target {
            let ticks = i > Int(emptyPairTicks) ? i - Int(emptyPairTicks) : 0
            return Int((Double(ticks) / ticksPerNs).rounded())
        }
    }
    return Int(Double(histogramBuckets) / ticksPerNs)
}

func benchDirectory(_ label: String) -> String {
    let base = ProcessInfo.processInfo.environment["QUORUM_BENCH_DIR"] ?? "/tmp"
    return "\(base)/quorum-journal-bench-\(label)-\(getpid())"
}

func openWriter(_ label: String, fsync: JournalFsyncPolicy, ring: Int, segment: Int, coalesceBytes: Int = 0) throws {
    directory = benchDirectory(label)
    try? FileManager.default.removeItem(atPath: directory)
    var options = JournalWriterOptions(fsync: fsync, segmentSize: segment, ringCapacity: ring)
    options.maxPayload = 4096
    options.coalesceBytes = coalesceBytes
    let w = try JournalWriter(directory: directory, options: options)
    let r = JournalLoopThread(loop: w.loop, idleSleepNs: 1_000)
    r.start()
    writer = w
    runner = r
    payload.initializeMemory(as: UInt8.self, repeating: 0xA5)
}

func closeWriter() throws {
    runner?.stop()
    if let failure = writer?.failure { throw failure }
    try writer?.loop.drainAndSync()
    writer = nil
    runner = nil
    try? FileManager.default.removeItem(atPath: directory)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "Append 64 B, policy none (sustained, loop on its own thread)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega,
                             maxDuration: .seconds(10), maxIterations: 8,
                             thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])
    ) { benchmark in
        let w = writer!
        let p = UnsafeRawBufferPointer(rebasing: payload[0..<64])
        for i in benchmark.scaledIterations {
            while w.append(.demo, timestampNs: UInt64(i), payload: p) == nil {}
        }
    } setup: {
        try openWriter("append", fsync: .none, ring: 16 << 20, segment: 256 << 20)
    } teardown: {
        try closeWriter()
    }

    // Segments large enough that the loop never rolls during these runs: a roll formats
    // file names (the loop thread allocates then), and malloc counts are process-wide.
    Benchmark(
        "Append hand-off 64 B, one append (ring copy only)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds, scalingFactor: .one,
                             maxDuration: .seconds(5), maxIterations: 1_000_000,
                             thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])
    ) { benchmark in
        let p = UnsafeRawBufferPointer(rebasing: payload[0..<64])
        while writer!.append(.demo, timestampNs: 1, payload: p) == nil {}
    } setup: {
        try openWriter("handoff", fsync: .none, ring: 8 << 20, segment: 1 << 30)
    } teardown: {
        try closeWriter()
    }

    // Each append timed on its own with the TSC (RDTSCP pair, its own cost subtracted);
    // one iteration = 1 M appends, reported as that iteration's percentiles.
    Benchmark(
        "Append hand-off 64 B, TSC-timed single appends (percentiles per 1 M)",
        configuration: .init(metrics: [.custom("hand-off p50 (ns)", useScalingFactor: false),
                                       .custom("hand-off p99 (ns)", useScalingFactor: false),
                                       .custom("hand-off p99.9 (ns)", useScalingFactor: false),
                                       .mallocCountTotal],
                             scalingFactor: .one, maxDuration: .seconds(20), maxIterations: 10,
                             thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])
    ) { benchmark in
        let w = writer!
        let p = UnsafeRawBufferPointer(rebasing: payload[0..<64])
        histogram.update(repeating: 0)
        let n = 1_000_000
        for _ in 0..<n {
            let t0 = cjournal_bench_tsc()
            while w.append(.demo, timestampNs: 1, payload: p) == nil {}
            let t1 = cjournal_bench_tsc()
            histogram[min(Int(t1 &- t0), histogramBuckets - 1)] &+= 1
        }
        benchmark.measurement(.custom("hand-off p50 (ns)", useScalingFactor: false), percentileNs(0.50, total: n))
        benchmark.measurement(.custom("hand-off p99 (ns)", useScalingFactor: false), percentileNs(0.99, total: n))
        benchmark.measurement(.custom("hand-off p99.9 (ns)", useScalingFactor: false), percentileNs(0.999, total: n))
    } setup: {
        calibrateTSC()
        try openWriter("handofftsc", fsync: .none, ring: 8 << 20, segment: 2 << 30)
    } teardown: {
        try closeWriter()
    }

    // The same with the loop reading the ring in bursts of ≥ 64 KiB (or after 50 µs).
    Benchmark(
        "Append hand-off 64 B, TSC-timed, loop coalescing 64 KiB / 50 µs",
        configuration: .init(metrics: [.custom("hand-off p50 (ns)", useScalingFactor: false),
                                       .custom("hand-off p99 (ns)", useScalingFactor: false),
                                       .custom("hand-off p99.9 (ns)", useScalingFactor: false),
                                       .mallocCountTotal],
                             scalingFactor: .one, maxDuration: .seconds(20), maxIterations: 10,
                             thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])
    ) { benchmark in
        let w = writer!
        let p = UnsafeRawBufferPointer(rebasing: payload[0..<64])
        histogram.update(repeating: 0)
        let n = 1_000_000
        for _ in 0..<n {
            let t0 = cjournal_bench_tsc()
            while w.append(.demo, timestampNs: 1, payload: p) == nil {}
            let t1 = cjournal_bench_tsc()
            histogram[min(Int(t1 &- t0), histogramBuckets - 1)] &+= 1
        }
        benchmark.measurement(.custom("hand-off p50 (ns)", useScalingFactor: false), percentileNs(0.50, total: n))
        benchmark.measurement(.custom("hand-off p99 (ns)", useScalingFactor: false), percentileNs(0.99, total: n))
        benchmark.measurement(.custom("hand-off p99.9 (ns)", useScalingFactor: false), percentileNs(0.999, total: n))
    } setup: {
        calibrateTSC()
        try openWriter("handofftsc64k", fsync: .none, ring: 8 << 20, segment: 2 << 30, coalesceBytes: 64 << 10)
    } teardown: {
        try closeWriter()
    }

    // The harness's own per-iteration cost (two clock reads and its bookkeeping): subtract
    // it from the single-append figures above to get the hand-off itself.
    Benchmark(
        "Harness overhead, empty body (subtract from the one-append figures)",
        configuration: .init(metrics: [.wallClock], timeUnits: .nanoseconds, scalingFactor: .one,
                             maxDuration: .seconds(5), maxIterations: 1_000_000)
    ) { _ in
        blackHole(payload.baseAddress)
    }

    Benchmark(
        "Append hand-off 64 B, 100 appends per sample",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds, scalingFactor: .one,
                             maxDuration: .seconds(5), maxIterations: 100_000,
                             thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])
    ) { benchmark in
        let w = writer!
        let p = UnsafeRawBufferPointer(rebasing: payload[0..<64])
        for _ in 0..<100 {
            while w.append(.demo, timestampNs: 1, payload: p) == nil {}
        }
    } setup: {
        try openWriter("handoff100", fsync: .none, ring: 8 << 20, segment: 2 << 30)
    } teardown: {
        try closeWriter()
    }

    Benchmark(
        "Group commit, 4 KiB payloads, 64 MiB per iteration until durable",
        configuration: .init(metrics: [.wallClock, .throughput], timeUnits: .milliseconds, scalingFactor: .one,
                             maxDuration: .seconds(20), maxIterations: 5)
    ) { benchmark in
        let w = writer!
        let p = UnsafeRawBufferPointer(rebasing: payload[0..<4096])
        var last: UInt64 = 0
        for _ in 0..<(64 << 20) / 4096 {
            last = w.appendWaiting(.demo, timestampNs: 1, payload: p)!
        }
        precondition(w.waitUntilDurable(last, timeoutNs: 120_000_000_000))
    } setup: {
        try openWriter("group", fsync: .group, ring: 16 << 20, segment: 512 << 20)
    } teardown: {
        try closeWriter()
    }

    Benchmark(
        "Replay 1 M records of 64 B: read + CRC + dispatch (page cache)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega,
                             maxDuration: .seconds(10), maxIterations: 20)
    ) { benchmark in
        // One scaled iteration = one record: the body replays the whole 1 M-record journal once.
        var dispatched: UInt64 = 0
        let r = try JournalBench.replay(directory: directory) { record in dispatched &+= UInt64(record.payload.count) }
        precondition(r.records == 1_000_000)
        blackHole(dispatched &+ r.checksum)
    } setup: {
        try openWriter("replay", fsync: .none, ring: 64 << 20, segment: 256 << 20)
        let p = UnsafeRawBufferPointer(rebasing: payload[0..<64])
        for i in 0..<1_000_000 { _ = writer!.appendWaiting(.demo, timestampNs: UInt64(i), payload: p) }
        runner?.stop()
        try writer?.loop.drainAndSync()
        writer = nil
        runner = nil
    } teardown: {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
