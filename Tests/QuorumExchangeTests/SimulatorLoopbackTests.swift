import QuorumBook
import QuorumMarketTools
import QuorumNet
import QuorumRings
import QuorumWire
import Testing
@testable import QuorumExchange

/// The simulator and a feed subscriber over real UDP on loopback, both on this thread with
/// their own reactors.
@Suite(.serialized) struct SimulatorLoopbackTests {
    /// A subscriber: MoldUDP64 client with gap recovery feeding a book manager.
    final class Subscriber {
        let reactor: Reactor
        let sink: BookFeedSink<BookChangeTracker>
        var client: MoldFeedClient!

        init(bookConfig: BookConfig) throws {
            reactor = try Reactor()
            sink = BookFeedSink(books: BookManager(config: bookConfig), events: BookChangeTracker())
        }

        func connect(retransmission: SocketAddress) throws {
            client = try MoldFeedClient(reactor: reactor, bind: .loopback(), retransmission: retransmission, sink: sink,
                                        bufferCount: 512)
        }

        /// Every level of every book, for comparison.
        func snapshot() -> [String: [DepthLevel]] {
            var out: [String: [DepthLevel]] = [:]
            for s in sink.books.symbols {
                _ = sink.books.withBook(s.locate) { book in
                    for side in [Side.buy, .sell] {
                        out["\(s.stock) \(side)"] = (0..<book.levelCount(side)).map { book.level(side, $0)! }
                    }
                }
            }
            return out
        }
    }

    func exchangeSnapshot(_ sim: Simulator) -> [String: [DepthLevel]] {
        var out: [String: [DepthLevel]] = [:]
        for e in sim.exchange.engines {
            for side in [Side.buy, .sell] {
                out["\(e.stock) \(side)"] = (0..<e.levelCount(side)).map { e.level(side, $0)! }
            }
        }
        return out
    }

    /// Runs a whole synthetic session through the simulator to a subscriber; returns both.
    func runSession(faults: PacketFaults.Config, messages: Int = 20_000) throws -> (Simulator, Subscriber) {
        var flow = SyntheticDay.Options(symbols: 4, messages: messages, seed: 11, targetLiveOrdersPerSymbol: 200)
        flow.symbols = 4
        let subscriber = try Subscriber(bookConfig: flow.bookConfig)
        // The subscriber's port must exist before the simulator sends to it: bind it on a
        // placeholder retransmission address first, then point it at the simulator's.
        let simReactor = try Reactor()
        var options = Simulator.Options()
        options.flow = flow
        options.messagesPerSecond = 0
        options.packetFaults = faults
        options.feed = .loopback(port: 0)
        options.retransmission = .loopback()
        options.orders = .loopback()
        let placeholder = try subscriber.reactor.udpReceiver(bind: .loopback(), handler: Ignore())
        options.feed = placeholder.localAddress
        placeholder.close()
        subscriber.reactor.poll()
        let sim = try Simulator(reactor: simReactor, options: options)
        subscriber.client = try MoldFeedClient(reactor: subscriber.reactor, bind: options.feed,
                                               retransmission: sim.retransmissionAddress, sink: subscriber.sink,
                                               bufferCount: 512)
        sim.startFlow()
        var ended = false
        for _ in 0..<5_000_000 {
            sim.step()
            subscriber.reactor.poll()
            subscriber.client.receiver.tick(now: NetClock.now())
            if sim.flowFinished && !ended {
                sim.endSession()
                ended = true
            }
            if ended && subscriber.sink.sessionEnded && subscriber.client.receiver.requestDeadline == nil { break }
        }
        return (sim, subscriber)
    }

    final class Ignore: UDPHandler {
        func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {}
    }

    @Test func droppedAndReorderedPacketsAreRecoveredAndTheBookMatchesAGapFreeRun() throws {
        let (cleanSim, clean) = try runSession(faults: PacketFaults.Config())
        #expect(clean.sink.sessionEnded)
        #expect(clean.client.receiver.counters.gapsDetected == 0)
        #expect(cleanSim.counters.flowMessages == 20_000)
        let published = cleanSim.publisher.counters.messages
        #expect(clean.sink.applied == published)

        let faults = PacketFaults.Config(drop: .everyNth(17), reorder: .probability(0.05), reorderWindow: 4, seed: 3)
        let (sim, faulty) = try runSession(faults: faults)
        #expect(faulty.sink.sessionEnded)
        #expect(sim.counters.packetsDropped > 10 && sim.counters.packetsHeld > 0)
        #expect(sim.counters.feedSendsRefused == 0 && cleanSim.counters.feedSendsRefused == 0)
        let counters = faulty.client.receiver.counters
        #expect(counters.gapsDetected > 0 && counters.requestsSent > 0)
        #expect(counters.messagesLost == 0 && faulty.sink.lostMessages == 0)
        #expect(sim.counters.retransmitRequests > 0 && sim.publisher.counters.retransmittedMessages > 0)
        #expect(faulty.sink.applied == sim.publisher.counters.messages)
        #expect(sim.publisher.counters.messages == published)  // same seed, same flow

        // The books: identical to the gap-free run, and to the simulator's own engines.
        let books = faulty.snapshot()
        #expect(!books.isEmpty && books.values.contains { !$0.isEmpty })
        #expect(books == clean.snapshot())
        #expect(books == exchangeSnapshot(sim))
        #expect(faulty.sink.books.counters.anomalies == 0)
    }

