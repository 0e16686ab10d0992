import Foundation
import Glibc
import QuorumAgents
import QuorumBook
import QuorumExchange
import QuorumMarketTools
import QuorumNet
import QuorumRings
import QuorumWire
import Testing

@testable import QuorumEngine

/// One live run against the exchange simulator in this process: the engine's net and desk
/// threads, the simulator's own thread, real sockets on loopback, a real journal.
struct LiveHarness {
    var symbols = 4
    var messages = 600_000
    var rate: UInt64 = 40_000
    var fixCutAfter: Int? = nil
    /// The venue cancels this many client orders without reporting it.
    var withheldCancelReports = 0
    /// The team (nil: the default desk).
    var roster: QuorumConfig.Roster? = nil
    /// `LiveEngine.Options.agentTimingEvery` (off: this is an unoptimised build).
    var agentTimingEvery = 0
    var heartBtInt = 30
    /// The venue's burst interval (`SimulatorThread.burstIntervalNanos`; 0: no bursts).
    var burstNanos: UInt64 = 0

    struct Outcome {
        var run: LiveRun
        var venue: SimulatorThread.Result
        var engine: LiveEngine
        var journal: String
    }

    static func temporaryDirectory(_ tag: String) -> String {
        "/tmp/quorum-live-test-\(getpid())-\(tag)-\(UInt64.random(in: 0..<UInt64.max))"
    }

    /// `threads` as the `[[threads]]` tables of a config file, for runs of the built binary.
    static var threadsTOML: String {
        threads.map { t in
            """
            [[threads]]
            name = "\(t.name)"
            cores = [\(t.cores.map(String.init).joined(separator: ", "))]
            loops = [\(t.loops.map { "\"\($0)\"" }.joined(separator: ", "))]
            wait = "yield"

            """
        }.joined(separator: "\n")
    }

    /// Two threads on the first and last available cores, yielding when idle (the test
    /// machine is shared).
    static var threads: [QuorumConfig.ThreadConfig] {
        let cpus = CPUSet.available.cpus
        return [
            .init(name: "net", cores: [cpus.first!], loops: ["net"], wait: .defaultYield),
            .init(name: "desk", cores: [cpus.last!], loops: ["agents", "coordinator", "journal"], wait: .defaultYield),
        ]
    }

    /// Runs until `done(status)` holds or `timeoutSeconds` pass, then stops both sides.
    func run(tag: String, timeoutSeconds: Double = 20, until done: (LiveStatus) -> Bool) throws -> Outcome {
        let day = SyntheticDay.bytes(options: .init(symbols: symbols, messages: messages, seed: 11,
                                                    targetLiveOrdersPerSymbol: 200))
        var base = BacktestSetup()
        base.maxSymbols = symbols
        base.checkpointEvery = 500
        base.sampleNanos = 100_000_000
        base.roster = roster
        var setup = day.withUnsafeBytes { Backtest.chooseSymbols(base, feed: $0) }
        setup.roster = roster
        var options = LiveEngine.Options()
        options.threads = Self.threads
        options.rings.placement = .heap
        options.net.orderTTLNanos = 50_000_000
        options.net.reconnectNanos = 50_000_000
        options.net.heartBtInt = heartBtInt
        options.net.books = BookConfig(ordersPerSymbol: 1 << 14, levelsPerSide: 1024, maxSymbols: 16)
        options.journalDirectory = Self.temporaryDirectory(tag)
        options.agentTimingEvery = agentTimingEvery
        let engine = try LiveEngine(setup: setup, options: options)
        let feed = try engine.start()
        var o = Simulator.Options()
        o.feed = feed
        o.orders = .loopback()
        o.retransmission = .loopback()
        o.recordedFlow = day
        o.messagesPerSecond = rate
        o.fixCutAfter = fixCutAfter
        o.withheldCancelReports = withheldCancelReports
        let sim = SimulatorThread(options: o, burstIntervalNanos: burstNanos)
        let (orders, retransmission) = try sim.start()
        engine.connect(orders: orders, retransmission: retransmission)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline && !done(engine.status()) && !sim.flowFinished { usleep(20_000) }
        let run = try engine.stop(drainTimeoutNanos: 10_000_000_000)
        let venue = try #require(sim.stop())
        return Outcome(run: run, venue: venue, engine: engine, journal: options.journalDirectory)
    }
}

