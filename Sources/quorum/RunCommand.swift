// `quorum run`: the trading team live against a venue — by default the exchange simulator
// started in-process on its own thread — over ITCH/MoldUDP64 and FIX 4.4 on loopback, with a
// status line, and on exit (duration, end of feed, SIGINT) the report, the internal
// tick-to-trade percentiles and the journal path. On a directory that already holds a
// journal it recovers: replays it (checkpoints verified), resumes the coordinator, asks the
// venue about every order open at the crash and reconciles the answers. Errors exit with
// status 2.

import ArgumentParser
import Foundation
import QuorumEngine
import QuorumExchange
import QuorumMarketTools
import QuorumNet
import QuorumRings
import QuorumWire

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the trading team live against the exchange simulator (or a venue in Config).",
        discussion: """
            Without --connect the simulator runs in-process on its own thread ([live.simulator]: \
            its synthetic day and pace) on free loopback ports; the desk trades its most active \
            symbols. With --connect (or [live] venue = "connect") the engine binds the feed at \
            [live] feed and logs on to the FIX acceptor at [live] fix. Threads and cores follow \
            [[threads]]. Every input the coordinator consumes — market updates, fills, closures — \
            is journaled; `quorum replay DIR --verify` rebuilds the same state. SIGINT stops \
            cleanly: working orders are cancelled, the session logs out, the report is printed. \
            On a --journal directory that already holds a journal (e.g. after a crash) the run \
            recovers: the journal is replayed with every checkpoint verified, the desk resumes \
            from it, and after the FIX logon every order open at the crash is reconciled with \
            the venue (an in-process simulator is a new venue that knows none of them: they \
            close unfilled). The FIX sequence file lives in the journal directory in connect \
            mode, so a restart resumes the venue's session.
            """
    )

    @Option(name: .long, help: "Configuration file.")
    var config: String = defaultConfigPath
    @Option(name: .long, help: "Journal directory: a new one (default: [live] journal_root/live-<unix time>), or one holding a journal to recover from.")
    var journal: String?
    @Option(name: .long, help: "Seconds to run (0: until SIGINT); default [live] duration_seconds.")
    var duration: Double?
    @Flag(name: .long, help: "Connect to the endpoints in [live] instead of starting the simulator.")
    var connect = false
    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false
    @Option(name: .customLong("time-agents"), help: ArgumentHelp(
        "Time each analyst's call on one market update in N (default: [live] time_agents, 16); an analyst over its time_budget_ns in 3 timed calls in a row counts one overrun (journaled), quarantine_strikes overruns quarantine it. 0: no timing (Config's budgets are for optimised builds).",
        valueName: "N"))
    var timeAgents: Int?

    func validate() throws {
        if let d = duration, !(d >= 0) { throw ValidationError("--duration must be 0 or more, found \(d)") }
        if let t = timeAgents, t < 0 { throw ValidationError("--time-agents must be 0 or more, found \(t)") }
    }

    func run() throws {
        var cfg = try loadConfig(config)
        // --connect means [live]'s endpoints whatever [live] venue says (the engine's options
        // read the venue from Config).
        if connect { cfg.live.venue = "connect" }
        let live = cfg.live
        let useSimulator = !connect && live.venue == "simulator"
        let dir = journal ?? "\(live.journalRoot)/live-\(time(nil))"
        let seconds = duration ?? live.durationSeconds
        do {
            var setup: BacktestSetup
            var day: [UInt8] = []
            var recovered: (coordinator: JournaledCoordinator, journal: LiveJournal)?
            if CoordinatorRecovery.hasJournal(directory: dir) {
                ProgressLine.writeStderr("recovering from the journal in \(dir)…\n")
                let r = try LiveJournal.recover(directory: dir)
                if let summary = r.coordinator.summary {
                    print(summary.description)
                    for why in summary.snapshotsRejected { print("  snapshot passed over: \(why)") }
                }
                recovered = r
            }
            if useSimulator {
                let s = live.simulator
                ProgressLine.writeStderr("generating the simulator's day: \(s.messages) messages over \(s.symbols) symbols…\n")
                day = SyntheticDay.bytes(options: SyntheticDay.Options(symbols: s.symbols, messages: s.messages, seed: s.seed,
                                                                       targetLiveOrdersPerSymbol: s.liveOrders))
                var base = BacktestSetup(live: live)
                base.locates = []
                base.roster = cfg.roster.isDefault ? nil : cfg.roster
                setup = day.withUnsafeBytes { Backtest.chooseSymbols(base, feed: $0) }
            } else {
                setup = BacktestSetup(live: live)
                setup.roster = cfg.roster.isDefault ? nil : cfg.roster
            }
            if let recovered {
                // The desk is the journal's: its session record named the symbols it trades.
                if recovered.coordinator.setup.names != setup.names && useSimulator {
                    ProgressLine.writeStderr("note: the journal's symbols (\(recovered.coordinator.setup.names.joined(separator: " "))) "
                                             + "differ from the simulator's most active ones now; trading the journal's\n")
                }
                setup = recovered.coordinator.setup
            }
            var options = try LiveEngine.Options(config: cfg, journalDirectory: dir)
            options.agentTimingEvery = timeAgents ?? live.timeAgents
            // A venue that outlives the run keeps the session: its sequence numbers persist in
            // the journal's directory. An in-process simulator is new every run, and so is
            // its session (both sides start at 1, in memory).
            if !useSimulator { options.net.sequenceFilePath = "\(dir)/\(Self.sequenceFileName)" }
            let engine = try LiveEngine(setup: setup, options: options,
                                        start: recovered.map { .resume(coordinator: $0.coordinator.coordinator, journal: $0.journal) } ?? .fresh)
            var reconciling = false
            if let recovered {
                let reconciler = OrderReconciler(coordinator: recovered.coordinator.coordinator,
                                                 symbolNames: setup.names.map { FIXString($0) })
                let asked = engine.reconcile(with: reconciler)
                reconciling = true
                print("reconciling \(asked) open orders with "
                      + (useSimulator ? "a NEW in-process simulator, which knows none of them: they close unfilled as unknown"
                                      : "the venue at \(live.fix) (order status requests after the FIX logon)"))
            }
            if let summary = recovered?.coordinator.summary, engine.liftStopHalts(after: summary) {
                print("the previous run stopped cleanly: its stop's desk-wide halts are lifted")
            }
            let feed = try engine.start()
            var simulator: SimulatorThread?
            if useSimulator {
                var o = Simulator.Options()
                o.feed = feed
                o.orders = .loopback()
                o.retransmission = .loopback()
                o.senderCompID = FIXString(live.targetCompID)
                o.targetCompID = FIXString(live.senderCompID)
                o.recordedFlow = day
                o.messagesPerSecond = UInt64(live.simulator.rate)
                // On the net loop's cores: the venue and the feed handler take turns anyway,
                // and the desk's core stays the desk's. The flow goes out in bursts
                // ([live.simulator] burst_us) so the venue sleeps between them rather than
                // preempting the busy-spinning net loop for every message.
                let sim = SimulatorThread(options: o, burstIntervalNanos: UInt64(live.simulator.burstMicroseconds) * 1_000)
                let netCores = cfg.threads.first { $0.loops.contains("net") }?.cores ?? []
                let (orders, retransmission) = try sim.start(cpus: netCores.isEmpty ? nil : CPUSet(netCores))
                engine.connect(orders: orders, retransmission: retransmission)
                simulator = sim
                day = []
            }
            installStopSignals()
            let venue = useSimulator ? "the in-process simulator" : "\(live.fix) (feed at \(feed))"
            print("quorum run: \(setup.locates.count) symbols (\(setup.names.joined(separator: " "))) against \(venue); "
                  + "journal \(dir); " + (seconds > 0 ? "\(seconds) s" : "until SIGINT"))
            fflush(nil)
            let terminal = isTerminal(1)
            let start = NetClock.now()
            var lastLine = start
            var lastInputs: UInt64 = 0
            var why = "duration reached"
            while true {
                usleep(50_000)
                let now = NetClock.now()
                if _stopRequested.load(ordering: .relaxed) { why = "SIGINT"; break }
                if seconds > 0 && Double(now - start) / 1e9 >= seconds { break }
                if reconciling, let line = engine.reconciled {
                    if terminal { FileHandleWriter.write("\r\u{1B}[K", fd: 1) }
                    print(line)
                    fflush(nil)
                    reconciling = false
                }
                let s = engine.status()
                if s.net.feedEnded || simulator?.flowFinished == true { why = "end of the feed"; break }
                if now - lastLine >= 1_000_000_000 {
                    let rate = Double(s.desk.inputs - lastInputs) / (Double(now - lastLine) / 1e9)
                    let line = Self.statusLine(s, names: setup.names, eventsPerSecond: rate, elapsed: Double(now - start) / 1e9)
                    if terminal { FileHandleWriter.write("\r\u{1B}[K" + line, fd: 1) } else { print(line); fflush(nil) }
                    lastLine = now
                    lastInputs = s.desk.inputs
                }
            }
            if terminal { FileHandleWriter.write("\r\u{1B}[K", fd: 1) }
            ProgressLine.writeStderr("stopping (\(why)): cancelling working orders, logging out…\n")
            let result = try engine.stop()
            if reconciling { print(engine.reconciled ?? "orders reconciled: incomplete, the venue did not answer every status request") }
            let sim = simulator?.stop()
            if json {
                print(result.report.json)
                return
            }
            print(result.report.render(), terminator: "")
            print(result.tickToTrade.render())
            print(result.deskToTrade.render("  of which after the desk took the update (desk step, ring hop, FIX submit;"))
            for (i, stage) in result.stages.enumerated() {
                print(stage.figures.render("  stage: \(stage.name),", counting: i == 0 ? "updates" : "orders"))
            }
            if !result.polling.isEmpty {
                print("polling: " + result.polling.map { $0.render() }.joined(separator: "; "))
            }
            let n = result.net
            print("wire: feed messages \(n.feedMessages), updates to the desk \(n.updatesPublished) (dropped \(n.updatesDropped), conflated by the desk \(result.updatesConflated)), "
                  + "gaps \(n.feedGaps) (re-requests \(n.feedRequests), lost \(n.messagesLost)); orders \(n.ordersSent) (refused \(n.ordersRefused)), cancels \(n.cancelsSent), "
                  + "execution reports \(n.executionReports), FIX logons \(n.logons), disconnects \(n.disconnects)")
            if let sim {
                let filled = sim.clientOrders.reduce(Int64(0)) { $0 + $1.cumQty }
                print("venue: \(sim.counters.clientOrders) orders, \(sim.counters.clientFills) fills (\(filled) shares), "
                      + "\(sim.counters.clientCancels) cancels, \(sim.counters.flowMessages) flow messages")
            }
            if let line = result.snapshots { print(line) }
            let withheld = result.withheldOrders > 0 ? " (\(result.withheldOrders) the desk wanted while stopping were not sent)" : ""
            print("\(result.drained ? "drained: every order sent was closed" + withheld : "NOT drained: \(result.openOrders - result.withheldOrders) orders still working"); "
                  + "\(String(format: "%.1f", result.seconds)) s; journal \(result.journalDirectory) to sequence \(result.lastSequence) "
                  + "— verify with: quorum replay \(result.journalDirectory) --verify")
        } catch let e as ValidationError {
            throw e
        } catch {
            printError("quorum run: \(error)")
            throw ExitCode(2)
        }
    }

    /// The FIX session's sequence file inside the journal directory (connect mode).
    static let sequenceFileName = "fix-session.seq"

    static func statusLine(_ s: LiveStatus, names: [String], eventsPerSecond: Double, elapsed: Double) -> String {
        let d = s.desk
        var positions = ""
        for i in 0..<min(names.count, LiveDeskStatus.symbolSlots) where d.positions[i] != 0 {
            positions += " \(names[i]) \(d.positions[i] > 0 ? "+" : "")\(d.positions[i])"
        }
        let mode = ["normal", "degraded", "emergency"][min(2, Int(d.mode))]
        let fix = ["down", "logon", "active", "logout"][min(3, Int(s.net.sessionState))]
        return "\(String(format: "%.0f", elapsed)) s  events \(Int(eventsPerSecond))/s  orders \(d.ordersSent) fills \(d.fills)"
            + "  P&L \(String(format: "%.2f", d.totalPnL)) (realised \(String(format: "%.2f", d.realisedPnL)))"
            + "  VaR \(String(format: "%.0f", d.valueAtRisk))  breakers \(mode)  FIX \(fix)"
            + "  pos" + (positions.isEmpty ? " flat" : positions)
    }
}
