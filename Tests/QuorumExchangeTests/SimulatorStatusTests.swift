import QuorumBook
import QuorumNet
import QuorumWire
import Testing
@testable import QuorumExchange

/// OrderStatusRequest (35=H) against the simulator over loopback: each answer is an
/// ExecutionReport with ExecType I giving the order's state as the venue keeps it.
extension SimulatorFIXTests {
    @Test func statusRequestsAnswerWorkingPartlyFilledFilledCancelledRejectedAndUnknownOrders() throws {
        let sim = try makeSimulator { _ in }
        let engine = try #require(sim.exchange.engines.first { !$0.bestAsk.isEmpty && !$0.bestBid.isEmpty })
        let symbol = FIXString(String(engine.stock.description.split(separator: " ").first ?? ""))
        let ask = engine.bestAsk, bid = engine.bestBid
        let reactor = try Reactor()
        let session = try FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "SIM",
                                                    heartBtInt: 30))
        let client = Client()
        session.delegate = client
        var handler = FIXTCPHandler(session: session)
        _ = try reactor.connect(to: sim.ordersAddress, handler: handler)
        var reconnects = 0
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) { session.state == .active })

        var now = handler.wallNow()
        func send(_ id: FIXString, _ side: FIXSide, _ qty: UInt32, _ type: FIXOrdType, _ price: Price?, symbol s: FIXString? = nil) {
            #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: id, symbol: s ?? symbol, side: side, transactTime: now,
                                                           orderQty: Qty(qty), ordType: type, price: price), now: now))
        }
        let low = Price(bid.price.rawValue / 2)
        send("W", .buy, 300, .limit, low)  // rests
        send("C", .buy, 200, .limit, low)  // rests, then cancelled
        send("F", .sell, 5, .market, nil)  // fills against the bids
        send("Z", .buy, 10, .limit, low, symbol: "ZZZZ")  // rejected: no such symbol
        // P takes the whole best ask and rests the rest: partly filled.
        send("P", .buy, UInt32(ask.qty) + 100, .limit, ask.price)
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) {
            client.reports["W"]?.first?.execType == .new && client.reports["C"]?.first?.execType == .new
                && client.done("F") && client.done("Z") && client.filledQty("P") > 0
        })
        now = handler.wallNow()
        #expect(session.sendCancel(FIXOrderCancelRequest(origClOrdID: "C", clOrdID: "C2", symbol: symbol, side: .buy,
                                                         transactTime: now), now: now))
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) {
            client.reports["C2"]?.contains { $0.execType == .canceled } == true
        })
        now = handler.wallNow()
        for (id, side) in [("W", FIXSide.buy), ("P", .buy), ("F", .sell), ("C", .buy), ("Z", .buy), ("NEVER", .sell)] {
            #expect(session.sendOrderStatusRequest(FIXOrderStatusRequest(clOrdID: FIXString(id), symbol: symbol, side: side),
                                                   now: now))
        }
        func status(_ id: String) -> FIXExecutionReport? { client.reports[id]?.last { $0.execType == .orderStatus } }
        #expect(run(sim, reactor, &handler, reconnects: &reconnects) {
            ["W", "P", "F", "C", "Z", "NEVER"].allSatisfy { status($0) != nil }
        })
        let w = try #require(status("W")), p = try #require(status("P")), f = try #require(status("F"))
        let c = try #require(status("C")), z = try #require(status("Z")), never = try #require(status("NEVER"))
        #expect(w.ordStatus == .new && w.cumQty == .zero && w.leavesQty == Qty(300) && w.orderQty == Qty(300))
        let pFilled = client.filledQty("P")
        #expect(p.ordStatus == .partiallyFilled && p.cumQty == Qty(pFilled))
        #expect(p.leavesQty == Qty(UInt32(ask.qty) + 100 - pFilled) && p.avgPx == ask.price)
        #expect(f.ordStatus == .filled && f.cumQty == Qty(5) && f.leavesQty == .zero && f.side == .sell)
        #expect(c.ordStatus == .canceled && c.cumQty == .zero && c.leavesQty == .zero)
        #expect(z.ordStatus == .rejected && z.ordRejReason == nil)
        #expect(never.ordStatus == .rejected && never.ordRejReason == FIXExecutionReport.unknownOrder)
        #expect(never.side == .sell && never.symbol == symbol)
        #expect(sim.counters.statusRequests == 6 && sim.counters.unknownStatusRequests == 1)
        #expect(session.counters.rejectsReceived == 0 && session.counters.invalid == 0)
    }
}
