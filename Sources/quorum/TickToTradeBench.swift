import Atomics
import Foundation
import Histogram
import QuorumBook
import QuorumEngine
import QuorumExchange
import QuorumNet
import QuorumRings
import QuorumWire

/// What one side of the tick-to-trade benchmark measured.
struct TickToTradeSeries {
    var wire = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var internalLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var timeouts = 0
}

enum TickToTradeError: Error, CustomStringConvertible {
    case setup(String)
    var description: String {
        switch self {
        case .setup(let text): return text
        }
    }
}

/// State shared between the benchmark's venue (this thread) and the trader's pinned thread.
/// Ports and flags cross as atomics; `samples` and `failure` are written by the trader thread
/// before it ends and read after `join`.
final class _TraderThreadState: @unchecked Sendable {
    let feedPort = ManagedAtomic<Int>(0)  // 0 not yet, -1 failed
    let venuePort = ManagedAtomic<Int>(0)
    let stop = ManagedAtomic<Bool>(false)
    var samples: [UInt64] = []
    var failure: String?
    var ordersSent: UInt64 = 0
    var ordersRefused: UInt64 = 0
}

/// The trader's ends: reactor (busy-poll), MoldUDP64 feed, books, FIX session, rule.
struct _ReflexTraderEnds {
    let reactor: Reactor
    let session: FIXSession
    let tcp: FIXTCPHandler
    let trader: ReflexTrader
    let feed: MoldFeedClient

    init(rule: SpreadCrossRule, sampleCapacity: Int, taskRun: Reactor.TaskRun = .immediate) throws {
        // Made on the thread that polls it (`.deferred` requires that).
        var options = Reactor.Options(mode: .busyPoll, taskRun: taskRun)
        options.maxConnections = 4
        reactor = try Reactor(options)
        session = try FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "SIM",
                                                heartBtInt: 30, resetSeqNumOnLogon: true))
        tcp = FIXTCPHandler(session: session)
        var books = BookConfig()
        books.maxSymbols = 16
        trader = ReflexTrader(books: BookManager(config: books), rule: rule, session: session, reactor: reactor,
                              wallClockOffset: tcp.wallClockOffset, sampleCapacity: sampleCapacity)
        feed = try MoldFeedClient(reactor: reactor, bind: .loopback(), retransmission: .loopback(port: 9), sink: trader)
    }
}

/// The trader's thread: its ends, connected to the venue once the venue's port is known,
/// busy-polled until told to stop.
func _runReflexTraderThread(_ state: _TraderThreadState, rule: SpreadCrossRule, sampleCapacity: Int,
                            taskRun: Reactor.TaskRun, warm: Bool) {
    do {
        let ends = try _ReflexTraderEnds(rule: rule, sampleCapacity: sampleCapacity, taskRun: taskRun)
        let reactor = ends.reactor
        state.feedPort.store(Int(ends.feed.socket.localAddress.port), ordering: .releasing)
        var port = 0
        while port == 0 && !state.stop.load(ordering: .acquiring) {
            port = state.venuePort.load(ordering: .acquiring)
            reactor.poll()
        }
        if port > 0 {
            _ = try reactor.connect(to: .loopback(port: UInt16(port)), handler: ends.tcp)
            var spins: UInt64 = 0
            let trader = ends.trader
            while !state.stop.load(ordering: .relaxed) {
                if reactor.poll() == 0 && warm { trader.warm() }
                spins &+= 1
                if spins & 0xFFF == 0 { ends.session.tick(now: ends.tcp.wallNow()) }
            }
        }
        state.samples = ends.trader.samples
        state.ordersSent = ends.trader.ordersSent
        state.ordersRefused = ends.trader.ordersRefused
        ends.feed.close()
    } catch {
        state.failure = "\(error)"
        state.feedPort.store(-1, ordering: .releasing)
    }
}

/// Runs the benchmark: Quorum's trader and the C reflex answer the same venue, in
/// interleaved blocks so that both see the same machine weather.
struct TickToTradeBench {
    var samplesPerRound: Int
    var rounds: Int
    var warmup: Int
    var venueCore: Int
    var traderCore: Int
    var rule: SpreadCrossRule
    var reflexPath: String?
    /// When the trader's ring runs its task work (the venue's ring keeps the default).
    var traderTaskRun: Reactor.TaskRun = .deferred
    /// The trader rehearses its order path whenever a poll finds nothing.
    var warm = false
    /// Venue and trader on this thread, polled in turn: for callgrind, which runs one thread
    /// at a time. The internal figure keeps its meaning; wire-to-wire then includes the venue.
    var singleThread = false
    var progress: Progress

    static let orderTimeoutNanos: UInt64 = 1_000_000_000

    func run() throws -> (quorum: TickToTradeSeries, reflex: TickToTradeSeries?) {
        _ = try Affinity.pinCurrentThread(to: CPUSet([venueCore]))
        var quorum = TickToTradeSeries()
        var reflex: TickToTradeSeries? = reflexPath == nil ? nil : TickToTradeSeries()
        for round in 1...rounds {
            progress.show("tick-to-trade: round \(round)/\(rounds), Quorum")
            try quorumBlock(into: &quorum)
            if let reflexPath {
                progress.show("tick-to-trade: round \(round)/\(rounds), C reflex")
                try reflexBlock(path: reflexPath, into: &reflex!)
            }
        }
        progress.clear()
        return (quorum, reflex)
    }

