import Atomics
import Histogram
import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumNet
import QuorumRings
import QuorumWire

#if canImport(Glibc)
import Glibc
#endif

/// A live-mode problem, saying what failed and with what.
public enum LiveError: Error, Equatable, Sendable, CustomStringConvertible {
    case setup(String)
    case threads(String)
    case net(String)
    case journal(String)

    public var description: String {
        switch self {
        case .setup(let s): return "live setup: \(s)"
        case .threads(let s): return "live threads: \(s)"
        case .net(let s): return "live net loop: \(s)"
        case .journal(let s): return "live journal: \(s)"
        }
    }
}

/// Internal tick-to-trade figures (ns): datagram completion reaped → order send submitted.
public struct TickToTradeFigures: Sendable, Equatable, Codable {
    public var count: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64
    public var mean: Double

    public init(_ h: Histogram<UInt64>) {
        count = h.totalCount
        p50 = count > 0 ? h.valueAtPercentile(50) : 0
        p90 = count > 0 ? h.valueAtPercentile(90) : 0
        p99 = count > 0 ? h.valueAtPercentile(99) : 0
        p999 = count > 0 ? h.valueAtPercentile(99.9) : 0
        max = count > 0 ? h.max : 0
        mean = count > 0 ? h.mean : 0
    }

    public func render(_ title: String = "tick-to-trade (internal,", counting unit: String = "orders") -> String {
        func us(_ ns: UInt64) -> String { String(Double(ns) / 1000, precision: 2) }
        return "\(title) \(count) \(unit)): p50 \(us(p50)) µs  p90 \(us(p90)) µs  p99 \(us(p99)) µs"
            + "  p99.9 \(us(p999)) µs  max \(us(max)) µs"
    }
}

extension String {
    init(_ x: Double, precision: Int) {
        var scale = 1.0
        for _ in 0..<precision { scale *= 10 }
        let r = (x * scale).rounded() / scale
        var s = "\(r)"
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < precision { s += String(repeating: "0", count: precision - decimals) }
        } else if precision > 0 {
            s += "." + String(repeating: "0", count: precision)
        }
        self = s
    }
}

/// One stage of tick-to-trade with its figures (ns), for the run's report.
public struct LiveLatencyStage: Sendable, Equatable {
    public var name: String
    public var figures: TickToTradeFigures
    public init(name: String, figures: TickToTradeFigures) {
        self.name = name
        self.figures = figures
    }
}

/// What a live run ended with.
public struct LiveRun: Sendable {
    public var report: TradingReport
    public var tickToTrade: TickToTradeFigures
    /// From the desk taking the update off its ring to the order's submission.
    public var deskToTrade: TickToTradeFigures
    public var net: LiveNetStatus
    public var session: FIXSession.Counters
    public var seconds: Double
    public var journalDirectory: String
    public var lastSequence: UInt64
    /// Every order sent was closed (filled or cancelled) before the loops stopped: the
    /// coordinator's positions are the venue's.
    public var drained: Bool
    /// Orders the coordinator still held open when it stopped: when drained, exactly the
    /// withheld ones.
    public var openOrders: Int
    /// Child orders the desk wanted while stopping, kept from the venue (open in the
    /// coordinator's final state, and in the replayed one).
    public var withheldOrders: Int
    /// Market updates the desk skipped for a newer one of the same symbol (it had fallen behind).
    public var updatesConflated: UInt64 = 0
    /// Tick-to-trade stage by stage (`LiveNetLoop.stages`).
    public var stages: [LiveLatencyStage] = []
    /// What the snapshot writer did (nil: snapshots off).
    public var snapshots: String?
    /// The coordinator's state hash at the end (the last checkpoint).
    public var stateHash: UInt64
    /// How often each thread went round its loops: an idle round's length is how long an
    /// update or an order waits, at most, for the loop that takes it.
    public var polling: [LiveThreadPolling] = []
}

/// One thread's polling over a run (`LoopRunner.rounds`).
public struct LiveThreadPolling: Sendable {
    public var thread: String
    public var rounds: Int
    public var idleRounds: Int
    public var seconds: Double