/// Per symbol, what the simulator's ledger says the client bought and sold.
struct VenueTotals: Equatable {
    var bought: Int64 = 0
    var sold: Int64 = 0
    /// Σ sells' notional − Σ buys' notional (price units × shares).
    var cash: Int64 = 0
    var orders = 0
}

func venueTotals(_ ledger: [SimulatorClientOrder]) -> [String: VenueTotals] {
    var out: [String: VenueTotals] = [:]
    for o in ledger {
        var t = out[o.symbol, default: VenueTotals()]
        t.orders += 1
        if o.side == .buy {
            t.bought += o.cumQty
            t.cash -= Int64(o.notional)
        } else {
            t.sold += o.cumQty
            t.cash += Int64(o.notional)
        }
        out[o.symbol] = t
    }
    return out
}

/// The three ledgers agree exactly: the coordinator's per-symbol fills, positions and cash,
/// the simulator's client-order records, and a replay of the journal.
func expectReconciled(_ x: LiveHarness.Outcome, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let c = x.engine.coordinator
    let run = x.run
    #expect(run.drained, "orders left open: \(run.openOrders), withheld \(run.withheldOrders); \(run.net); \(run.session)",
            sourceLocation: sourceLocation)
    // What stays open is what the desk wanted while stopping and never sent.
    #expect(c.openOrderCount == run.withheldOrders, sourceLocation: sourceLocation)
    #expect(run.withheldOrders <= x.engine.setup.locates.count, sourceLocation: sourceLocation)
    #expect(c.counters.journalFailures == 0 && c.counters.unmatchedFills == 0, sourceLocation: sourceLocation)

    // Engine ↔ venue.
    let venue = venueTotals(x.venue.clientOrders)
    #expect(x.venue.clientOrders.allSatisfy { !$0.live }, sourceLocation: sourceLocation)
    #expect(x.venue.clientOrders.count == Int(run.net.ordersSent), sourceLocation: sourceLocation)
    #expect(c.counters.ordersSent == Int(run.net.ordersSent + run.net.ordersRefused) + run.withheldOrders,
            sourceLocation: sourceLocation)
    #expect(Int(x.venue.counters.clientFills) == c.counters.fillInputs, sourceLocation: sourceLocation)
    for (i, name) in x.engine.setup.names.enumerated() {
        let b = c.symbols[i]
        let v = venue[name, default: VenueTotals()]
        #expect(b.boughtQty == v.bought && b.soldQty == v.sold, "\(name): engine \(b.boughtQty)/\(b.soldQty), venue \(v.bought)/\(v.sold)",
                sourceLocation: sourceLocation)
        #expect(b.cashTicks == v.cash, "\(name): engine cash \(b.cashTicks), venue \(v.cash)", sourceLocation: sourceLocation)
        #expect(b.position == v.bought - v.sold, sourceLocation: sourceLocation)
    }
    #expect(Set(venue.keys).isSubset(of: Set(x.engine.setup.names)), sourceLocation: sourceLocation)

    // Engine ↔ journal.
    let replay = try CoordinatorReplay.run(directory: x.journal)
    #expect(replay.mismatches == 0, sourceLocation: sourceLocation)
    #expect(replay.checkpointsChecked >= 1, sourceLocation: sourceLocation)
    #expect(replay.lastSequence == run.lastSequence, sourceLocation: sourceLocation)
    #expect(replay.report == run.report, sourceLocation: sourceLocation)
    #expect(replay.report.stateHash == "0x" + String(run.stateHash, radix: 16), sourceLocation: sourceLocation)
}