    @Test func garbagePacketsAreCountedAndTheFeedGoesOn() throws {
        let subscriber = try Subscriber(bookConfig: BookConfig(ordersPerSymbol: 1024, levelsPerSide: 256, maxSymbols: 8))
        let retransmit = try subscriber.reactor.udpReceiver(bind: .loopback(), handler: Ignore())
        try subscriber.connect(retransmission: retransmit.localAddress)
        let sender = try subscriber.reactor.udpSender(connect: subscriber.client.socket.localAddress)
        // Good packets of session "QUORUMSIM1", one system event each, at sequences 1 and 2.
        func good(_ sequence: UInt64) throws -> [UInt8] {
            var packet = [UInt8](repeating: 0, count: 64)
            let event = ITCHMessage.systemEvent(ITCH.SystemEvent(
                header: ITCH.Header(stockLocate: StockLocate(0), timestamp: Timestamp(sequence)), eventCode: UInt8(ascii: "O")))
            let n = try packet.withUnsafeMutableBytes { buf throws(WireError) -> Int in
                var w = try MoldUDP64.PacketWriter(buf, session: SessionID("QUORUMSIM1"), sequenceNumber: sequence)
                try w.append(event)
                return w.finish()
            }
            return Array(packet[0..<n])
        }
        // Garbage between them: too short for a header; a message block running past the end
        // of the datagram; random bytes; another session's packet.
        var other = try good(2)
        other[0] = UInt8(ascii: "X")
        let datagrams: [[UInt8]] = [
            try good(1),
            [1, 2, 3],
            Array("QUORUMSIM1".utf8) + [0, 0, 0, 0, 0, 0, 0, 2] + [0, 5] + [0, 40, 0x53],
            (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) },
            other,
            try good(2),
        ]
        for d in datagrams {
            d.withUnsafeBytes { _ = sender.send($0) }
            subscriber.reactor.poll()
        }
        #expect(subscriber.reactor.run(timeoutNanoseconds: 5_000_000_000) { subscriber.sink.applied == 2 })
        let c = subscriber.client.receiver.counters
        #expect(c.malformed == 3)  // the short one, the overrun, the random bytes (their count overruns too)
        #expect(c.shortPackets == 1)
        #expect(c.otherSession == 1)  // "X…"
        #expect(c.messagesDelivered == 2 && c.gapsDetected == 0)
        #expect(subscriber.sink.books.systemEvent == UInt8(ascii: "O"))
    }

    @Test func theFeedHandlerPublishesOneMarketUpdatePerBookChangeIntoARing() throws {
        let flow = SyntheticDay.Options(symbols: 3, messages: 5_000, seed: 9, targetLiveOrdersPerSymbol: 100)
        let reactor = try Reactor()
        let ring = try SPSCRing<MarketUpdate>(capacity: 1 << 14, placement: .heap)
        let small = try SPSCRing<MarketUpdate>(capacity: 4, placement: .heap)
        let feed = MarketUpdateFeed(books: BookManager(config: flow.bookConfig), ring: ring)
        let starved = MarketUpdateFeed(books: BookManager(config: flow.bookConfig), ring: small)
        final class Both: MoldFeedSink {
            let a: MarketUpdateFeed, b: MarketUpdateFeed
            init(_ a: MarketUpdateFeed, _ b: MarketUpdateFeed) { self.a = a; self.b = b }
            func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64) {
                a.message(bytes, sequence: sequence, receiveNanos: receiveNanos)
                b.message(bytes, sequence: sequence, receiveNanos: receiveNanos)
            }
            func endOfSession(nextSequence: UInt64) {
                a.endOfSession(nextSequence: nextSequence)
                b.endOfSession(nextSequence: nextSequence)
            }
        }
        let both = Both(feed, starved)
        let placeholder = try reactor.udpReceiver(bind: .loopback(), handler: Ignore())
        let port = placeholder.localAddress
        placeholder.close()
        reactor.poll()
        var options = Simulator.Options()
        options.flow = flow
        options.messagesPerSecond = 0
        options.feed = port
        options.retransmission = .loopback()
        options.orders = .loopback()
        let sim = try Simulator(reactor: try Reactor(), options: options)
        let client = try MoldFeedClient(reactor: reactor, bind: port, retransmission: sim.retransmissionAddress, sink: both)
        sim.startFlow()
        var updates: [MarketUpdate] = []
        var ended = false
        for _ in 0..<2_000_000 {
            sim.step()
            reactor.poll()
            while let u = ring.pop() { updates.append(u) }
            if sim.flowFinished && !ended {
                sim.endSession()
                ended = true
            }
            if ended && feed.sessionEnded { break }
        }
        #expect(feed.sessionEnded && client.receiver.counters.gapsDetected == 0)
        #expect(feed.applied == sim.publisher.counters.messages && feed.undecodable == 0)
        #expect(feed.updatesDropped == 0 && UInt64(updates.count) == feed.updatesPublished)
        #expect(updates.count > 1_000)
        // In feed order, stamped, and each symbol's last update is its final book.
        #expect(zip(updates, updates.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(updates.allSatisfy { $0.receiveTime > 0 && $0.exchangeTime.rawValue > 0 && !$0.changes.isEmpty })
        for engine in sim.exchange.engines {
            let last = try #require(updates.last { $0.stock == engine.stock })
            #expect(last.bestBid == engine.bestBid && last.bestAsk == engine.bestAsk)
            #expect(Int(last.bidCount) == min(5, engine.levelCount(.buy)) && Int(last.askCount) == min(5, engine.levelCount(.sell)))
            for i in 0..<Int(last.bidCount) { #expect(last.bids[i] == engine.level(.buy, i)!) }
        }
        // A ring nobody drains: four updates fit, every later one is dropped and counted.
        #expect(starved.updatesPublished == 4)
        #expect(starved.updatesDropped == feed.updatesPublished - 4)
    }
}
