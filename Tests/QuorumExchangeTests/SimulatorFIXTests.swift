import QuorumBook
import QuorumMarketTools
import QuorumNet
import QuorumWire
import Testing
@testable import QuorumExchange

/// Quorum's FIX initiator trading against the simulator's acceptor over real TCP on loopback,
/// with the simulator's faults on the FIX stream: corrupted bytes, a delay, a cut.
@Suite(.serialized) struct SimulatorFIXTests {
    final class Client: FIXSessionDelegate {
        var reports: [String: [FIXExecutionReport]] = [:]
        var cancelRejects: [String] = []
        var logons = 0
        func fixSessionDidLogOn(_ session: FIXSession) { logons += 1 }
        func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {
            reports["\(report.clOrdID ?? "?")", default: []].append(report)
        }
        func fixSession(_ session: FIXSession, didReceive reject: FIXOrderCancelReject, message: FIXMessageView) {
            cancelRejects.append("\(reject.origClOrdID)")
        }
        func done(_ id: String) -> Bool {
            reports[id]?.contains { [.filled, .canceled, .rejected].contains($0.ordStatus) } ?? false
        }
        func filledQty(_ id: String) -> UInt32 {
            reports[id]?.filter { $0.execType == .trade }.reduce(0) { $0 + ($1.lastQty?.rawValue ?? 0) } ?? 0
        }
    }

    func makeSimulator(_ configure: (inout Simulator.Options) -> Void) throws -> Simulator {
        var options = Simulator.Options()
        options.flow = SyntheticDay.Options(symbols: 2, messages: 4_000, seed: 5, targetLiveOrdersPerSymbol: 200)
        options.messagesPerSecond = 0
        options.feed = .loopback(port: 9)  // nobody listens: this test is about FIX
        options.retransmission = .loopback()
        options.orders = .loopback()
        configure(&options)
        let sim = try Simulator(reactor: try Reactor(), options: options)
        sim.startFlow()
        while !sim.flowFinished { sim.step() }
        return sim
    }

    /// Runs both sides until `done` (the client reconnects whenever it is disconnected).
    func run(_ sim: Simulator, _ reactor: Reactor, _ handler: inout FIXTCPHandler, reconnects: inout Int,
             until done: () -> Bool) -> Bool {
        let session = handler.session
        var wasConnected = handler.connection != nil
        for _ in 0..<3_000_000 {
            if done() { return true }
            sim.step()
            reactor.poll()
            session.tick(now: handler.wallNow())
            if handler.connection != nil { wasConnected = true }
            // Reconnect once the connection this handler made has gone (not while it connects).
            if session.state == .disconnected && handler.connection == nil && wasConnected {
                wasConnected = false
                handler = FIXTCPHandler(session: session)
                _ = try? reactor.connect(to: sim.ordersAddress, handler: handler)
                reconnects += 1
            }
        }
        return done()
    }

    @Test func ordersTradeAgainstTheFlowThroughCorruptionADelayAndACut() throws {
        let sim = try makeSimulator {
            $0.fixCorruption = .everyNth(9)
            $0.fixDelayAfter = 15
            $0.fixDelayNanos = 30_000_000
            $0.fixCutAfter = 45
        }
        let engine = try #require(sim.exchange.engines.first { !$0.bestAsk.isEmpty && !$0.bestBid.isEmpty })
        let symbol = FIXString(String(engine.stock.description.split(separator: " ").first ?? ""))
        let ask = engine.bestAsk
        let bid = engine.bestBid

        let reactor = try Reactor()
        let session = try FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "SIM",
                                                    heartBtInt: 1))
        let client = Client()
        session.delegate = client
        var handler = FIXTCPHandler(session: session)
        _ = try reactor.connect(to: sim.ordersAddress, handler: handler)
        var reconnects = 0
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) { session.state == .active })

        // 20 IOC buys of 10 at the best ask: each fills (the ask has at least this much in
        // total) or is cancelled for its remainder once the level is gone.
        var now = handler.wallNow()
        for i in 1...20 {
            #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: FIXString("I\(i)"), symbol: symbol, side: .buy,
                                                           transactTime: now, orderQty: Qty(10), ordType: .limit,
                                                           price: ask.price, timeInForce: .immediateOrCancel), now: now))
        }
        // A resting buy far below the market, replaced, then cancelled; a cancel of nothing.
        let low = Price(bid.price.rawValue / 2)
        #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: "R1", symbol: symbol, side: .buy, transactTime: now,
                                                       orderQty: Qty(300), ordType: .limit, price: low), now: now))
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) {
            (1...20).allSatisfy { client.done("I\($0)") } && client.reports["R1"]?.first?.execType == .new
        })
        now = handler.wallNow()
        #expect(session.sendReplace(FIXOrderCancelReplaceRequest(origClOrdID: "R1", clOrdID: "R2", symbol: symbol, side: .buy,
                                                                 transactTime: now, orderQty: Qty(200), ordType: .limit,
                                                                 price: Price(low.rawValue - 100)), now: now))
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) { client.reports["R2"]?.first?.execType == .replaced })
        now = handler.wallNow()
        #expect(session.sendCancel(FIXOrderCancelRequest(origClOrdID: "R2", clOrdID: "R3", symbol: symbol, side: .buy,
                                                         transactTime: now), now: now))
        #expect(session.sendCancel(FIXOrderCancelRequest(origClOrdID: "NOPE", clOrdID: "R4", symbol: symbol, side: .buy,
                                                         transactTime: now), now: now))
        // A market sell of 5 against the bids.
        #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: "M1", symbol: symbol, side: .sell, transactTime: now,
                                                       orderQty: Qty(5), ordType: .market, price: nil), now: now))
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) {
            client.reports["R3"]?.contains { $0.execType == .canceled } == true && client.cancelRejects == ["NOPE"]
                && client.done("M1")
        })

        // Every IOC order ended exactly once, with fills adding up to what the venue reports.
        let iocFilled = (1...20).reduce(UInt32(0)) { $0 + client.filledQty("I\($1)") }
        #expect(iocFilled > 0 && iocFilled <= 200)
        for i in 1...20 {
            let finals = client.reports["I\(i)"]!.filter { [.filled, .canceled].contains($0.ordStatus) }
            #expect(finals.count == 1)
            #expect(client.filledQty("I\(i)") + (finals.first?.ordStatus == .canceled ? finals.first!.leavesQty.rawValue : 0) <= 10)
        }
        #expect(client.filledQty("M1") == 5)
        #expect(client.reports["R2"]?.first?.origClOrdID == "R1")

        // The faults happened, and the session rode them out.
        #expect(sim.counters.fixCorrupted > 0)
        #expect(sim.counters.fixCuts == 1)
        #expect(sim.counters.fixDelays == 2)  // once per connection (the fault counts per connection)
        #expect(session.counters.garbled > 0)
        #expect(session.counters.gapsDetected > 0 && session.counters.resendRequestsSent > 0)
        #expect(reconnects >= 1 && client.logons == 2)
        #expect(session.state == .active)
        #expect(sim.counters.clientOrders == 22 && sim.counters.clientCancels == 2 && sim.counters.clientReplaces == 1)
    }
}