    /// "net 7.31 M rounds/s (99.2% idle, 137 ns a round)".
    public func render() -> String {
        let perSecond = seconds > 0 ? Double(rounds) / seconds : 0
        let idle = rounds > 0 ? 100 * Double(idleRounds) / Double(rounds) : 0
        let nanos = rounds > 0 ? seconds * 1e9 / Double(rounds) : 0
        return "\(thread) " + String(format: "%.2f M rounds/s (%.1f%% idle, %.0f ns a round)", perSecond / 1e6, idle, nanos)
    }
}

/// A status-line snapshot: both loops' published counters.
public struct LiveStatus: Sendable {
    public var net: LiveNetStatus
    public var desk: LiveDeskStatus
}

/// Live mode: the trading team against a venue over the real protocols.
///
/// Two loops on pinned threads per Config's thread plan (default: net on core 0; agents,
/// coordinator and journal on core 1), joined by three SPSC rings:
/// - `LiveNetLoop` (net): io_uring reactor; MoldUDP64 feed → books → `MarketUpdate`s of the
///   traded symbols; FIX 4.4 initiator session: child orders out, execution reports back.
/// - `LiveDeskLoop` (coordinator): every update and venue event into `Coordinator.consume`
///   (journaled, sequenced, the whole desk stepped), child orders and cancel-all out.
///
/// Fills and closures are coordinator inputs like market updates, so the journal replays
/// to the same state: `quorum replay DIR --verify` checks a live journal.
///
/// Seams for recovery: `Start.resume` passes in a coordinator already rebuilt from a journal
/// and the writer appending to it; `onLogon` runs on the net thread after every FIX logon
/// (before any order of that connection), where open orders can be reconciled.
///
/// Lifecycle: `init` → `start()` (threads up, feed bound) → `connect(orders:retransmission:)`
/// unless Options named the venue → … → `stop()`. Not thread-safe: one controlling thread.
public final class LiveEngine: @unchecked Sendable {
    public struct Options: Sendable {
        public var net = LiveNetSettings()
        /// The venue's FIX acceptor and MoldUDP64 retransmission server; nil: given later to
        /// `connect` (an in-process simulator learns the feed port first).
        public var orders: SocketAddress?
        public var retransmission: SocketAddress?
        public var threads = QuorumConfig.ThreadConfig.defaults
        public var rings = QuorumConfig.Rings()
        /// A new (or empty) directory for a fresh journal.
        public var journalDirectory = "journal/live"
        public var fsync = JournalFsyncPolicy.none
        public var openOrderCapacity = 1024
        /// Time each analyst's market call on one update in this many, and report an analyst
        /// over its Config time budget in `overrunConfirmations` timed calls in a row as a
        /// (journaled) overrun; `quarantine_strikes` of those quarantine it. 0 (the default
        /// here): no timing. `quorum run` turns it on (`--time-agents`): Config's budgets are
        /// for optimised builds, and an unoptimised one overruns them all.
        public var agentTimingEvery = 0
        public var overrunConfirmations = 3
        /// Coordinator inputs between snapshots written beside the journal (and one more at a
        /// clean stop), so a restart replays only what came after the newest; 0: none.
        public var snapshotEvery = 0
        public init() {}
    }

    /// How the coordinator starts.
    public enum Start {
        /// A fresh desk from the setup and a new journal in `Options.journalDirectory`.
        case fresh
        /// A coordinator already brought up to date from `journal` (recovery), which keeps
        /// appending to the same journal.
        case resume(coordinator: Coordinator, journal: LiveJournal)
    }

    public let setup: BacktestSetup
    public let options: Options
    public let coordinator: Coordinator
    public let journal: LiveJournal
    public let netLoop: LiveNetLoop
    public let deskLoop: LiveDeskLoop
    let journalLoop: LiveJournalLoop
    let runners: [LoopRunner]
    let netStatus: SeqLock<LiveNetStatus>
    let deskStatus: SeqLock<LiveDeskStatus>
    var started = false
    var startedAt: UInt64 = 0
    /// From the threads' start to their stop.
    var threadSeconds = 0.0

    /// Called on the net thread after every FIX logon. Set before `start()`.
    public var onLogon: ((FIXSession) -> Void)? {
        get { netLoop.onLogon }
        set { netLoop.onLogon = newValue }
    }

