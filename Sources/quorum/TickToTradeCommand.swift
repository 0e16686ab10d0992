import ArgumentParser
import Foundation
import Histogram
import QuorumEngine
import QuorumNet
import QuorumRings
import QuorumWire

extension BenchCommand {
    struct TickToTrade: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tick-to-trade",
            abstract: "Tick-to-trade on loopback: Quorum beside a minimal C reflex, in the same run.",
            discussion: """
                A venue on --venue-core publishes ITCH 5.0 over MoldUDP64 and listens for FIX \
                4.4 orders. Each trigger packet narrows a symbol's spread to one tick; the \
                trader on --trader-core must answer it with one order. Wire-to-wire is from \
                the venue submitting the packet to the venue reaping the order's TCP \
                completion. Internal is Quorum's own part: from reaping the datagram's \
                completion to submitting the order's send (feed decode, book, rule, FIX \
                encode). The C reflex (tools/baselines/reflex.c) answers every datagram with \
                a prebuilt order through io_uring and nothing else: the kernel's own loopback \
                round trip. The two run in interleaved rounds, one packet in flight at a time; \
                percentiles come from HdrHistogram.
                """
        )

        @Option(help: "Timed triggers per side per round.")
        var samples: Int = 20_000

        @Option(help: "Interleaved rounds (Quorum, then the reflex, each round).")
        var rounds: Int = 5

        @Option(help: "Untimed triggers before each block.")
        var warmup: Int = 2_000

        @Option(help: "The core the venue runs on.")
        var venueCore: Int = 0

        @Option(help: "The core Quorum's net loop and the C reflex run on.")
        var traderCore: Int = 1

        @Option(help: "The rule: cross when the spread is at most this many ticks ($0.01).")
        var maxSpreadTicks: UInt32 = 1

        @Option(help: """
            When the trader's io_uring runs its task work: immediate (kernel default, an interrupt), \
            cooperative (COOP_TASKRUN) or deferred (SINGLE_ISSUER + DEFER_TASKRUN: when the loop reaps; \
            the default — it measured a 10–15% lower wire-to-wire here, internal unchanged).
            """)
        var traderTaskRun: Reactor.TaskRun = .deferred

        @Flag(help: """
            The trader rehearses its order path (book top, rule, FIX encode into scratch) while idle. \
            An experiment: no effect measurable above this machine's noise so far.
            """)
        var warm = false

        @Option(help: "The C reflex binary (make bench-tick-to-trade builds it).")
        var reflex: String = ".build/baselines/reflex"

        @Flag(help: "Measure Quorum only.")
        var noBaseline = false

        @Option(help: "Write HdrHistogram percentile distributions (.hgrm, for plotting) into this directory.")
        var histogramDir: String?

        @Flag(help: """
            Venue and trader on one thread, polled in turn, Quorum only: for instruction counts under \
            `valgrind --tool=callgrind`, which runs one thread at a time. Not a latency figure.
            """)
        var singleThread = false

        @Flag(help: "A short run (2 rounds of 2 000) for a smoke test.")
        var quick = false

        @Flag(help: "Print one JSON object instead of the table.")
        var json = false

        func validate() throws {
            if samples < 100 { throw ValidationError("--samples must be at least 100, found \(samples)") }
            if !(1...100).contains(rounds) { throw ValidationError("--rounds must be in 1...100, found \(rounds)") }
            if warmup < 0 { throw ValidationError("--warmup must be 0 or more, found \(warmup)") }
            let cpus = CPUSet.available
            for (name, core) in [("--venue-core", venueCore), ("--trader-core", traderCore)] where !cpus.contains(core) {
                throw ValidationError("\(name): CPU \(core) is not available to this process; available: \(cpus)")
            }
        }

        func run() throws {
            var reflexPath: String? = nil
            if !noBaseline && !singleThread {
                guard FileManager.default.isExecutableFile(atPath: reflex) else {
                    printError("""
                        error: the C reflex baseline \(reflex) is not built; run `make bench-tick-to-trade` \
                        (or `cc -O2 -o \(reflex) tools/baselines/reflex.c -luring`), or pass --no-baseline
                        """)
                    throw ExitCode(2)
                }
                reflexPath = reflex
            }
            let bench = TickToTradeBench(
                samplesPerRound: quick ? 2_000 : samples, rounds: quick ? 2 : rounds, warmup: quick ? 500 : warmup,
                venueCore: venueCore, traderCore: traderCore,
                rule: SpreadCrossRule(maxSpreadTicks: maxSpreadTicks, tickSize: 100, quantity: Qty(100)),
                reflexPath: reflexPath, traderTaskRun: traderTaskRun, warm: warm, singleThread: singleThread, progress: Progress(enabled: !json && isTerminal(2)))
            let result: (quorum: TickToTradeSeries, reflex: TickToTradeSeries?)
            do {
                result = try bench.run()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            report(result, bench: bench)
            if let histogramDir { try writeHistograms(result, to: histogramDir) }
        }

        static let points: [(key: String, label: String, percentile: Double)] = [
            ("p50", "p50", 50), ("p90", "p90", 90), ("p99", "p99", 99), ("p999", "p99.9", 99.9), ("max", "max", 100),
        ]

        func values(_ h: Histogram<UInt64>) -> [UInt64] {
            Self.points.map { $0.percentile == 100 ? h.max : h.valueAtPercentile($0.percentile) }
        }

        func report(_ result: (quorum: TickToTradeSeries, reflex: TickToTradeSeries?), bench: TickToTradeBench) {
            let q = values(result.quorum.wire)
            let i = values(result.quorum.internalLatency)
            let r = result.reflex.map { values($0.wire) }
            if json {
                var fields = [
                    "\"benchmark\": \"tick-to-trade\"", "\"samples_per_round\": \(bench.samplesPerRound)",
                    "\"rounds\": \(bench.rounds)", "\"venue_core\": \(venueCore)", "\"trader_core\": \(traderCore)",
                    "\"trader_task_run\": \"\(traderTaskRun)\"", "\"warm\": \(warm)",
                    "\"quorum_timeouts\": \(result.quorum.timeouts)",
                    "\"quorum_samples\": \(result.quorum.wire.totalCount)",
                ]
                for (k, p) in Self.points.enumerated() {
                    fields.append("\"quorum_wire_\(p.key)_ns\": \(q[k])")
                    fields.append("\"quorum_internal_\(p.key)_ns\": \(i[k])")
                    if let r {
                        fields.append("\"reflex_wire_\(p.key)_ns\": \(r[k])")
                        fields.append("\"wire_ratio_\(p.key)\": \(ratio(q[k], r[k]))")
                    }
                }
                if let reflex = result.reflex {
                    fields.append("\"reflex_timeouts\": \(reflex.timeouts)")
                    fields.append("\"reflex_samples\": \(reflex.wire.totalCount)")
                }
                print("{" + fields.joined(separator: ", ") + "}")
                return
            }
            print("tick-to-trade on loopback: \(bench.samplesPerRound) triggers per side in each of \(bench.rounds) interleaved rounds")
            if bench.singleThread {
                print("venue and trader on one thread (--single-thread: for instruction counts, not a latency figure)")
            } else {
                print("venue on CPU \(venueCore), trader on CPU \(traderCore) (task run \(traderTaskRun)\(warm ? ", warm" : "")); nanoseconds (HdrHistogram, 3 significant digits)")
            }
            print("")
            print(pad("", 28) + Self.points.map { lpad($0.label, 9) }.joined())
            print(pad("wire-to-wire  Quorum", 28) + q.map { lpad("\($0)", 9) }.joined())
            if let r {
                print(pad("wire-to-wire  C reflex", 28) + r.map { lpad("\($0)", 9) }.joined())
                print(pad("ratio Quorum / reflex", 28) + zip(q, r).map { lpad(ratio($0, $1), 9) }.joined())
            }
            print(pad("internal      Quorum", 28) + i.map { lpad("\($0)", 9) }.joined())
            print("")
            print("samples: Quorum \(result.quorum.wire.totalCount) (timeouts \(result.quorum.timeouts))"
                + (result.reflex.map { ", reflex \($0.wire.totalCount) (timeouts \($0.timeouts))" } ?? ""))
            print("targets: wire p50 ≤ 1.3× and p99 ≤ 1.5× the reflex; internal p50 ≤ 1 000 ns, p99 ≤ 3 000 ns")
        }

        func ratio(_ a: UInt64, _ b: UInt64) -> String {
            b == 0 ? "-" : String(format: "%.2f", Double(a) / Double(b))
        }

        func writeHistograms(_ result: (quorum: TickToTradeSeries, reflex: TickToTradeSeries?), to dir: String) throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var files: [(String, Histogram<UInt64>)] = [
                ("quorum-wire.hgrm", result.quorum.wire), ("quorum-internal.hgrm", result.quorum.internalLatency),
            ]
            if let reflex = result.reflex { files.append(("reflex-wire.hgrm", reflex.wire)) }
            for (name, histogram) in files {
                var text = ""
                histogram.outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1000)
                let path = (dir as NSString).appendingPathComponent(name)
                guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                    printError("error: cannot write \(path)")
                    throw ExitCode(1)
                }
            }
            if !json { print("histograms (µs): \(files.map { (dir as NSString).appendingPathComponent($0.0) }.joined(separator: ", "))") }
        }
    }
}

extension Reactor.TaskRun: ExpressibleByArgument {}
