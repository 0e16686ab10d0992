import ArgumentParser
import Atomics
import Foundation
import QuorumExchange
import QuorumMarketTools
import QuorumNet
import QuorumWire

/// Set by SIGINT/SIGTERM; the simulator's loop polls it.
let _stopRequested = ManagedAtomic<Bool>(false)

func installStopSignals() {
    signal(SIGINT) { _ in _stopRequested.store(true, ordering: .relaxed) }
    signal(SIGTERM) { _ in _stopRequested.store(true, ordering: .relaxed) }
}

/// The simulator's options as command-line flags (shared by `sim` and `bench feed`).
struct SimulatorFlowOptions: ParsableArguments {
    @Option(help: "Symbols in the synthetic flow.")
    var symbols: Int = 8

    @Option(help: "Flow messages (synthetic ITCH generator input) before the session ends.")
    var messages: Int = 1_000_000

    @Option(help: "Generator seed: the same seed gives the same day.")
    var seed: UInt64 = 7

    @Option(help: "Live orders per symbol the generator aims for.")
    var liveOrders: Int = 500

    func validate() throws {
        if !(1...5_000).contains(symbols) { throw ValidationError("--symbols must be in 1...5000, found \(symbols)") }
        if messages < 1 { throw ValidationError("--messages must be at least 1, found \(messages)") }
        if liveOrders < 1 { throw ValidationError("--live-orders must be at least 1, found \(liveOrders)") }
    }

    var day: SyntheticDay.Options {
        SyntheticDay.Options(symbols: symbols, messages: messages, seed: seed, targetLiveOrdersPerSymbol: liveOrders)
    }
}

func parseAddress(_ text: String, _ flag: String) throws -> SocketAddress {
    do {
        return try SocketAddress(parsing: text)
    } catch {
        throw ValidationError("\(flag): \(error)")
    }
}

struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the exchange simulator: ITCH 5.0 over MoldUDP64 out, FIX 4.4 orders in.",
        discussion: """
            Background flow from the synthetic day generator (quorum itch generate's model, by \
            --seed), or a recorded ITCH day file (--itch) or LOBSTER sample (--lobster), \
            drives a price-time matching engine per symbol; every book change is \
            published as ITCH 5.0 in MoldUDP64 packets to --feed, re-requests sent to \
            --retransmit are answered from the last million messages, and one FIX 4.4 client \
            may log on at --fix (SenderCompID/TargetCompID from --sender/--target) to trade \
            against the flow: limit, market, IOC (TimeInForce 3) and FOK (4) orders, cancels and \
            replaces, with execution reports. Faults for testing a feed handler or a FIX \
            client: dropped or reordered packets, a delayed or cut FIX connection, corrupted \
            FIX bytes. \
            Runs until the flow ends (then sends end-of-session) or SIGINT.
            """
    )

    @OptionGroup var flow: SimulatorFlowOptions

    @Option(help: "Where market data goes (one subscriber).")
    var feed: String = "127.0.0.1:31001"

    @Option(help: "Where re-request packets are answered.")
    var retransmit: String = "127.0.0.1:31002"

    @Option(help: "The FIX acceptor's address.")
    var fix: String = "127.0.0.1:31003"

    @Option(help: "Our SenderCompID.")
    var sender: String = "SIM"

    @Option(help: "The client's SenderCompID (our TargetCompID).")
    var target: String = "QUORUM"

    @Option(help: ArgumentHelp("Replay this ITCH 5.0 day file as the flow instead of the synthetic day.", valueName: "FILE"))
    var itch: String?

    @Option(help: ArgumentHelp("Replay these LOBSTER messages (converted to ITCH) as the flow.", valueName: "MESSAGES.csv"))
    var lobster: String?

    @Option(help: ArgumentHelp("With --lobster: the orderbook file whose first row seeds orders resting before the window.", valueName: "ORDERBOOK.csv"))
    var lobsterOrderbook: String?

    @Option(help: "With --lobster: the ticker to publish it under.")
    var lobsterSymbol: String = "AAPL"

    @Option(help: "With --lobster-orderbook: its number of levels.")
    var lobsterLevels: Int = 10

    @Option(help: "Flow messages per second; 0 for as fast as possible.")
    var rate: UInt64 = 100_000

    @Option(help: "Seconds to wait for a FIX client to log on before the flow starts (0: start at once).")
    var waitForClient: Double = 0

    @Option(help: "Drop every Nth market-data packet.")
    var dropEvery: Int?

    @Option(help: "Drop each market-data packet with this probability.")
    var dropProbability: Double?

    @Option(help: "Hold back packets with this probability and send them up to --reorder-window − 1 places late.")
    var reorderProbability: Double?

    @Option(help: "How far a held packet may move.")
    var reorderWindow: Int = 4

    @Option(help: "Cut the FIX connection once, after this many messages to the client.")
    var fixCutAfter: Int?

    @Option(help: "Hold the FIX stream for --fix-delay-ms after this many messages to the client (per connection).")
    var fixDelayAfter: Int?

    @Option(help: "How long --fix-delay-after holds the stream, in milliseconds.")
    var fixDelayMs: Int = 100

    @Option(help: "Corrupt one byte of every Nth FIX message to the client.")
    var fixCorruptEvery: Int?

    @Option(help: "Seed for the fault decisions.")
    var faultSeed: UInt64 = 1

    func validate() throws {
        for (name, p) in [("--drop-probability", dropProbability), ("--reorder-probability", reorderProbability)] {
            if let p, !(0...1).contains(p) { throw ValidationError("\(name) must be in 0...1, found \(p)") }
        }
        if let n = dropEvery, n < 1 { throw ValidationError("--drop-every must be at least 1, found \(n)") }
        if fixDelayMs < 0 { throw ValidationError("--fix-delay-ms must be 0 or more, found \(fixDelayMs)") }
        if let n = fixCorruptEvery, n < 1 { throw ValidationError("--fix-corrupt-every must be at least 1, found \(n)") }
        if itch != nil && lobster != nil { throw ValidationError("--itch and --lobster: give one flow, not both") }
        if !(1...64).contains(reorderWindow) { throw ValidationError("--reorder-window must be in 1...64, found \(reorderWindow)") }
        _ = try options()
    }

    func options() throws -> Simulator.Options {
        var o = Simulator.Options()
        o.feed = try parseAddress(feed, "--feed")
        o.retransmission = try parseAddress(retransmit, "--retransmit")
        o.orders = try parseAddress(fix, "--fix")
        o.senderCompID = FIXString(sender)
        o.targetCompID = FIXString(target)
        o.flow = flow.day
        o.messagesPerSecond = rate
        let drop: FaultRate = dropEvery.map { .everyNth($0) } ?? dropProbability.map { .probability($0) } ?? .never
        o.packetFaults = PacketFaults.Config(drop: drop, reorder: reorderProbability.map { .probability($0) } ?? .never,
                                             reorderWindow: reorderWindow, seed: faultSeed)
        o.fixCutAfter = fixCutAfter
        o.fixDelayAfter = fixDelayAfter
        o.fixDelayNanos = UInt64(max(0, fixDelayMs)) * 1_000_000
        o.fixCorruption = fixCorruptEvery.map { .everyNth($0) } ?? .never
        return o
    }

    func run() throws {
        var options = try options()
        do {
            if let itch {
                options.recordedFlow = try Simulator.recordedFlow(itchFile: itch)
            } else if let lobster {
                options.recordedFlow = try Simulator.recordedFlow(lobsterMessages: lobster, orderbook: lobsterOrderbook,
                                                                  levels: lobsterLevels, symbol: lobsterSymbol)
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        var reactorOptions = Reactor.Options(mode: .busyPoll)
        reactorOptions.udpSendSlots = 1024
        let simulator: Simulator
        do {
            simulator = try Simulator(reactor: try Reactor(reactorOptions), options: options)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        installStopSignals()
        let terminal = isTerminal(2)
        print("quorum sim: ITCH/MoldUDP64 to \(options.feed), re-requests at \(simulator.retransmissionAddress), "
            + "FIX 4.4 at \(simulator.ordersAddress) (\(sender) ↔ \(target)); "
            + (options.recordedFlow.map { "a recorded flow of \($0.count) bytes at " }
                ?? "\(flow.messages) flow messages over \(flow.symbols) symbols at ")
            + (rate == 0 ? "full speed" : "\(rate)/s"))
        if waitForClient > 0 {
            let deadline = NetClock.now() &+ UInt64(waitForClient * 1e9)
            while simulator.session.state != .active && NetClock.now() < deadline
                && !_stopRequested.load(ordering: .relaxed)
            {
                simulator.step()
            }
        }
        let start = NetClock.now()
        simulator.startFlow(now: start)
        var lastStatus = start
        var lastMessages: UInt64 = 0
        while !simulator.flowFinished && !_stopRequested.load(ordering: .relaxed) {
            let now = NetClock.now()
            simulator.step(now: now)
            if now &- lastStatus >= 1_000_000_000 {
                let c = simulator.counters
                let rateNow = Double(c.flowMessages - lastMessages) / (Double(now - lastStatus) / 1e9)
                let line = "flow \(c.flowMessages) (\(Int(rateNow))/s), published \(simulator.publisher.counters.messages), "
                    + "packets \(simulator.publisher.counters.packets), FIX \(simulator.session.state), "
                    + "orders \(c.clientOrders), fills \(c.clientFills), re-requests \(c.retransmitRequests), "
                    + "dropped \(c.packetsDropped)"
                if terminal { FileHandleWriter.write("\r\u{1B}[K" + line, fd: 2) }
                lastStatus = now
                lastMessages = c.flowMessages
            }
        }
        let flowEnd = NetClock.now()
        simulator.endSession()
        // Keep answering re-requests and FIX for a moment after the end of the session.
        let linger = NetClock.now() &+ 500_000_000
        while NetClock.now() < linger { simulator.step() }
        if terminal { FileHandleWriter.write("\r\u{1B}[K", fd: 2) }
        let c = simulator.counters
        let p = simulator.publisher.counters
        let seconds = Double(flowEnd &- start) / 1e9
        print("""
            flow messages \(c.flowMessages) in \(String(format: "%.2f", seconds)) s; published \(p.messages) ITCH messages \
            in \(p.packets) packets (\(p.heartbeats) heartbeats); re-requests \(c.retransmitRequests) \
            (\(p.retransmittedMessages) messages resent); dropped \(c.packetsDropped), held \(c.packetsHeld), \
            send slots exhausted \(c.feedSendsRefused)
            FIX: orders \(c.clientOrders), cancels \(c.clientCancels), replaces \(c.clientReplaces), \
            rejects \(c.clientRejects), fills \(c.clientFills), execution reports \(c.executionReports), \
            cuts \(c.fixCuts), delays \(c.fixDelays), corrupted \(c.fixCorrupted)
            """)
    }
}