    /// - Parameters:
    ///   - setup: the desk (locates traded, names, capital, checkpoint cadence).
    ///   - available: the CPUs the thread plan may use.
    /// - Throws: `LiveError` for a bad thread plan, rings that cannot be made, or a journal
    ///   that cannot be created.
    public init(setup: BacktestSetup, options: Options, start: Start = .fresh,
                available: CPUSet = .available) throws(LiveError) {
        self.setup = setup
        self.options = options
        let plan: ThreadPlan
        do { plan = try ThreadPlan(threads: options.threads, available: available) } catch {
            throw .threads("\(error.key): expected \(error.expected), found \(error.found)")
        }
        switch start {
        case .fresh:
            do { journal = try LiveJournal.create(directory: options.journalDirectory, setup: setup, fsync: options.fsync) } catch {
                throw .journal("\(error)")
            }
            let desk: Desk
            do { desk = try setup.makeDesk() } catch { throw .setup("\(error)") }
            coordinator = Coordinator(desk: desk, journal: journal, checkpointEvery: setup.checkpointEvery,
                                      sampleNanos: setup.sampleNanos, openOrderCapacity: options.openOrderCapacity)
        case .resume(let c, let j):
            coordinator = c
            journal = j
        }
        // The journal loop drains inline only when it shares the coordinator's thread.
        let deskThread = plan.threads.firstIndex { $0.loops.contains(.coordinator) }
        let journalThread = plan.threads.firstIndex { $0.loops.contains(.journal) }
        journal.drainsInline = deskThread == journalThread
        let r = options.rings
        do {
            let market = try SPSCRing<MarketUpdate>(capacity: r.marketUpdates, placement: r.placement)
            let events = try SPSCRing<LiveVenueEvent>(capacity: r.orders, placement: r.placement)
            let orders = try SPSCRing<LiveOrderCommand>(capacity: r.orders, placement: r.placement)
            netStatus = try SeqLock(LiveNetStatus(), placement: r.placement)
            deskStatus = try SeqLock(LiveDeskStatus(), placement: r.placement)
            netLoop = LiveNetLoop(settings: options.net, locates: setup.locates, market: market, events: events,
                                  orders: orders, status: netStatus)
            deskLoop = LiveDeskLoop(coordinator: coordinator, market: market, events: events, orders: orders,
                                    status: deskStatus, pendingCapacity: options.openOrderCapacity * 4)
        } catch {
            throw .setup("rings: \(error)")
        }
        if options.agentTimingEvery > 0 {
            coordinator.desk.timingEvery = UInt64(options.agentTimingEvery)
            coordinator.desk.stopwatch = { NetClock.now() }
            deskLoop.overrunConfirmations = Swift.max(1, options.overrunConfirmations)
        }
        if options.snapshotEvery > 0 {
            deskLoop.snapshots = SnapshotWriterThread(directory: journal.writer.directory)
            deskLoop.snapshotEvery = options.snapshotEvery
            deskLoop.inputsAtSnapshot = coordinator.counters.inputs
        }
        journalLoop = LiveJournalLoop(writer: journal.writer)
        do {
            runners = try plan.makeRunners([.net: netLoop, .agents: LiveAgentsLoop(), .coordinator: deskLoop,
                                            .journal: journalLoop])
        } catch {
            throw .threads("\(error)")
        }
    }

    /// Starts every thread and waits (up to 5 s) for the net loop to bind the feed.
    /// - Returns: where the feed is received (the venue publishes there).
    /// - Throws: `LiveError.threads` when a thread cannot be pinned, `.net` when the
    ///   reactor or the sockets cannot be made.
    @discardableResult
    public func start() throws(LiveError) -> SocketAddress {
        guard !started else { throw .setup("already started") }
        deskLoop.snapshots?.start()
        for (i, runner) in runners.enumerated() {
            do { try runner.start() } catch {
                for r in runners[0..<i] { r.stop() }
                deskLoop.snapshots?.stop()
                throw .threads("\(error)")
            }
        }
        started = true
        startedAt = NetClock.now()
        let deadline = NetClock.now() &+ 5_000_000_000
        while netLoop._setupState.load(ordering: .acquiring) == 0 && NetClock.now() < deadline { sched_yield() }
        switch netLoop._setupState.load(ordering: .acquiring) {
        case 1: break
        case 2:
            let why = netLoop.setupFailure ?? "?"
            _ = try? stop(drainTimeoutNanos: 0)
            throw .net(why)
        default:
            _ = try? stop(drainTimeoutNanos: 0)
            throw .net("the net loop did not come up within 5 s")
        }
        if let o = options.orders { connect(orders: o, retransmission: options.retransmission ?? o) }
        return _LiveAddress.unpack(netLoop._feedAddress.load(ordering: .acquiring))
    }