@Suite(.serialized) struct LiveEngineTests {
    @Test func ordersFillsPositionsAndPnLReconcileBetweenEngineVenueAndJournal() throws {
        // Also past 1 000 market inputs: how many it takes to reach 40 orders varies with when
        // the session logs on (580 to 5 900 in runs of this test), so the count is a condition
        // of the run, not a bet on its timing.
        let x = try LiveHarness().run(tag: "reconcile") {
            $0.desk.fills >= 25 && $0.desk.ordersSent >= 40 && $0.desk.marketInputs > 1_000
        }
        // Each thread's polling is reported: both polled, mostly idle at this rate.
        #expect(x.run.polling.map(\.thread) == ["net", "desk"])
        for p in x.run.polling {
            #expect(p.rounds > 1_000 && p.idleRounds <= p.rounds && p.seconds > 0, "\(p.render())")
        }
        defer { try? FileManager.default.removeItem(atPath: x.journal) }
        let c = x.engine.coordinator
        #expect(c.counters.ordersSent >= 40)
        #expect(c.counters.fillInputs >= 25)
        #expect(c.counters.marketInputs > 1_000)
        // One logon, never a reconnect.
        #expect(x.run.net.logons == 1 && x.run.session.logons == 1)
        #expect(x.run.session.heartbeatTimeouts == 0 && x.run.session.gapsDetected == 0)
        #expect(x.run.net.unknownReports == 0)
        // Every order the venue saw is one the desk sent, by id.
        let ids = Set(x.venue.clientOrders.map(\.clOrdID))
        #expect(ids.count == x.venue.clientOrders.count)
        #expect(ids.allSatisfy { UInt64($0) != nil })
        // Tick-to-trade was measured for orders caused by market updates (no timing bound here:
        // that is the benchmark's business).
        #expect(x.run.tickToTrade.count > 0 && x.run.tickToTrade.count <= x.run.net.ordersSent)
        #expect(x.run.tickToTrade.p50 > 0 && x.run.tickToTrade.p50 <= x.run.tickToTrade.max)
        try expectReconciled(x)
    }

    @Test func aVenuePublishingInBurstsKeepsItsRateAndTheStagesAccountForEveryMeasuredOrder() throws {
        var h = LiveHarness()
        h.burstNanos = 2_000_000  // coarse bursts: 80 messages at a time at 40 000/s
        // Run until the counts below hold too: the desk can reach its orders and fills within
        // 7 000 flow messages, so stopping at those alone was a bet on timing.
        let x = try h.run(tag: "burst") {
            $0.desk.fills >= 25 && $0.desk.ordersSent >= 40 && $0.net.feedMessages > 10_000 && $0.net.updatesPublished > 1_000
        }
        defer { try? FileManager.default.removeItem(atPath: x.journal) }
        // The flow still arrives (bursts, not a trickle) and the desk trades on it.
        #expect(x.venue.counters.flowMessages > 10_000)
        #expect(x.run.net.updatesPublished > 1_000)
        #expect(x.engine.coordinator.counters.fillInputs >= 25)
        // The split: one figure per stage, in order; every order with a tick-to-trade figure
        // has one in each stage after the desk took its update, and the update stage counts
        // every published update.
        let names = x.run.stages.map(\.name)
        #expect(names.count == 5 && names[0].hasPrefix("receive → update pushed") && names[4].hasSuffix("(FIX encode, send)"))
        #expect(x.run.stages[0].figures.count == x.run.net.updatesPublished)
        for stage in x.run.stages.dropFirst() {
            #expect(stage.figures.count == x.run.tickToTrade.count, "\(stage.name)")
        }
        #expect(x.run.tickToTrade.count > 0)
        // Each order's stages are parts of its tick-to-trade: none exceeds the whole, and the
        // waiting for the desk plus the desk-to-trade part is the whole (median-wise bounded).
        for stage in x.run.stages.dropFirst() {
            #expect(stage.figures.max <= x.run.tickToTrade.max, "\(stage.name)")
            #expect(stage.figures.p50 <= stage.figures.max)
        }
        #expect(x.run.deskToTrade.max <= x.run.tickToTrade.max)
        #expect(x.run.stages[1].figures.p50 + x.run.deskToTrade.p50 > 0)
        try expectReconciled(x)
    }

