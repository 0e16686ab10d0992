import Atomics
import Benchmark
import QuorumRings

#if canImport(Glibc)
import Glibc
#endif

/// Ring hot paths. Each benchmark sets up outside the measured region, so the malloc
/// count it reports is the steady state's: the committed thresholds hold it at 0
/// (`Thresholds/RingBenchmarks.*.json`, checked by `swift package benchmark thresholds check`).
/// Names carry no spaces, so they match their threshold files. Single-thread figures
/// measure the code path; `SPSCRing.crossCore.8B` measures the hand-over between cores.
let benchmarks: @Sendable () -> Void = {
    let steadyState = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 20,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])]
    )

    Benchmark("SPSCRing.pushPop.8B", configuration: steadyState) { benchmark in
        let ring = try SPSCRing<UInt64>(capacity: 1024)
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = ring.push(UInt64(i))
            sum &+= ring.pop()!
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    Benchmark("SPSCRing.claimCommit.8Bx64", configuration: steadyState) { benchmark in
        let ring = try SPSCRing<UInt64>(capacity: 1024)
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        var remaining = benchmark.scaledIterations.count
        while remaining > 0 {
            let claim = ring.claim(upTo: min(64, remaining))
            for i in 0..<claim.count { claim[i] = UInt64(i) }
            ring.commit(claim.count)
            let run = ring.readable()
            for v in run { sum &+= v }
            ring.release(run.count)
            remaining -= claim.count
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    Benchmark("MPSCRing.pushPop.8B", configuration: steadyState) { benchmark in
        let ring = try MPSCRing<UInt64>(capacity: 1024)
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = ring.push(UInt64(i))
            sum &+= ring.pop()!
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    Benchmark("BroadcastRing.publishRead3.8B", configuration: steadyState) { benchmark in
        let ring = try BroadcastRing<UInt64>(capacity: 1024, readers: 3)
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = ring.publish(UInt64(i))
            for r in 0..<3 { if case .element(let v) = ring.read(r) { sum &+= v } }
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    Benchmark("SeqLock.writeRead.64B", configuration: steadyState) { benchmark in
        struct Snapshot { var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) }
        let lock = try SeqLock(Snapshot(words: (0, 0, 0, 0, 0, 0, 0, 0)))
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            let v = UInt64(i)
            lock.write(Snapshot(words: (v, v, v, v, v, v, v, v)))
            sum &+= lock.read().words.7
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    // Across two pinned cores: the consumer thread is started before the measured
    // region; the measured region is the producer pushing and the consumer draining.
    Benchmark("SPSCRing.crossCore.8B", configuration: .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .mega, maxDuration: .seconds(5), maxIterations: 10,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])]
    )) { benchmark in
        let all = CPUSet.available
        let cpus = all.cpus
        let ring = try SPSCRing<UInt64>(capacity: 65536)
        let n = benchmark.scaledIterations.count
        let received = ManagedAtomic<Int>(0)
        let consumer = try PinnedThread.start(name: "consumer", cpus: CPUSet([cpus.last!])) {
            var count = 0
            while count < n {
                let run = ring.readable()
                if run.isEmpty { spinPause(); continue }
                count += run.count
                ring.release(run.count)
            }
            received.store(count, ordering: .releasing)
        }
        try Affinity.pinCurrentThread(to: CPUSet([cpus.first!]))
        benchmark.startMeasurement()
        var next = 0
        while next < n {
            if ring.push(UInt64(next)) { next += 1 } else { spinPause() }
        }
        while received.load(ordering: .acquiring) < n { spinPause() }
        benchmark.stopMeasurement()
        consumer.join()
        try Affinity.pinCurrentThread(to: all)
    }
}
