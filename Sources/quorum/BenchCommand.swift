import ArgumentParser
import Histogram
import QuorumEngine
import QuorumRings

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Quorum on this machine.",
        discussion: "Every benchmark takes --json for machine-readable results with self-describing keys.",
        subcommands: [Rings.self, TickToTrade.self, Feed.self, FIX.self]
    )

    struct Rings: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ring throughput and hop latency between two pinned cores.",
            discussion: """
                Runs, with the producer on producer_core and the consumer(s) on consumer_core \
                from [bench.rings] in the configuration:
                  spsc 8 B        one producer pushing 8-byte messages one at a time
                  spsc 8 B batch  the producer claiming and committing up to 256 at a time
                  spsc 64 B       64-byte messages, pushed one at a time
                  broadcast ×1/×3 one producer, 1 or 3 readers (3 reader loops on one runner)
                  mpsc ×2         a producer on each core; the consumer shares the second
                  hop latency     ping-pong through two SPSC rings, round trip / 2
                Throughput is the median (and best) of the runs, in millions of messages per \
                second; every run checks that each message arrived exactly once. Latency \
                percentiles come from an HdrHistogram of every round trip.
                """
        )

        @Option(name: .long, help: "The configuration file ([bench.rings]).")
        var config: String = defaultConfigPath

        @Option(help: "Messages per throughput run (overrides bench.rings.messages).")
        var messages: Int?

        @Option(help: "Throughput runs per measurement (overrides bench.rings.runs).")
        var runs: Int?

        @Option(help: "Round trips for the hop latency (overrides bench.rings.latency_samples).")
        var samples: Int?

        @Flag(help: "A short run (2M messages, 3 runs, 200k round trips) for a smoke test.")
        var quick = false

        @Flag(help: "Print one JSON object instead of the table.")
        var json = false

        @Option(help: ArgumentHelp("Run only these measurements (comma-separated).", valueName: "spsc_8b,spsc_8b_batch,spsc_64b,broadcast_1r,broadcast_3r,mpsc_2p,hop"))
        var only: String?

        static let measurementKeys = ["spsc_8b", "spsc_8b_batch", "spsc_64b", "broadcast_1r", "broadcast_3r", "mpsc_2p", "hop"]

        func validate() throws {
            if let messages, messages < 1000 { throw ValidationError("--messages must be at least 1000, found \(messages)") }
            if let runs, !(1...100).contains(runs) { throw ValidationError("--runs must be in 1...100, found \(runs)") }
            if let samples, samples < 1000 { throw ValidationError("--samples must be at least 1000, found \(samples)") }
            for key in selected where !Self.measurementKeys.contains(key) {
                throw ValidationError("--only: unknown measurement '\(key)'; expected some of \(Self.measurementKeys.joined(separator: ","))")
            }
        }

        var selected: [String] {
            only?.split(separator: ",").map { String($0.filter { $0 != " " }) } ?? Self.measurementKeys
        }

        func run() throws {
            let settings = try loadConfig(config).bench.rings
            let messages = self.messages ?? (quick ? 2_000_000 : settings.messages)
            let runs = self.runs ?? (quick ? 3 : settings.runs)
            let samples = self.samples ?? (quick ? 200_000 : settings.latencySamples)
            let bench = RingBench(
                messages: messages, capacity: settings.capacity,
                producer: CPUSet([settings.producerCore]), consumer: CPUSet([settings.consumerCore]))
            let progress = Progress(enabled: !json && isTerminal(2))

            func throughput(_ label: String, _ body: () throws -> Double) throws -> (median: Double, best: Double) {
                var results: [Double] = []
                for run in 1...runs {
                    progress.show("\(label): run \(run)/\(runs)")
                    results.append(try body())
                }
                results.sort()
                return (results[results.count / 2], results.last!)
            }

            var rows: [(key: String, label: String, result: (median: Double, best: Double))] = []
            do {
                // Pin a probe thread to each side first: it fails early on a bad core and
                // reports the CPU set the kernel actually granted.
                let obtained = try [bench.producer, bench.consumer].map { cpus in
                    let probe = try PinnedThread.start(name: "bench-probe", cpus: cpus) {}
                    probe.join()
                    return probe.obtained
                }
                if !json {
                    print("quorum bench rings: \(messages) messages × \(runs) runs, ring capacity \(settings.capacity), " +
                          "producer on CPUs \(obtained[0]), consumer on CPUs \(obtained[1]) (as obtained)")
                }
                let measurements: [(key: String, label: String, run: () throws -> Double)] = [
                    ("spsc_8b", "spsc 8 B", { try bench.spsc(UInt64.self, batchedProducer: false) }),
                    ("spsc_8b_batch", "spsc 8 B batch", { try bench.spsc(UInt64.self, batchedProducer: true) }),
                    ("spsc_64b", "spsc 64 B", { try bench.spsc(Payload64.self, batchedProducer: false) }),
                    ("broadcast_1r", "broadcast ×1", { try bench.broadcast(readers: 1) }),
                    ("broadcast_3r", "broadcast ×3", { try bench.broadcast(readers: 3) }),
                    ("mpsc_2p", "mpsc ×2", { try bench.mpsc() }),
                ]
                for m in measurements where selected.contains(m.key) {
                    rows.append((m.key, m.label, try throughput(m.label, m.run)))
                }
                var hop: (histogram: Histogram<UInt64>, meanNanoseconds: Double)?
                if selected.contains("hop") {
                    progress.show("hop latency: \(samples) round trips")
                    hop = try bench.hop(samples: samples)
                }
                progress.clear()
                report(rows: rows, hop: hop, messages: messages, runs: runs, samples: samples, settings: settings)
            } catch let error as ThreadError {
                progress.clear()
                printError("error: \(error)")
                throw ExitCode(2)
            }
        }

        func report(rows: [(key: String, label: String, result: (median: Double, best: Double))],
                    hop: (histogram: Histogram<UInt64>, meanNanoseconds: Double)?,
                    messages: Int, runs: Int, samples: Int, settings: QuorumConfig.RingBench) {
            let percentiles: [(String, String, UInt64)] = hop.map { hop in
                let h = hop.histogram
                return [
                    ("p50", "p50", h.valueAtPercentile(50)), ("p90", "p90", h.valueAtPercentile(90)),
                    ("p99", "p99", h.valueAtPercentile(99)), ("p999", "p99.9", h.valueAtPercentile(99.9)),
                    ("max", "max", h.max),
                ]
            } ?? []
            if json {
                var fields: [String] = [
                    "\"benchmark\": \"rings\"", "\"messages\": \(messages)", "\"runs\": \(runs)",
                    "\"capacity\": \(settings.capacity)", "\"producer_core\": \(settings.producerCore)",
                    "\"consumer_core\": \(settings.consumerCore)", "\"hop_samples\": \(samples)",
                ]
                for row in rows {
                    fields.append("\"\(row.key)_mops\": \(format(row.result.median))")
                    fields.append("\"\(row.key)_best_mops\": \(format(row.result.best))")
                }
                for (key, _, value) in percentiles { fields.append("\"hop_oneway_\(key)_ns\": \(value)") }
                if let hop { fields.append("\"hop_oneway_mean_ns\": \(format(hop.meanNanoseconds))") }
                print("{" + fields.joined(separator: ", ") + "}")
                return
            }
            if !rows.isEmpty {
                print("")
                print("throughput (M msgs/s)     median      best")
                for row in rows {
                    print(pad(row.label, 22) + lpad(format(row.result.median), 10) + lpad(format(row.result.best), 10))
                }
            }
            if let hop {
                print("")
                print("hop latency, one way (ns), \(samples) round trips / 2, HdrHistogram")
                print(percentiles.map { "\($0.1) \($0.2)" }.joined(separator: "   ") + "   mean \(format(hop.meanNanoseconds))")
            }
        }
    }
}

func format(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return String(scaled)
}

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
func lpad(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }

/// A one-line progress indicator on stderr, shown only on a terminal.
struct Progress {
    let enabled: Bool
    func show(_ message: String) {
        guard enabled else { return }
        FileHandleWriter.write("\r\u{1B}[K" + message, fd: 2)
    }
    func clear() {
        guard enabled else { return }
        FileHandleWriter.write("\r\u{1B}[K", fd: 2)
    }
}
