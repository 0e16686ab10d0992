import Foundation
import QuorumAgents
import QuorumBook
import QuorumNet
import QuorumWire
import Testing

@testable import QuorumEngine
@testable import QuorumExchange

/// Recovery's reconciliation against the real simulator over loopback TCP: the engine's
/// orders rest at the venue, the engine dies, the venue trades and cancels them while it is
/// gone, and the restarted engine — coordinator recovered from its journal, FIX session
/// resumed from its sequence file — asks about each order and applies what it missed once.
@Suite(.serialized) struct ReconcileLoopbackTests {
    /// The engine's FIX side: collects execution reports with their PossDupFlag.
    final class Inbox: FIXSessionDelegate {
        var reports: [(report: FIXExecutionReport, possDup: Bool)] = []
        func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {
            reports.append((report, message.possDupFlag))
        }
    }

    /// A TCP binding for a session that can die like a killed process: once `dead`, bytes
    /// that arrive are never read and nothing reaches the session any more.
    final class MortalHandler: TCPHandler, FIXSessionTransport {
        let session: FIXSession
        var connection: TCPConnection?
        var dead = false
        let offset = NetClock.realTimeOffset()
        init(session: FIXSession) {
            self.session = session
            session.transport = self
        }
        func wallNow() -> UInt64 { NetClock.now() &+ offset }
        func connected(_ connection: TCPConnection) {
            self.connection = connection
            session.connected(now: wallNow())
        }
        func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
            dead ? bytes.count : session.received(bytes, now: receiveNanos &+ offset)
        }
        func closed(_ connection: TCPConnection, error: NetError?) {
            if self.connection === connection { self.connection = nil }
        }
        func send(_ bytes: UnsafeRawBufferPointer) -> Bool { dead ? false : connection?.send(bytes) ?? false }
        func disconnect() { connection?.close() }
    }

    func pump(_ sim: Simulator, _ reactor: Reactor, _ session: FIXSession, _ now: () -> UInt64,
              until done: () -> Bool) -> Bool {
        for _ in 0..<2_000_000 {
            if done() { return true }
            sim.step()
            reactor.poll()
            session.tick(now: now())
        }
        return done()
    }

    @Test func ordersFilledWhileTheEngineWasDownAreAppliedOnceAndResentReportsDoNotDoubleCount() throws {
        let work = tempDirectory("reconcile-loopback")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let journal = work + "/journal", sequenceFile = work + "/fix.seq"

        // The engine before the crash: a coordinator holding open orders, all journaled.
        let feed = TestDay.bytes(symbols: 6, messages: 30_000, seed: 0xD0E)
        let (j, _, _) = try coordinatorWithOpenOrders(journal, feed: feed, minimum: 5, symbols: 6)
        let c = j.coordinator
        try #require(c.openOrderCount >= 5)
        let open = (0..<c.openOrderCount).map(c.openOrder)
        // Roles: A fills while the engine is down, B half fills, C is cancelled, D never
        // reached the venue (nor did any later ones), E fills just before the crash and its
        // report is sent but never read.
        let (a, b, cx, d, e) = (open[0], open[1], open[2], open[3], open[4])
        let positions0 = c.symbols.map(\.position)
        try finish(j)

        var options = Simulator.Options()
        options.flow.symbols = 2
        options.flow.messages = 4_000
        options.flow.seed = 5
        options.flow.targetLiveOrdersPerSymbol = 200
        options.messagesPerSecond = 0
        options.feed = .loopback(port: 9)  // nobody listens: this test is about FIX
        options.retransmission = .loopback()
        options.orders = .loopback()
        let sim = try Simulator(reactor: try Reactor(), options: options)
        sim.startFlow()
        while !sim.flowFinished { sim.step() }
        let engine = try #require(sim.exchange.engines.filter { !$0.bestAsk.isEmpty && !$0.bestBid.isEmpty }
            .max { $0.bestAsk.price.rawValue - $0.bestBid.price.rawValue < $1.bestAsk.price.rawValue - $1.bestBid.price.rawValue })
        let bid = engine.bestBid.price.rawValue, ask = engine.bestAsk.price.rawValue
        try #require(ask - bid >= 20, "a spread to rest inside")
        let step = (ask - bid) / 10
        let symbol = FIXString(String(engine.stock.description.split(separator: " ").first ?? ""))
        // Inside the spread, E nearest the other side, then A, B, C: a counter order at one's
        // price meets only it once those nearer are gone.
        func price(_ o: OpenOrder, _ k: UInt32) -> Price {
            o.order.direction == .short ? Price(ask - k * step) : Price(bid + k * step)
        }
        let prices = [a.order.id: price(a, 3), b.order.id: price(b, 2), cx.order.id: price(cx, 1), e.order.id: price(e, 4)]
        func side(_ o: OpenOrder) -> FIXSide { o.order.direction == .short ? .sell : .buy }
        var counterToken: UInt64 = 1
        func cross(_ o: OpenOrder, _ qty: Int64) {
            var sink = sim._sink(now: NetClock.now())
            sim.exchange.submit(NewOrder(side: o.order.direction == .short ? .buy : .sell, type: .immediateOrCancel,
                                         price: prices[o.order.id]!, qty: Qty(UInt32(qty)), owner: Owner(7),
                                         token: ClientToken(counterToken)),
                                locate: engine.locate, timestamp: Timestamp(1), &sink)
            sink.flush()
            counterToken += 1
        }

        // Session A: log on, send A, B, C, E; each is acknowledged.
        let sessionOptions = FIXSession.Options(role: .initiator, senderCompID: "QUORUM", targetCompID: "SIM",
                                                heartBtInt: 30, sequenceFilePath: sequenceFile)
        let reactorA = try Reactor()
        let sessionA = try FIXSession(options: sessionOptions)
        let inboxA = Inbox()
        sessionA.delegate = inboxA
        let handlerA = MortalHandler(session: sessionA)
        _ = try reactorA.connect(to: sim.ordersAddress, handler: handlerA)
        #expect(pump(sim, reactorA, sessionA, handlerA.wallNow) { sessionA.state == .active })
        for o in [a, b, cx, e] {
            let now = handlerA.wallNow()
            #expect(sessionA.sendNewOrder(FIXNewOrderSingle(clOrdID: FIXString(decimal: o.order.id), symbol: symbol,
                                                            side: side(o), transactTime: now,
                                                            orderQty: Qty(UInt32(o.order.quantity)), ordType: .limit,
                                                            price: prices[o.order.id]!), now: now))
        }
        #expect(pump(sim, reactorA, sessionA, handlerA.wallNow) { inboxA.reports.filter { $0.report.execType == .new }.count == 4 })

        // The engine dies. E trades first: the simulator sends the report, nobody reads it.
        handlerA.dead = true
        cross(e, e.order.quantity)
        for _ in 0..<1_000 { sim.step() }
        handlerA.connection?.close()
        for _ in 0..<100 { reactorA.poll() }
        #expect(pump(sim, reactorA, sessionA, handlerA.wallNow) { sim.session.state == .disconnected })
        // While it is down: A fills, B half fills, C is cancelled; their reports wait in the
        // venue's store (numbered, not sent) for the ResendRequest after the next logon.
        let refusedBefore = sim.session.counters.sendsRefusedNotActive
        let storedBefore = sim.session.counters.storedWhileDisconnected
        cross(a, a.order.quantity)
        cross(b, b.order.quantity / 2)
        sim._clientCancel(FIXOrderCancelRequest(origClOrdID: FIXString(decimal: cx.order.id), clOrdID: "CXL",
                                                symbol: symbol, side: side(cx), transactTime: handlerA.wallNow()))
        #expect(sim.session.counters.storedWhileDisconnected - storedBefore == 3)
        #expect(sim.session.counters.sendsRefusedNotActive == refusedBefore)
        #expect(sim.counters.clientFills == 3)

        // The restart: the coordinator from its journal, the session from its sequence file.
        let r = try CoordinatorRecovery.recover(directory: journal)
        let rc = r.coordinator
        #expect(r.summary?.openOrders == open)
        let reconciler = OrderReconciler(coordinator: rc, symbolNames: Array(repeating: symbol, count: rc.symbols.count))
        let reactorB = try Reactor()
        let sessionB = try FIXSession(options: sessionOptions)
        // Resumed: past the logon and the four orders (not back at 1).
        #expect(sessionB.nextOutgoingSeqNum >= 6 && sessionB.nextExpectedSeqNum >= 6)
        let inboxB = Inbox()
        sessionB.delegate = inboxB
        let handlerB = FIXTCPHandler(session: sessionB)
        _ = try reactorB.connect(to: sim.ordersAddress, handler: handlerB)
        #expect(pump(sim, reactorB, sessionB, handlerB.wallNow) { sessionB.state == .active })
        #expect(reconciler.requestStatus(over: sessionB, now: handlerB.wallNow()) == open.count)
        var applied = 0
        func applyArrived() {
            while applied < inboxB.reports.count {
                let (report, dup) = inboxB.reports[applied]
                reconciler.apply(report, possDup: dup, time: rc.lastTime)
                applied += 1
            }
        }
        let resentE = {
            inboxB.reports.contains { $0.possDup && $0.report.execType == .trade && $0.report.clOrdID == FIXString(decimal: e.order.id) }
        }
        #expect(pump(sim, reactorB, sessionB, handlerB.wallNow) {
            applyArrived()
            return reconciler.isComplete && resentE()
        })

        // The session resent E's trade and the three reports made while it was down (PossDup),
        // and the status answers covered them again: each counted once (below).
        let resentWhileDown = Set([a, b, cx].map { FIXString(decimal: $0.order.id) })
        #expect(pump(sim, reactorB, sessionB, handlerB.wallNow) {
            applyArrived()
            return Set(inboxB.reports.filter { $0.possDup }.compactMap { $0.report.origClOrdID ?? $0.report.clOrdID })
                .isSuperset(of: resentWhileDown)
        })
        #expect(sessionB.counters.resendRequestsSent >= 1)
        #expect(resentE())
        #expect(sim.counters.statusRequests == UInt64(open.count))
        #expect(sim.counters.unknownStatusRequests == UInt64(open.count - 4))
        // Each order now agrees with the venue: A and E filled (gone), B half filled and still
        // working, C and every order the venue never saw closed.
        #expect(rc.openOrder(id: a.order.id) == nil && rc.openOrder(id: e.order.id) == nil)
        #expect(rc.openOrder(id: b.order.id)?.filled == b.order.quantity / 2)
        #expect(rc.openOrder(id: cx.order.id) == nil && rc.openOrder(id: d.order.id) == nil)
        // Of the orders recovery found, only B is still open (the fills may have made the desk
        // send new ones: those come out of `nextOutgoing()` for the engine to send).
        let known = Set(open.map(\.order.id))
        let stillOpen = { (c: Coordinator) in (0..<c.openOrderCount).map { c.openOrder($0).order.id }.filter(known.contains) }
        #expect(stillOpen(rc) == [b.order.id])
        var sentSince = 0
        while let o = rc.nextOutgoing() {
            #expect(!known.contains(o.id))
            sentSince += 1
        }
        #expect(rc.openOrderCount == 1 + sentSince)
        let filled = a.order.quantity + b.order.quantity / 2 + e.order.quantity
        #expect(reconciler.counters.missedFills == 3 && reconciler.counters.missedQuantity == filled)
        #expect(reconciler.counters.unknownAtVenue == open.count - 4)
        #expect(reconciler.counters.ordersClosed == open.count - 4 + 1)
        #expect(reconciler.counters.description.hasPrefix("orders reconciled: \(open.count) of \(open.count) answered, 3 missed fills"))
        // Positions moved by exactly the venue's fills: E's once, though reported twice.
        var expected = positions0
        for (o, q) in [(a, a.order.quantity), (b, b.order.quantity / 2), (e, e.order.quantity)] {
            expected[o.order.symbol.index] += o.order.direction.sign * q
        }
        #expect(rc.symbols.map(\.position) == expected)
        // E's fill came at its price, from the resent trade report.
        let eFill = try #require(inboxB.reports.first { $0.possDup && $0.report.clOrdID == FIXString(decimal: e.order.id) })
        #expect(eFill.report.lastPx == prices[e.order.id] && eFill.report.lastQty == Qty(UInt32(e.order.quantity)))

        // Every report once more changes nothing.
        let hash = rc.stateHash()
        for (report, dup) in inboxB.reports { reconciler.apply(report, possDup: dup, time: rc.lastTime) }
        #expect(rc.stateHash() == hash)

        // The reconciliation is journaled like every input: recovery again reaches this state.
        try finish(r)
        let replay = try CoordinatorReplay.run(directory: journal)
        #expect(replay.mismatches == 0)
        let again = try CoordinatorRecovery.recover(directory: journal)
        #expect(again.summary?.stateHash == hash)
        #expect(stillOpen(again.coordinator) == [b.order.id])
        #expect(again.summary?.openOrders.count == rc.openOrderCount)
    }
}
