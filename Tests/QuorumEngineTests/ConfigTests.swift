import Atomics
import Foundation
import Glibc
import QuorumRings
import Testing
@testable import QuorumEngine

/// Where the repository's Config/ is, from this source file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct ConfigTests {
    let twoCores = CPUSet([0, 1])

    func parse(_ toml: String) throws(ConfigError) -> QuorumConfig {
        try QuorumConfig.parse(toml, file: "test.toml", available: twoCores)
    }

    func error(_ toml: String) -> ConfigError? {
        do { _ = try parse(toml); return nil } catch { return error }
    }

    @Test func anEmptyFileIsTheDefaults() throws {
        #expect(try parse("") == QuorumConfig())
    }

    @Test func theDemoConfigSpellsOutTheDefaults() throws {
        let path = repositoryRoot.appendingPathComponent("Config/demo.toml").path
        var config = try QuorumConfig.load(path: path, available: twoCores)
        // The demo defines its own team (RosterConfigTests); everything else is the defaults.
        config.roster = QuorumConfig.Roster()
        #expect(config == QuorumConfig())
    }

    @Test func everyShippedConfigLoads() throws {
        let dir = repositoryRoot.appendingPathComponent("Config")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".toml") }
        #expect(files.contains("demo.toml"))
        for file in files {
            _ = try QuorumConfig.load(path: dir.appendingPathComponent(file).path, available: twoCores)
        }
    }

    @Test func theRenderedConfigLoadsBackToItself() throws {
        var config = QuorumConfig()
        config.rings.intents = 64
        config.rings.placement = .heap
        config.threads = [.init(name: "all", cores: [0, 1], loops: EngineLoop.names, wait: .defaultPark)]
        config.bench.rings.messages = 12345
        #expect(try parse(config.renderTOML()) == config)
    }

    @Test func valuesOverrideDefaults() throws {
        let config = try parse("""
            [rings]
            intents = 256
            [bench.rings]
            runs = 9
            """)
        #expect(config.rings.intents == 256)
        #expect(config.bench.rings.runs == 9)
        #expect(config.rings.orders == QuorumConfig().rings.orders)
    }

    @Test func aMissingFileNamesTheFile() {
        #expect(throws: ConfigError(file: "/nonexistent/q.toml", expected: "a readable TOML file", found: "no such file")) {
            _ = try QuorumConfig.load(path: "/nonexistent/q.toml")
        }
    }

    @Test func invalidTOMLGivesTheParserLine() throws {
        let e = try #require(error("[rings]\nintents = 64\norders = = 3\n"))
        #expect(e.file == "test.toml")
        #expect(e.line == 3)
        #expect(e.expected == "valid TOML")
    }

    @Test func anUnknownKeyIsNamedWithItsLine() throws {
        let e = try #require(error("[rings]\nintents = 64\nintent = 32\n"))
        #expect(e.key == "rings.intent")
        #expect(e.line == 3)
        #expect(e.found == "unknown key 'intent'")
        #expect(e.description.hasPrefix("test.toml:3: rings.intent: expected one of the keys"))
    }

    @Test func anUnknownTableIsNamed() throws {
        let e = try #require(error("[ringz]\nintents = 64\n"))
        #expect(e.key == "ringz")
        #expect(e.line == 1)
    }

    @Test func aWrongTypeSaysWhatWasFound() throws {
        let e = try #require(error("[rings]\n\nintents = \"lots\"\n"))
        #expect(e == ConfigError(file: "test.toml", line: 3, key: "rings.intents",
                                 expected: "a power of two in 1...1073741824", found: "the string \"lots\""))
    }

    @Test(arguments: [0, 3, 1000, -8, 1 << 31])
    func aCapacityMustBeAPowerOfTwo(_ capacity: Int) throws {
        let e = try #require(error("[rings]\nmarket_updates = \(capacity)\n"))
        #expect(e.key == "rings.market_updates")
        #expect(e.line == 2)
        #expect(e.found == "\(capacity)")
        #expect(e.expected == "a power of two in 1...1073741824")
    }

    @Test func anOutOfRangeValueGivesTheRange() throws {
        let e = try #require(error("[bench.rings]\nruns = 0\n"))
        #expect(e.description == "test.toml:2: bench.rings.runs: expected an integer in 1...100, found 0")
    }

    @Test func riskSettingsComeFromTheConfig() throws {
        let config = try parse("""
            [risk]
            lambda = 0.97
            confidence = 0.975
            horizon = 10
            stress = ["crash: all=-35%, BTC=-20%", "tech: sector:tech=-8%"]
            """)
        #expect(config.risk.lambda == 0.97)
        #expect(config.risk.confidence == 0.975)
        #expect(config.risk.horizon == 10)
        #expect(config.risk.stress == ["crash: all=-35%, BTC=-20%", "tech: sector:tech=-8%"])
        let risk = try config.risk.riskConfig()
        #expect(risk.lambda == 0.97)
        #expect(QuorumConfig().risk.lambda == 0.94, "RiskMetrics' daily λ is the default")
    }

    @Test(arguments: ["0", "1", "1.5", "-0.2"])
    func aLambdaOutsideTheOpenUnitIntervalIsRefused(_ lambda: String) throws {
        let e = try #require(error("[risk]\n\nlambda = \(lambda)\n"))
        #expect(e.key == "risk.lambda")
        #expect(e.line == 3)
        #expect(e.expected == "a value in the open interval (0, 1)")
    }

    @Test func aMalformedStressScenarioIsNamed() throws {
        let e = try #require(error("[risk]\nstress = [\"all -5%: all=-5%\", \"crash all=-30%\"]\n"))
        #expect(e.key == "risk.stress")
        #expect(e.line == 2)
        #expect(e.expected.contains("stress scenario 2"))
        let shock = try #require(error("[risk]\nstress = [\"x: all=lots\"]\n"))
        #expect(shock.found.contains("'lots' is not a number"))
    }

    @Test func aCoreThatDoesNotExistListsTheAvailableOnes() throws {
        let e = try #require(error("""
            [[threads]]
            name = "net"
            cores = [0]
            loops = ["net"]

            [[threads]]
            name = "desk"
            cores = [7]
            loops = ["agents", "coordinator", "journal"]
            """))
        #expect(e.description == "test.toml:8: threads[1].cores: expected cores among the available 0, 1, found 7")
    }

    @Test func aLoopMappedTwiceIsAnError() throws {
        let e = try #require(error("""
            [[threads]]
            name = "a"
            cores = [0]
            loops = ["net", "journal"]
            [[threads]]
            name = "b"
            cores = [1]
            loops = ["agents", "coordinator", "net"]
            """))
        #expect(e.key == "threads[1].loops")
        #expect(e.line == 8)
        #expect(e.found == "\"net\" mapped twice")
        #expect(e.expected.contains("already on thread \"a\""))
    }

    @Test func aLoopMappedNowhereIsAnError() throws {
        let e = try #require(error("""
            [[threads]]
            name = "a"
            cores = [0, 1]
            loops = ["net", "agents"]
            """))
        #expect(e.key == "threads")
        #expect(e.found == "no thread for \"coordinator\", \"journal\"")
        #expect(e.line == 1)
    }

    @Test func anUnknownLoopOrWaitIsNamed() throws {
        let loop = try #require(error("[[threads]]\nname = \"a\"\ncores = [0]\nloops = [\"nett\"]\n"))
        #expect(loop.key == "threads[0].loops")
        #expect(loop.found == "\"nett\"")
        let wait = try #require(error("[[threads]]\nname = \"a\"\ncores = [0]\nloops = [\"net\"]\nwait = \"sleep\"\n"))
        #expect(wait.description == "test.toml:5: threads[0].wait: expected one of \"busy-spin\", \"yield\", \"park\", found \"sleep\"")
    }

    @Test func aThreadNeedsNameCoresAndLoops() throws {
        let e = try #require(error("[[threads]]\ncores = [0]\nloops = [\"net\"]\n"))
        #expect(e.key == "threads[0].name")
        #expect(e.found == "nothing (the key is required)")
        let empty = try #require(error("[[threads]]\nname = \"x\"\ncores = []\nloops = [\"net\"]\n"))
        #expect(empty.key == "threads[0].cores")
    }

    @Test func benchCoresMustExistAndDiffer() throws {
        let missing = try #require(error("[bench.rings]\nproducer_core = 5\n"))
        #expect(missing.description == "test.toml:2: bench.rings.producer_core: expected one of the available cores 0, 1, found 5")
        let same = try #require(error("[bench.rings]\nproducer_core = 1\nconsumer_core = 1\n"))
        #expect(same.key == "bench.rings.consumer_core")
    }

    @Test func theThreadPlanKeepsTheConfiguredShape() throws {
        let plan = try ThreadPlan(threads: QuorumConfig.ThreadConfig.defaults, available: twoCores)
        #expect(plan.threads.map(\.name) == ["net", "desk"])
        #expect(plan.threads[0].cpus == CPUSet([0]))
        #expect(plan.threads[1].loops == [.agents, .coordinator, .journal])
    }
}

/// A loop that counts its polls.
final class PollCounter: Loop, @unchecked Sendable {
    let name: String
    let polls = ManagedAtomic<Int>(0)
    init(_ name: String) { self.name = name }
    func poll() -> Int { polls.wrappingIncrement(ordering: .relaxed); return 0 }
}

@Suite struct ThreadPlanRunnerTests {
    @Test func thePlanStartsOneRunnerPerThreadOnItsCores() throws {
        let available = CPUSet.available
        let plan = try ThreadPlan(threads: [
            .init(name: "a", cores: [available.cpus.first!], loops: ["net", "journal"], wait: .defaultYield),
            .init(name: "b", cores: [available.cpus.last!], loops: ["agents", "coordinator"], wait: .defaultPark),
        ], available: available)
        var loops: [EngineLoop: any Loop] = [:]
        let counters = EngineLoop.allCases.map { PollCounter($0.rawValue) }
        for (loop, counter) in zip(EngineLoop.allCases, counters) { loops[loop] = counter }
        let runners = try plan.makeRunners(loops)
        #expect(runners.map(\.name) == ["a", "b"])
        var obtained: [CPUSet] = []
        for runner in runners { obtained.append(try runner.start()) }
        #expect(obtained == [CPUSet([available.cpus.first!]), CPUSet([available.cpus.last!])])
        while counters.contains(where: { $0.polls.load(ordering: .relaxed) < 10 }) { sched_yield() }
        for runner in runners { runner.stop() }
        for counter in counters { #expect(counter.polls.load(ordering: .relaxed) >= 10, "\(counter.name) was polled") }
    }

    @Test func aPlannedLoopWithoutAnImplementationIsNamed() throws {
        let plan = try ThreadPlan(threads: QuorumConfig.ThreadConfig.defaults, available: CPUSet([0, 1]))
        #expect(throws: ThreadPlan.Issue(key: "threads[0].loops", expected: "a running implementation of every planned loop", found: "none for \"net\"")) {
            _ = try plan.makeRunners([:])
        }
    }
}