    @Test func aFIXConnectionCutMidRunIsSurvivedAndNothingIsLost() throws {
        var h = LiveHarness()
        h.fixCutAfter = 60
        // A ResendRequest nobody answered is asked again after 2 × HeartBtInt.
        h.heartBtInt = 2
        let x = try h.run(tag: "cut") { $0.net.logons >= 2 && $0.desk.fills >= 40 && $0.desk.ordersSent >= 50 }
        defer { try? FileManager.default.removeItem(atPath: x.journal) }
        #expect(x.venue.counters.fixCuts == 1)
        #expect(x.run.net.disconnects >= 1)
        #expect(x.run.net.logons >= 2)
        #expect(x.venue.sessionLogons >= 2)
        // The cut lost messages in flight; the resend after the new logon brought them back.
        #expect(x.run.session.resendRequestsSent >= 1 || x.run.session.resendRequestsReceived >= 1)
        #expect(x.engine.coordinator.counters.fillInputs >= 40)
        try expectReconciled(x)
    }

    @Test func cancelsTheVenueNeverReportedAreFoundByTheRejectedCancelAndItsStatusAnswer() throws {
        // The venue cancels the client's first three orders without a word. Each stays working
        // here until its time to live sends a cancel (the net loop's expiry check, due by the
        // earliest working order's deadline); the venue rejects it (no such live
        // order), the net loop asks for the order's status, and the answer closes it on the
        // desk through the reconciler — a journaled input, so replay agrees.
        var h = LiveHarness()
        h.withheldCancelReports = 3
        let x = try h.run(tag: "withheld") { $0.desk.fills >= 25 && $0.desk.ordersSent >= 40 }
        defer { try? FileManager.default.removeItem(atPath: x.journal) }
        #expect(x.venue.counters.cancelReportsWithheld == 3)
        #expect(x.run.net.cancelRejects >= 3)
        #expect(x.run.net.statusRequestsSent >= 3 && x.venue.counters.statusRequests >= 3)
        #expect(x.run.net.forwardedReports >= 3)
        #expect(x.engine.deskLoop.lateReports.counters.ordersClosed >= 3)
        #expect(x.engine.deskLoop.reportsIgnored == 0)
        try expectReconciled(x)
    }

    @Test func anAnalystOverItsTimeBudgetIsQuarantinedInALiveRunAndReplayAgrees() throws {
        // The first analyst may take 1 ns per call: every timed call of it is over. Three
        // timed overruns in a row make one journaled overrun, `quarantine_strikes` (3) of
        // those quarantine it; replay reaches the same quarantine from the journal alone.
        var roster = QuorumConfig.Roster()
        roster.agents[0].timeBudgetNanos = 1
        var h = LiveHarness()
        h.roster = roster
        h.agentTimingEvery = 16
        let x = try h.run(tag: "overrun") { $0.desk.marketInputs > 3_000 }
        defer { try? FileManager.default.removeItem(atPath: x.journal) }
        let slow = roster.agents[0].name
        #expect(x.engine.deskLoop.overrunsReported >= roster.desk.quarantineStrikes)
        #expect(x.engine.coordinator.desk.isolation.overrunStrikes(AgentID(0)) >= roster.desk.quarantineStrikes)
        #expect(x.run.report.quarantines >= 1)
        #expect(x.run.report.agents.first { $0.agent == slow }?.quarantined == true)
        try expectReconciled(x)
    }

    @Test func stoppingEarlyYieldsAReportAndAVerifiedJournal() throws {
        // Stop as soon as the desk has sent its first orders: both sides halted, working orders
        // cancelled, the session logged out, the journal ending with a checkpoint.
        let x = try LiveHarness().run(tag: "stop") { $0.desk.ordersSent >= 1 }
        defer { try? FileManager.default.removeItem(atPath: x.journal) }
        let r = x.run.report
        #expect(r.inputs == x.engine.coordinator.counters.inputs && r.inputs > 0)
        #expect(r.ordersSent >= 1)
        #expect(r.directives == 2)  // the halts that stop the desk
        #expect(r.journal == x.journal)
        #expect(r.symbols.count == 4)
        #expect(x.run.session.logons == 1)
        #expect(x.engine.netLoop.session?.state == .disconnected)
        try expectReconciled(x)
    }