    /// Tells the net loop where the venue is; it connects (and reconnects) from there.
    public func connect(orders: SocketAddress, retransmission: SocketAddress) {
        netLoop._venueRetransmission.store(_LiveAddress.pack(retransmission), ordering: .releasing)
        netLoop._venueOrders.store(_LiveAddress.pack(orders), ordering: .releasing)
    }

    /// Reconciles the orders the resumed coordinator holds open: after every FIX logon
    /// (until all are answered) the net loop asks the venue about each (OrderStatusRequest);
    /// it also takes them into its order table, so time-to-live and cancel-all cancel them.
    /// Every report about them reaches `reconciler` on the desk thread as a `.report` event,
    /// so what it applies is journaled. Call before `start()`, with the engine's coordinator.
    /// - Returns: how many status requests will be sent.
    @discardableResult
    public func reconcile(with reconciler: OrderReconciler) -> Int {
        precondition(!started && reconciler.coordinator === coordinator, "reconcile before start, with this coordinator")
        let open = (0..<coordinator.openOrderCount).map(coordinator.openOrder)
        let requests = reconciler.statusRequests()
        deskLoop.reconciler = reconciler
        deskLoop.markReconciledIfComplete()
        netLoop.adopt(open)
        netLoop.forwardsUntrackedReports = true
        let done = deskLoop._reconciled
        netLoop.onLogon = { session in
            guard !done.load(ordering: .acquiring) else { return }
            let now = NetClock.now() &+ NetClock.realTimeOffset()
            for r in requests { _ = session.sendOrderStatusRequest(r, now: now) }
        }
        return requests.count
    }

    /// A clean stop journals halt-longs and halt-shorts desk-wide as its last directives
    /// (the drain); a run resumed from such a journal would stay halted. When `summary`'s
    /// last directive is that halt, a desk-wide resume directive is consumed (journaled, so
    /// replay agrees). Call before `start()`.
    /// - Returns: whether the halts were lifted.
    @discardableResult
    public func liftStopHalts(after summary: RecoverySummary) -> Bool {
        precondition(!started, "lift the stop's halts before start")
        guard let d = summary.lastDirective, d.kind == .haltShorts, d.team == .all else { return false }
        coordinator.consume(.directive(Directive(kind: .resume, team: .all, time: coordinator.lastTime)))
        return true
    }

    /// The reconciler's line ("orders reconciled: …") once every status request was
    /// answered; nil before (or without `reconcile`).
    public var reconciled: String? {
        deskLoop._reconciled.load(ordering: .acquiring) ? deskLoop.reconciledLine : nil
    }

    /// The latest snapshots both loops published (every ~20 ms).
    public func status() -> LiveStatus { LiveStatus(net: netStatus.read(), desk: deskStatus.read()) }