    /// Sends `warmup + samplesPerRound` triggers one at a time; records the wire latencies
    /// after the warm-up. Returns how many were recorded.
    func measure(_ venue: TickToTradeVenue, alsoPolling trader: Reactor? = nil, into series: inout TickToTradeSeries) -> Int {
        var recorded = 0
        for i in 0..<(warmup + samplesPerRound) {
            let before = venue.ordersReceived
            let sent = venue.sendTrigger()
            guard let arrived = venue.awaitOrder(after: before, timeoutNanoseconds: Self.orderTimeoutNanos,
                                                 alsoPolling: trader)
            else {
                series.timeouts += 1
                continue
            }
            if i >= warmup {
                series.wire.record(arrived &- sent)
                recorded += 1
            }
        }
        return recorded
    }

    func settle(_ reactor: Reactor, nanoseconds: Int64) { reactor.runFor(nanoseconds: nanoseconds) }

    func quorumBlock(into series: inout TickToTradeSeries) throws {
        if singleThread { return try quorumBlockOneThread(into: &series) }
        let state = _TraderThreadState()
        let capacity = warmup + samplesPerRound
        let thread = try PinnedThread.start(name: "quorum-trader", cpus: CPUSet([traderCore])) { [rule, traderTaskRun, warm] in
            _runReflexTraderThread(state, rule: rule, sampleCapacity: capacity, taskRun: traderTaskRun, warm: warm)
        }
        defer {
            state.stop.store(true, ordering: .releasing)
            thread.join()
        }
        var feedPort = 0
        while feedPort == 0 { feedPort = state.feedPort.load(ordering: .acquiring) }
        guard feedPort > 0 else { throw TickToTradeError.setup("the trader could not start: \(state.failure ?? "?")") }

        let reactor = try Reactor(.init(mode: .busyPoll))
        let venue = try TickToTradeVenue(reactor: reactor, mode: .fixSession, orders: .loopback(),
                                         feedDestination: .loopback(port: UInt16(feedPort)))
        state.venuePort.store(Int(venue.localOrderAddress.port), ordering: .releasing)
        guard reactor.run(timeoutNanoseconds: 5_000_000_000, until: { venue.traderReady }) else {
            throw TickToTradeError.setup("Quorum's trader did not log on within 5 s")
        }
        venue.publishOpeningBook(now: NetClock.now())
        settle(reactor, nanoseconds: 20_000_000)
        let recorded = measure(venue, into: &series)
        state.stop.store(true, ordering: .releasing)
        thread.join()
        if let failure = state.failure { throw TickToTradeError.setup("the trader failed: \(failure)") }
        // The trader's internal stamps, in the same order; drop its warm-up too.
        for latency in state.samples.suffix(recorded) { series.internalLatency.record(latency) }
    }

    func quorumBlockOneThread(into series: inout TickToTradeSeries) throws {
        let trader = try _ReflexTraderEnds(rule: rule, sampleCapacity: warmup + samplesPerRound, taskRun: traderTaskRun)
        defer { trader.feed.close() }
        let reactor = try Reactor(.init(mode: .busyPoll))
        let venue = try TickToTradeVenue(reactor: reactor, mode: .fixSession, orders: .loopback(),
                                         feedDestination: trader.feed.socket.localAddress)
        _ = try trader.reactor.connect(to: venue.localOrderAddress, handler: trader.tcp)
        let end = NetClock.now() &+ 5_000_000_000
        while !(venue.traderReady && trader.session.state == .active) {
            reactor.poll()
            trader.reactor.poll()
            guard NetClock.now() < end else { throw TickToTradeError.setup("Quorum's trader did not log on within 5 s") }
        }
        venue.publishOpeningBook(now: NetClock.now())
        let settled = NetClock.now() &+ 20_000_000
        while NetClock.now() < settled {
            reactor.poll()
            trader.reactor.poll()
        }
        let recorded = measure(venue, alsoPolling: trader.reactor, into: &series)
        for latency in trader.trader.samples.suffix(recorded) { series.internalLatency.record(latency) }
    }

    func reflexBlock(path: String, into series: inout TickToTradeSeries) throws {
        let reactor = try Reactor(.init(mode: .busyPoll))
        // A free UDP port for the reflex: bind one, note it, let it go.
        let probe = try reactor.udpSender(bind: .loopback())
        let feedPort = probe.localAddress.port
        probe.close()
        reactor.poll()
        let venue = try TickToTradeVenue(reactor: reactor, mode: .rawFIX, orders: .loopback(),
                                         feedDestination: .loopback(port: feedPort))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        process.arguments = ["-c", "\(traderCore)", path, "-u", "\(feedPort)", "-c", "127.0.0.1:\(venue.localOrderAddress.port)"]
        do {
            try process.run()
        } catch {
            throw TickToTradeError.setup("cannot start the C reflex \(path) under taskset: \(error)")
        }
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        guard reactor.run(timeoutNanoseconds: 5_000_000_000, until: { venue.traderReady || !process.isRunning }),
              process.isRunning
        else {
            throw TickToTradeError.setup("the C reflex \(path) did not connect within 5 s")
        }
        venue.publishOpeningBook(now: NetClock.now())  // the reflex answers these too; not timed
        settle(reactor, nanoseconds: 20_000_000)
        _ = measure(venue, into: &series)
    }
}
