import Glibc
import QuorumWire
import Testing
@testable import QuorumNet

/// The exchange side over TCP: one acceptor session that outlives its connections; a new
/// handler per accepted connection. It can cut the connection when it receives a given order,
/// before filling it, so the fill is stored but never sent (a deterministic gap).
final class LoopbackExchange: TCPListenerHandler, FIXSessionDelegate {
    let session: FIXSession
    var handlers: [FIXTCPHandler] = []
    var orders: [FIXString] = []
    var cutAtOrder: FIXString? = nil
    var cuts = 0
    var disconnects: [FIXSession.DisconnectReason] = []
    var execCounter: UInt64 = 0

    init(session: FIXSession) {
        self.session = session
        session.delegate = self
    }

    func accepted(_ connection: TCPConnection) -> (any TCPHandler)? {
        let h = FIXTCPHandler(session: session)
        handlers.append(h)
        return h
    }

    func fixSession(_ session: FIXSession, didReceive order: FIXNewOrderSingle, message: FIXMessageView) {
        orders.append(order.clOrdID)
        if order.clOrdID == cutAtOrder, let h = handlers.last {
            cuts += 1
            h.connection?.close()  // flushes earlier fills, then shuts down; this fill cannot go
        }
        execCounter += 1
        session.sendExecutionReport(
            FIXExecutionReport(orderID: FIXString(decimal: execCounter), clOrdID: order.clOrdID,
                               execID: FIXString(decimal: execCounter), execType: .trade, ordStatus: .filled,
                               symbol: order.symbol, side: order.side, orderQty: order.orderQty,
                               lastQty: order.orderQty, lastPx: order.price, leavesQty: .zero,
                               cumQty: order.orderQty, avgPx: order.price ?? .zero),
            now: handlers.last?.wallNow() ?? 0)
    }

    func fixSessionDidDisconnect(_ session: FIXSession, reason: FIXSession.DisconnectReason) { disconnects.append(reason) }
}

final class LoopbackClient: FIXSessionDelegate {
    var filled: [FIXString: Int] = [:]
    var possDupReports = 0
    var logons = 0
    var disconnects: [FIXSession.DisconnectReason] = []

    func fixSessionDidLogOn(_ session: FIXSession) { logons += 1 }
    func fixSessionDidDisconnect(_ session: FIXSession, reason: FIXSession.DisconnectReason) { disconnects.append(reason) }
    func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {
        filled[report.clOrdID ?? FIXString(), default: 0] += 1
        if message.possDupFlag { possDupReports += 1 }
    }
}

@Suite struct FIXLoopbackTests {
    /// Sends orders `range` through `handler`'s session, at most `window` unfilled at a time.
    func sendOrders(_ range: ClosedRange<Int>, reactor: Reactor, handler: FIXTCPHandler, client: LoopbackClient,
                    stopWhen: () -> Bool = { false }) -> Bool {
        var next = range.lowerBound
        return reactor.run(timeoutNanoseconds: 60_000_000_000) {
            let now = handler.wallNow()
            handler.session.tick(now: now)
            while next <= range.upperBound && next - range.lowerBound - (client.filled.count - (range.lowerBound - 1)) < 100 {
                let order = FIXNewOrderSingle(clOrdID: FIXString(decimal: UInt64(next)), symbol: "AAPL",
                                              side: next % 2 == 0 ? .buy : .sell, transactTime: now,
                                              orderQty: Qty(UInt32(next)), ordType: .limit,
                                              price: Price(1_000_000 + UInt32(next)))
                guard handler.session.sendNewOrder(order, now: now) else { break }
                next += 1
            }
            return stopWhen() || client.filled.count >= range.upperBound
        }
    }

    @Test func thousandOrdersFilledOverTCPAcrossADisconnectAndAnInitiatorRestart() throws {
        let dir = "/tmp/quorum-fix-loopback-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        mkdir(dir, 0o755)
        defer {
            unlink(dir + "/initiator.seq")
            unlink(dir + "/acceptor.seq")
            rmdir(dir)
        }
        let reactor = try Reactor()
        let acceptor = try FIXSession(options: .init(role: .acceptor, senderCompID: "EXCH", targetCompID: "QUORUM",
                                                     heartBtInt: 0, sequenceFilePath: dir + "/acceptor.seq"))
        let exchange = LoopbackExchange(session: acceptor)
        let listener = try reactor.listen(on: .loopback(), handler: exchange)
        let initiatorOptions = FIXSession.Options(role: .initiator, senderCompID: "QUORUM", targetCompID: "EXCH",
                                                  heartBtInt: 30, sequenceFilePath: dir + "/initiator.seq")
        let client = LoopbackClient()

        // First process: log on, 500 orders; the exchange cuts the TCP session when order 500
        // arrives, so its fill is stored on the exchange side but never sent.
        var initiator = try FIXSession(options: initiatorOptions)
        initiator.delegate = client
        var handler = FIXTCPHandler(session: initiator)
        _ = try reactor.connect(to: listener.localAddress, handler: handler)
        #expect(reactor.run { initiator.state == .active && acceptor.state == .active })
        exchange.cutAtOrder = FIXString(decimal: 500)
        #expect(sendOrders(1...500, reactor: reactor, handler: handler, client: client) {
            initiator.state == .disconnected && acceptor.state == .disconnected
        })
        #expect(exchange.cuts == 1 && exchange.orders.count == 500)
        #expect(client.disconnects == [.transportClosed] && exchange.disconnects == [.transportClosed])
        #expect(client.filled.count == 499 && client.filled[FIXString(decimal: 500)] == nil)
        let seqsBefore = (initiator.nextOutgoingSeqNum, initiator.nextExpectedSeqNum)
        #expect(seqsBefore == (502, 501))  // Logon + 500 orders out; Logon + 499 fills in
        #expect(acceptor.nextOutgoingSeqNum == 502)  // the 500th fill used seq 501

        // Second process: a new session over the same sequence file resumes at 502/501 and
        // gets the missing fill back as a PossDup resend.
        initiator = try FIXSession(options: initiatorOptions)
        #expect((initiator.nextOutgoingSeqNum, initiator.nextExpectedSeqNum) == seqsBefore)
        initiator.delegate = client
        handler = FIXTCPHandler(session: initiator)
        _ = try reactor.connect(to: listener.localAddress, handler: handler)
        #expect(reactor.run { initiator.state == .active && client.filled.count == 500 })
        #expect(client.logons == 2 && client.possDupReports == 1)
        #expect(initiator.counters.gapsDetected == 1 && acceptor.counters.messagesResent == 1)

        // Then the rest, and a clean logout.
        #expect(sendOrders(501...1000, reactor: reactor, handler: handler, client: client))
        #expect(client.filled.count == 1000 && client.filled.values.allSatisfy { $0 == 1 })
        #expect(exchange.orders == (1...1000).map { FIXString(decimal: UInt64($0)) })
        #expect(initiator.counters.rejectsSent == 0 && acceptor.counters.rejectsSent == 0)
        #expect(initiator.counters.garbled == 0 && acceptor.counters.garbled == 0)
        initiator.logout(now: handler.wallNow())
        #expect(reactor.run { initiator.state == .disconnected && acceptor.state == .disconnected })
        #expect(client.disconnects == [.transportClosed, .logout] && exchange.disconnects.last == .logout)
        #expect(reactor.run { reactor.connectionCount == 0 })
        listener.close()
    }
}
