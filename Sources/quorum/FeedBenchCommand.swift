import ArgumentParser
import Atomics
import Foundation
import QuorumBook
import QuorumExchange
import QuorumNet
import QuorumRings
import QuorumWire

/// The subscriber's side of `bench feed`, shared with its thread.
final class _FeedSubscriberState: @unchecked Sendable {
    let port = ManagedAtomic<Int>(0)  // 0 not yet, -1 failed
    let retransmitPort = ManagedAtomic<Int>(0)
    let stop = ManagedAtomic<Bool>(false)
    var failure: String?
    var applied: UInt64 = 0
    var counters = MoldFeedCounters()
    var anomalies: UInt64 = 0
    var ended = false
    var firstNanos: UInt64 = 0
    var lastNanos: UInt64 = 0
}

/// The subscriber: MoldUDP64 client with gap recovery feeding the books, busy-polling.
func _runFeedSubscriber(_ state: _FeedSubscriberState, books config: BookConfig) {
    do {
        var options = Reactor.Options(mode: .busyPoll)
        options.maxConnections = 1
        let reactor = try Reactor(options)
        let sink = BookFeedSink(books: BookManager(config: config), events: BookChangeTracker())
        let placeholder = try reactor.udpSender(bind: .loopback())
        let port = placeholder.localAddress.port
        placeholder.close()
        reactor.poll()
        var retransmit = 0
        state.port.store(Int(port), ordering: .releasing)
        while retransmit == 0 && !state.stop.load(ordering: .acquiring) {
            retransmit = state.retransmitPort.load(ordering: .acquiring)
        }
        let client = try MoldFeedClient(reactor: reactor, bind: .loopback(port: port),
                                        retransmission: .loopback(port: UInt16(retransmit)), sink: sink,
                                        bufferCount: 4096, receiveBufferBytes: 16 << 20)
        state.port.store(Int(port) | 1 << 20, ordering: .releasing)  // bound: the simulator may start
        var first: UInt64 = 0
        while !state.stop.load(ordering: .relaxed) {
            reactor.poll()
            if first == 0 && sink.applied > 0 { first = NetClock.now() }
            if sink.sessionEnded && client.receiver.requestDeadline == nil { break }
        }
        state.lastNanos = NetClock.now()
        state.firstNanos = first
        state.applied = sink.applied
        state.counters = client.receiver.counters
        state.anomalies = sink.books.counters.anomalies
        state.ended = sink.sessionEnded
        client.close()
    } catch {
        state.failure = "\(error)"
        state.port.store(-1, ordering: .releasing)
    }
}

extension BenchCommand {
    struct Feed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Simulator → subscriber market-data throughput over UDP loopback.",
            discussion: """
                The simulator on --venue-core runs the synthetic flow at full speed through its \
                matching engines and publishes ITCH 5.0 in MoldUDP64 packets; a subscriber on \
                --subscriber-core receives them through io_uring (multishot recv, provided \
                buffers), recovers gaps by re-request, and maintains every book. Reports \
                published and applied ITCH messages per second.
                """
        )

        @OptionGroup var flow: SimulatorFlowOptions

        @Option(help: "The simulator's core.")
        var venueCore: Int = 0

        @Option(help: "The subscriber's core.")
        var subscriberCore: Int = 1

        @Flag(help: "Print one JSON object instead of the table.")
        var json = false

        func run() throws {
            let state = _FeedSubscriberState()
            let config = flow.day.bookConfig
            let thread = try PinnedThread.start(name: "feed-subscriber", cpus: CPUSet([subscriberCore])) {
                _runFeedSubscriber(state, books: config)
            }
            defer {
                state.stop.store(true, ordering: .releasing)
                thread.join()
            }
            _ = try Affinity.pinCurrentThread(to: CPUSet([venueCore]))
            var port = 0
            while port == 0 { port = state.port.load(ordering: .acquiring) }
            guard port > 0 else { throw ValidationError("the subscriber could not start: \(state.failure ?? "?")") }

            var reactorOptions = Reactor.Options(mode: .busyPoll)
            reactorOptions.udpSendSlots = 1024
            var options = Simulator.Options()
            options.feed = .loopback(port: UInt16(port & 0xFFFF))
            options.retransmission = .loopback()
            options.orders = .loopback()
            options.flow = flow.day
            options.messagesPerSecond = 0
            let simulator = try Simulator(reactor: try Reactor(reactorOptions), options: options)
            state.retransmitPort.store(Int(simulator.retransmissionAddress.port), ordering: .releasing)
            while state.port.load(ordering: .acquiring) < 1 << 20 {
                if state.port.load(ordering: .acquiring) < 0 {
                    throw ValidationError("the subscriber could not start: \(state.failure ?? "?")")
                }
            }
            let progress = Progress(enabled: !json && isTerminal(2))
            progress.show("bench feed: \(flow.messages) flow messages over \(flow.symbols) symbols")
            let start = NetClock.now()
            simulator.startFlow(now: start)
            while !simulator.flowFinished { simulator.step() }
            let published = NetClock.now()
            simulator.endSession()
            // Serve re-requests until the subscriber has everything (or 10 s).
            let deadline = NetClock.now() &+ 10_000_000_000
            while !state.stop.load(ordering: .relaxed) && NetClock.now() < deadline {
                simulator.step()
                if state.port.load(ordering: .relaxed) == 0 { break }
                if simulator.counters.retransmitRequests == 0 && NetClock.now() &- published > 200_000_000 { break }
                if NetClock.now() &- published > 2_000_000_000 { break }
            }
            state.stop.store(true, ordering: .releasing)
            thread.join()
            progress.clear()
            if let failure = state.failure { throw ValidationError("the subscriber failed: \(failure)") }

            let p = simulator.publisher.counters
            let publishSeconds = Double(published &- start) / 1e9
            let receiveSeconds = Double(state.lastNanos &- state.firstNanos) / 1e9
            let publishRate = Double(p.messages) / publishSeconds
            let applyRate = Double(state.applied) / max(receiveSeconds, 1e-9)
            let c = state.counters
            if json {
                print("""
                    {"benchmark": "feed", "flow_messages": \(simulator.counters.flowMessages), \
                    "itch_messages": \(p.messages), "packets": \(p.packets), "published_per_s": \(Int(publishRate)), \
                    "applied": \(state.applied), "applied_per_s": \(Int(applyRate)), "gaps": \(c.gapsDetected), \
                    "rerequests": \(c.requestsSent), "lost": \(c.messagesLost), "book_anomalies": \(state.anomalies), \
                    "end_of_session_seen": \(state.ended)}
                    """)
                return
            }
            print("simulator → subscriber over UDP loopback (simulator CPU \(venueCore), subscriber CPU \(subscriberCore))")
            print("flow messages \(simulator.counters.flowMessages) → ITCH messages \(p.messages) in \(p.packets) packets")
            print("published  \(String(format: "%.2f", publishRate / 1e6)) M msgs/s (\(String(format: "%.3f", publishSeconds)) s)")
            print("applied    \(String(format: "%.2f", applyRate / 1e6)) M msgs/s at the subscriber: \(state.applied) of \(p.messages)"
                + ", gaps \(c.gapsDetected), re-requests \(c.requestsSent), lost \(c.messagesLost)"
                + ", book anomalies \(state.anomalies), end of session \(state.ended ? "seen" : "NOT seen")")
            print("target: ≥ 1 M market-data messages/s to one subscriber")
        }
    }
}