    /// Stops cleanly: the desk halts both sides, cancels every working order and stops consuming at the first
    /// moment the coordinator holds no open order (or when `drainTimeoutNanos` passed); then
    /// the FIX session logs out, the threads stop, a final checkpoint is journaled and the
    /// journal is written and synced.
    /// - Throws: `LiveError.journal` when the journal could not be completed.
    public func stop(drainTimeoutNanos: UInt64 = 5_000_000_000) throws(LiveError) -> LiveRun {
        var drained = false
        if started {
            deskLoop._draining.store(true, ordering: .releasing)
            let deadline = NetClock.now() &+ drainTimeoutNanos
            while NetClock.now() < deadline && !deskLoop._frozen.load(ordering: .acquiring) { usleep(2_000) }
            drained = deskLoop._frozen.load(ordering: .acquiring)
            netLoop._logoutRequested.store(true, ordering: .releasing)
            let logoutDeadline = NetClock.now() &+ 5_000_000_000
            while status().net.sessionState != 0 && NetClock.now() < logoutDeadline { usleep(5_000) }
            for r in runners { r.stop() }
            threadSeconds = Double(NetClock.now() &- startedAt) / 1e9
            started = false
        }
        // The threads have ended: this thread owns the loops now.
        drained = drained && coordinator.openOrderCount == deskLoop.withheld
        coordinator.checkpoint()
        journal.drainsInline = true
        do { try journal.writer.loop.drainAndSync() } catch { throw .journal("\(journal.writer.directory): \(error)") }
        // The state at the clean stop, so the next start replays nothing; the thread writes
        // it (and anything pending) before it ends.
        var snapshotLine: String?
        if let w = deskLoop.snapshots {
            while !w.isIdle { usleep(1_000) }
            deskLoop.snapshot()
            w.stop()
            snapshotLine = "snapshots: \(w.written) written" + (w.lastSequence.map { ", the last at sequence \($0)" } ?? "")
                + ", longest to make \(deskLoop.snapshotMaxNanos / 1_000) µs"
                + (w.failures > 0 ? "; \(w.failures) failed: \(w.lastError ?? "?")" : "")
        }
        deskLoop.publishStatus()
        netLoop.publishStatus()
        var report = TradingReport(coordinator: coordinator, setup: setup)
        report.journal = journal.writer.directory
        let seconds = Double(NetClock.now() &- startedAt) / 1e9
        var run = LiveRun(report: report, tickToTrade: TickToTradeFigures(netLoop.tickToTrade),
                       deskToTrade: TickToTradeFigures(netLoop.deskToTrade), net: netLoop.counters,
                       session: netLoop.session?.counters ?? FIXSession.Counters(), seconds: seconds,
                       journalDirectory: journal.writer.directory, lastSequence: coordinator.lastSequence,
                       drained: drained, openOrders: coordinator.openOrderCount, withheldOrders: deskLoop.withheld, stateHash: coordinator.stateHash())
        run.updatesConflated = deskLoop.updatesConflated
        run.stages = netLoop.stages
        run.snapshots = snapshotLine
        run.polling = runners.map {
            LiveThreadPolling(thread: $0.name, rounds: $0.rounds, idleRounds: $0.idleRounds, seconds: threadSeconds)
        }
        return run
    }
}

extension LiveEngine.Options {
    /// The options `[live]`, `[rings]` and `[[threads]]` of `config` describe; the feed is
    /// bound to `live.feed` in connect mode and to a free loopback port with the in-process
    /// simulator, whose addresses `connect` gives later.
    /// - Throws: `ConfigError` for an address that does not parse (already checked by `load`).
    public init(config: QuorumConfig, journalDirectory: String) throws(ConfigError) {
        self.init()
        let l = config.live
        func address(_ key: String, _ text: String) throws(ConfigError) -> SocketAddress {
            do { return try SocketAddress(parsing: text) } catch {
                throw ConfigError(file: "-", key: "live.\(key)", expected: "an IPv4 address HOST:PORT", found: "\"\(text)\"")
            }
        }
        net.senderCompID = FIXString(l.senderCompID)
        net.targetCompID = FIXString(l.targetCompID)
        net.heartBtInt = l.heartbeatSeconds
        net.orderTTLNanos = UInt64(l.orderTTLMilliseconds) * 1_000_000
        net.reconnectNanos = UInt64(l.reconnectMilliseconds) * 1_000_000
        net.warmOrderPathNanos = UInt64(l.warmMicroseconds) * 1_000
        if l.venue == "connect" {
            net.feed = try address("feed", l.feed)
            orders = try address("fix", l.fix)
            retransmission = try address("retransmission", l.retransmission)
        }
        threads = config.threads
        rings = config.rings
        snapshotEvery = l.snapshotEvery
        self.journalDirectory = journalDirectory
    }
}

extension BacktestSetup {
    /// The desk `[live]` describes for connect mode: `locates` (or 1…max_symbols), named
    /// `L<locate>` until the feed's directory names them.
    public init(live l: QuorumConfig.Live) {
        self.init()
        locates = (l.locates.isEmpty ? Array(1...l.maxSymbols) : l.locates).map { UInt16($0) }.sorted()
        names = locates.map { "L\($0)" }
        maxSymbols = l.maxSymbols
        capital = l.capital
        checkpointEvery = l.checkpointEvery
    }
}