    @Test func aJournalDirectoryThatHoldsAJournalIsRefused() throws {
        let x = try LiveHarness(messages: 50_000).run(tag: "twice") { $0.desk.marketInputs > 10 }
        defer { try? FileManager.default.removeItem(atPath: x.journal) }
        var options = LiveEngine.Options()
        options.threads = LiveHarness.threads
        options.journalDirectory = x.journal
        #expect(throws: LiveError.self) { _ = try LiveEngine(setup: x.engine.setup, options: options) }
    }

    @Test func aThreadPlanWithoutTheNetLoopIsRefusedBeforeAnythingStarts() throws {
        var options = LiveEngine.Options()
        options.threads = [.init(name: "desk", cores: [CPUSet.available.cpus.first!], loops: ["agents", "coordinator", "journal"],
                                 wait: .defaultYield)]
        options.journalDirectory = LiveHarness.temporaryDirectory("plan")
        var setup = BacktestSetup()
        setup.locates = [1]
        setup.names = ["A"]
        do {
            _ = try LiveEngine(setup: setup, options: options)
            Issue.record("expected a thread-plan error")
        } catch {
            #expect("\(error)".contains("\"net\""))
        }
        #expect(!FileManager.default.fileExists(atPath: options.journalDirectory))
    }
}

@Suite struct LiveProtocolPieceTests {
    @Test func deskIDsAreDecimalClOrdIDsAndCancelIDsAreNot() {
        #expect(LiveNetLoop.deskID(FIXString(decimal: 0)) == 0)
        #expect(LiveNetLoop.deskID(FIXString(decimal: 18_446_744_073)) == 18_446_744_073)
        #expect(LiveNetLoop.deskID("X12") == nil)
        #expect(LiveNetLoop.deskID("12a") == nil)
        #expect(LiveNetLoop.deskID("") == nil)
        #expect(LiveNetLoop.deskID(nil) == nil)
        #expect(LiveNetLoop.deskID("12345678901234567890") == nil)  // 20 digits: not a desk id
        #expect(LiveNetLoop.cancelID(7) == "X7")
        #expect(LiveNetLoop.cancelID(1_234_567) == "X1234567")
        #expect(LiveNetLoop.deskID(LiveNetLoop.cancelID(42)) == nil)
    }

    @Test func liveConfigDefaultsRoundTripAndErrorsNameTheKey() throws {
        let two = CPUSet([0, 1])
        #expect(try QuorumConfig.parse("", file: "t.toml", available: two).live == QuorumConfig.Live())
        var c = QuorumConfig()
        c.live.venue = "connect"
        c.live.locates = [3, 5]
        c.live.durationSeconds = 2.5
        c.live.simulator.rate = 0
        c.live.simulator.burstMicroseconds = 40
        c.live.snapshotEvery = 0
        c.live.timeAgents = 4
        #expect(try QuorumConfig.parse(c.renderTOML(), file: "t.toml", available: two) == c)
        #expect(try LiveEngine.Options(config: c, journalDirectory: "j").snapshotEvery == 0)

        func failure(_ toml: String) -> String {
            do { _ = try QuorumConfig.parse(toml, file: "t.toml", available: two); return "" } catch { return "\(error)" }
        }
        #expect(failure("[live]\nvenue = \"moon\"\n") == "t.toml:2: live.venue: expected one of \"simulator\", \"connect\", found \"moon\"")
        #expect(failure("[live]\n\nfix = \"localhost\"\n") == "t.toml:3: live.fix: expected an IPv4 address HOST:PORT, found \"localhost\"")
        #expect(failure("[live]\nlocates = [1, 70000]\n").hasPrefix("t.toml:2: live.locates: expected an array of integers in 1...65535, found 70000"))
        #expect(failure("[live]\nduration_seconds = -1\n").hasPrefix("t.toml:2: live.duration_seconds: expected seconds"))
        #expect(failure("[live.simulator]\nspeed = 3\n").contains("live.simulator.speed: expected one of the keys"))
        #expect(failure("[live.simulator]\nburst_us = -5\n").contains("live.simulator.burst_us"))
        #expect(failure("[live.simulator]\nburst_us = 100001\n").contains("live.simulator.burst_us"))
        #expect(failure("[live]\nsnapshot_every = -1\n").hasPrefix("t.toml:2: live.snapshot_every: expected"))
        #expect(failure("[live]\ntime_agents = 2000000\n").hasPrefix("t.toml:2: live.time_agents: expected"))
        #expect(failure("[live]\nsender_comp_id = \"\(String(repeating: "A", count: 33))\"\n").contains("live.sender_comp_id"))
    }

