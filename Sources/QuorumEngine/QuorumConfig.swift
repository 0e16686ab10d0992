import QuorumRings
import QuorumRisk

/// Quorum's configuration. Every key has a default, so an empty file is a valid
/// configuration; `Config/demo.toml` spells the defaults out.
public struct QuorumConfig: Sendable, Equatable {
    public var engine = Engine()
    public var rings = Rings()
    public var threads: [ThreadConfig] = ThreadConfig.defaults
    public var risk = Risk()
    public var bench = Bench()
    /// `[desk]`, `[[teams]]`, `[[agents]]`: the trading team (QuorumConfig+Agents.swift).
    public var roster = Roster()
    /// `[live]`: `quorum run` (QuorumConfig+Live.swift).
    public var live = Live()

    public init() {}

    /// `[risk]`: the estimators and measures of the risk module.
    public struct Risk: Sendable, Equatable {
        /// Instruments the estimators and the gate size their storage for.
        public var instruments = 128
        /// RiskMetrics EWMA decay λ, in (0, 1).
        public var lambda = 0.94
        /// VaR/ES confidence, in (0.5, 1).
        public var confidence = 0.99
        /// VaR/ES horizon in sampling periods (√horizon scaling), ≥ 1.
        public var horizon = 1.0
        /// P&L observations kept for historical simulation.
        public var pnlWindow = 250
        /// Stress scenarios, `NAME: TARGET=SHOCK, …` (TARGET `all`, `sector:NAME` or a symbol).
        public var stress = RiskReport.defaultStress

        public init() {}

        /// The risk module's own configuration (already validated when loaded).
        public func riskConfig() throws(RiskError) -> RiskConfig {
            try RiskConfig(instrumentCapacity: instruments, lambda: lambda, confidence: confidence,
                           horizon: horizon, pnlWindow: pnlWindow)
        }
    }

    /// `[engine]`
    public struct Engine: Sendable, Equatable {
        /// Names this engine in reports and journals.
        public var name = "quorum-demo"
    }

    /// `[rings]`: capacities (powers of two) of the rings between loops.
    public struct Rings: Sendable, Equatable {
        /// Broadcast ring of market updates, net loop → agents.
        public var marketUpdates = 4096
        /// SPSC ring per agent of intents, agent → coordinator.
        public var intents = 1024
        /// SPSC ring of orders, coordinator → net loop.
        public var orders = 1024
        /// Broadcast ring of the shared scratchpad, coordinator → agents.
        public var scratchpad = 4096
        /// Where ring storage lives: `numa-local` or `heap`.
        public var placement: MemoryPlacement = .numaLocal
    }

    /// `[[threads]]`: one pinned thread, the cores it may use and the loops it runs.
    public struct ThreadConfig: Sendable, Equatable {
        public var name: String
        public var cores: [Int]
        public var loops: [String]
        public var wait: WaitStrategy

        public init(name: String, cores: [Int], loops: [String], wait: WaitStrategy) {
            self.name = name
            self.cores = cores
            self.loops = loops
            self.wait = wait
        }

        /// Two cores: the net loop alone on core 0, the desk (agents, coordinator,
        /// journal) on core 1.
        public static let defaults = [
            ThreadConfig(name: "net", cores: [0], loops: ["net"], wait: .busySpin),
            ThreadConfig(name: "desk", cores: [1], loops: ["agents", "coordinator", "journal"], wait: .busySpin),
        ]
    }

    /// `[bench]`
    public struct Bench: Sendable, Equatable {
        public var rings = RingBench()
    }

    /// `[bench.rings]`: `quorum bench rings`.
    public struct RingBench: Sendable, Equatable {
        /// Messages per throughput run.
        public var messages = 20_000_000
        /// Throughput runs per measurement; the median is reported.
        public var runs = 5
        /// Ring capacity for throughput runs.
        public var capacity = 65536
        /// Round trips sampled for the hop latency.
        public var latencySamples = 1_000_000
        /// Core of the producer (and of the ping side of the hop test).
        public var producerCore = 0
        /// Core of the consumer(s) (and of the pong side).
        public var consumerCore = 1
    }
}

/// The engine's loops: each must be mapped to exactly one thread.
public enum EngineLoop: String, CaseIterable, Sendable {
    case net, agents, coordinator, journal

    public static var names: [String] { allCases.map(\.rawValue) }
}