    @Test func connectModeOptionsComeFromConfig() throws {
        var c = QuorumConfig()
        c.live.venue = "connect"
        c.live.feed = "127.0.0.1:40001"
        c.live.fix = "127.0.0.1:40003"
        c.live.retransmission = "127.0.0.1:40002"
        c.live.orderTTLMilliseconds = 7
        let o = try LiveEngine.Options(config: c, journalDirectory: "/tmp/x")
        #expect(o.net.feed == SocketAddress.loopback(port: 40001))
        #expect(o.orders == SocketAddress.loopback(port: 40003))
        #expect(o.retransmission == SocketAddress.loopback(port: 40002))
        #expect(o.net.orderTTLNanos == 7_000_000)
        c.live.venue = "simulator"
        let s = try LiveEngine.Options(config: c, journalDirectory: "/tmp/x")
        #expect(s.orders == nil && s.net.feed.port == 0)
        let setup = BacktestSetup(live: c.live)
        #expect(setup.locates == Array(1...8).map { UInt16($0) })
        c.live.locates = [9, 2]
        #expect(BacktestSetup(live: c.live).locates == [2, 9])
    }
}

/// `quorum run` as a user runs it: the built binary, a small configuration, SIGINT.
@Suite(.serialized) struct RunCommandTests {
    @Test func sigintStopsTheRunWithTheReportAndAJournalThatVerifies() throws {
        let binary = repositoryRoot.appendingPathComponent(".build/debug/quorum").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the quorum product first")
        let dir = LiveHarness.temporaryDirectory("sigint")
        let config = dir + ".toml"
        try """
            \(LiveHarness.threadsTOML)
            [live]
            duration_seconds = 0
            max_symbols = 3
            checkpoint_every = 1000

            [live.simulator]
            symbols = 3
            messages = 400000
            rate = 30000
            """.write(toFile: config, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: config)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", config, "--journal", dir, "--time-agents", "0"]  // debug build: see --help
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Until a status line (one a second when not on a terminal) shows fills.
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        while Date() < deadline && process.isRunning && !Self.showsFills(text) {
            text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        #expect(process.isRunning, "quorum run ended before SIGINT")
        kill(process.processIdentifier, SIGINT)
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("quorum run: 3 symbols"))
        #expect(text.contains("P&L          total"))
        #expect(text.contains("tick-to-trade (internal,"))
        // The split, stage by stage, updates counted for the first and orders for the rest.
        #expect(text.components(separatedBy: "\n  stage: ").count == 6)
        #expect(text.contains("stage: receive → update pushed (net: MoldUDP64, books; per update),"))
        #expect(text.contains("stage: net took it → submitted (FIX encode, send),"))
        #expect(text.contains("drained: every order sent was closed"))
        #expect(text.contains("quorum replay \(dir) --verify"))
        let replay = try CoordinatorReplay.run(directory: dir)
        #expect(replay.mismatches == 0 && replay.checkpointsChecked >= 1 && replay.recordsApplied > 1_000)
        #expect(text.contains("state hash \(replay.report.stateHash)"))
    }

    /// Whether some status line reads "fills N" with N > 0.
    static func showsFills(_ text: String) -> Bool {
        text.split(separator: "\n").contains { line in
            guard let r = line.range(of: " fills ") else { return false }
            return (Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0) > 0
        }
    }
}
