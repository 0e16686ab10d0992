import Testing
import QuorumWire
@testable import QuorumNet

#if canImport(Glibc)
import Glibc
#endif

// An initiator and an acceptor wired back to back in memory: what one session sends is handed
// to the other's `received` as a socket would (bytes not consumed wait for more). The state
// machines under test are real; the "wire" only queues bytes, and can lose whole messages to
// make gaps.

final class MemoryWire: FIXSessionTransport {
    var pending: [UInt8] = []
    var closed = false
    /// Messages to lose: each send while this is positive is dropped.
    var dropNext = 0
    var dropped = 0
    func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if dropNext > 0 {
            dropNext -= 1
            dropped += 1
            return true
        }
        pending += bytes
        return true
    }
    func disconnect() { closed = true }
}

/// Records what a session delivers. As the acceptor it plays a tiny exchange: every order is
/// filled at once with one ExecutionReport.
final class Recorder: FIXSessionDelegate {
    var reports: [FIXExecutionReport] = []
    var reportPossDup: [Bool] = []
    var orders: [FIXNewOrderSingle] = []
    var cancels: [FIXOrderCancelRequest] = []
    var replaces: [FIXOrderCancelReplaceRequest] = []
    var cancelRejects: [FIXOrderCancelReject] = []
    var sessionRejects: [FIXReject] = []
    var logons = 0
    var disconnects: [FIXSession.DisconnectReason] = []
    var fillOrders = false
    var clock: () -> UInt64 = { 0 }
    var execCounter: UInt64 = 0

    func fixSessionDidLogOn(_ session: FIXSession) { logons += 1 }
    func fixSessionDidDisconnect(_ session: FIXSession, reason: FIXSession.DisconnectReason) { disconnects.append(reason) }
    func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {
        reports.append(report)
        reportPossDup.append(message.possDupFlag)
    }
    func fixSession(_ session: FIXSession, didReceive reject: FIXOrderCancelReject, message: FIXMessageView) {
        cancelRejects.append(reject)
    }
    func fixSession(_ session: FIXSession, didReceive order: FIXNewOrderSingle, message: FIXMessageView) {
        orders.append(order)
        guard fillOrders else { return }
        execCounter += 1
        session.sendExecutionReport(
            FIXExecutionReport(orderID: FIXString(decimal: execCounter), clOrdID: order.clOrdID,
                               execID: FIXString(decimal: 1_000_000 + execCounter), execType: .trade,
                               ordStatus: .filled, symbol: order.symbol, side: order.side, orderQty: order.orderQty,
                               lastQty: order.orderQty, lastPx: order.price, leavesQty: .zero, cumQty: order.orderQty,
                               avgPx: order.price ?? .zero),
            now: clock())
    }
    func fixSession(_ session: FIXSession, didReceive cancel: FIXOrderCancelRequest, message: FIXMessageView) {
        cancels.append(cancel)
        session.sendOrderCancelReject(
            FIXOrderCancelReject(orderID: "NONE", clOrdID: cancel.clOrdID, origClOrdID: cancel.origClOrdID,
                                 ordStatus: .filled, cxlRejResponseTo: .cancelRequest, cxlRejReason: 1),
            now: clock())
    }
    func fixSession(_ session: FIXSession, didReceive replace: FIXOrderCancelReplaceRequest, message: FIXMessageView) {
        replaces.append(replace)
    }
    func fixSession(_ session: FIXSession, didReceiveSessionReject reject: FIXReject) { sessionRejects.append(reject) }
}

let day0: UInt64 = 1_700_000_000_000_000_000
let second: UInt64 = 1_000_000_000

final class Pair {
    var initiator: FIXSession
    var acceptor: FIXSession
    let toAcceptor = MemoryWire()  // what the initiator sends
    let toInitiator = MemoryWire()  // what the acceptor sends
    let client = Recorder()
    let exchange = Recorder()
    var now = day0
    let initiatorFile: String?
    let acceptorFile: String?

    init(heartBtInt: Int = 30, reset: Bool = false, initiatorFile: String? = nil, acceptorFile: String? = nil,
         resendCapacity: Int = 64) throws {
        self.initiatorFile = initiatorFile
        self.acceptorFile = acceptorFile
        initiator = try FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "EXCH",
                                                  heartBtInt: heartBtInt, resetSeqNumOnLogon: reset,
                                                  sequenceFilePath: initiatorFile, resendStoreCapacity: resendCapacity))
        acceptor = try FIXSession(options: .init(role: .acceptor, senderCompID: "EXCH", targetCompID: "QUORUM",
                                                 heartBtInt: 0, sequenceFilePath: acceptorFile,
                                                 resendStoreCapacity: resendCapacity))
        exchange.fillOrders = true
        exchange.clock = { [unowned self] in self.now }
        bind()
    }

    func bind() {
        initiator.transport = toAcceptor
        initiator.delegate = client
        acceptor.transport = toInitiator
        acceptor.delegate = exchange
    }

    /// Replaces both sessions with new ones over the same sequence files (a process restart).
    func restart() throws {
        initiator = try FIXSession(options: initiator.options)
        acceptor = try FIXSession(options: acceptor.options)
        toAcceptor.pending = []
        toInitiator.pending = []
        bind()
    }

    /// Delivers bytes both ways until nothing moves. Returns the rounds it took.
    @discardableResult
    func pump() -> Int {
        var rounds = 0
        while !(toAcceptor.pending.isEmpty && toInitiator.pending.isEmpty) && rounds < 10_000 {
            rounds += 1
            deliver(toAcceptor, acceptor)
            deliver(toInitiator, initiator)
        }
        return rounds
    }

    func deliver(_ wire: MemoryWire, _ session: FIXSession) {
        let bytes = wire.pending
        wire.pending = []
        let used = bytes.withUnsafeBytes { session.received($0, now: now) }
        // Unconsumed bytes (a partial message) go back in front of anything sent meanwhile.
        wire.pending = Array(bytes[used...]) + wire.pending
    }

    func logon() {
        acceptor.connected(now: now)
        initiator.connected(now: now)
        pump()
    }

    func order(_ i: Int, price: UInt32 = 1_000_000) -> FIXNewOrderSingle {
        FIXNewOrderSingle(clOrdID: FIXString(decimal: UInt64(i)), symbol: "AAPL", side: i % 2 == 0 ? .buy : .sell,
                          transactTime: now, orderQty: Qty(UInt32(100 + i)), ordType: .limit, price: Price(price))
    }

    /// A message from the acceptor with the next acceptor sequence number, made by hand.
    func craftFromAcceptor(_ fields: String) -> [UInt8] {
        let seq = acceptor.sequences.nextOutgoing
        acceptor.sequences.nextOutgoing = seq + 1
        return framed(fields.replacingOccurrences(of: "SEQ", with: String(seq)))
    }
}

/// `fields` with "|" as SOH, framed with a correct BodyLength and CheckSum (computed here).
func framed(_ fields: String) -> [UInt8] {
    let body = Array(fields.utf8).map { $0 == UInt8(ascii: "|") ? 1 : $0 }
    let head = Array("8=FIX.4.4\u{01}9=\(body.count)\u{01}".utf8)
    let sum = (head + body).reduce(0) { ($0 + Int($1)) % 256 }
    let digits = String(sum)
    return head + body + Array("10=\(String(repeating: "0", count: 3 - digits.count))\(digits)\u{01}".utf8)
}

extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of s: String) -> Range<Substring.Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(s) { return i..<index(i, offsetBy: s.count) }
            i = index(after: i)
        }
        return nil
    }
}

func tempPath(_ name: String) -> String {
    let dir = "/tmp/quorum-fix-tests-\(getpid())"
    mkdir(dir, 0o755)
    let p = "\(dir)/\(name)-\(UInt64.random(in: 0..<UInt64.max))"
    unlink(p)
    return p
}

@Suite struct FIXSessionTests {
    @Test func logonThenOrdersAreFilledInOrder() throws {
        let pair = try Pair()
        pair.logon()
        #expect(pair.initiator.state == .active && pair.acceptor.state == .active)
        #expect(pair.client.logons == 1 && pair.exchange.logons == 1)
        #expect(pair.acceptor.heartBtInt == 30)
        #expect(pair.initiator.nextOutgoingSeqNum == 2 && pair.initiator.nextExpectedSeqNum == 2)
        for i in 1...200 {
            pair.now += 1_000_000
            #expect(pair.initiator.sendNewOrder(pair.order(i), now: pair.now))
            if i % 7 == 0 { pair.pump() }
        }
        pair.pump()
        #expect(pair.exchange.orders.map(\.clOrdID) == (1...200).map { FIXString(decimal: UInt64($0)) })
        #expect(pair.exchange.orders[4] == pair.order(5).withTime(pair.exchange.orders[4].transactTime))
        #expect(pair.client.reports.count == 200)
        #expect(pair.client.reports.map(\.clOrdID) == (1...200).map { FIXString(decimal: UInt64($0)) })
        #expect(pair.client.reports[9].cumQty == Qty(110) && pair.client.reports[9].ordStatus == .filled)
        #expect(pair.client.reportPossDup.allSatisfy { !$0 })
        #expect(pair.initiator.nextOutgoingSeqNum == 202 && pair.acceptor.nextExpectedSeqNum == 202)
        #expect(pair.acceptor.nextOutgoingSeqNum == 202 && pair.initiator.nextExpectedSeqNum == 202)
        let c = pair.initiator.counters
        #expect(c.applicationSent == 200 && c.applicationReceived == 200 && c.rejectsSent == 0 && c.garbled == 0)
    }

    @Test func warmingTheOrderPathSendsStoresAndNumbersNothing() throws {
        let pair = try Pair()
        #expect(pair.initiator.warmNewOrder(pair.order(1), now: pair.now) == 0)  // not logged on: nothing
        pair.logon()
        #expect(pair.initiator.sendNewOrder(pair.order(1), now: pair.now))
        pair.pump()
        let seq = pair.initiator.nextOutgoingSeqNum
        let before = pair.initiator.counters
        // Warm with an order of another size, then lose the next real order on the wire: the
        // resend must carry the real one, untouched by the warm-ups.
        for _ in 0..<3 {
            let n = pair.initiator.warmNewOrder(pair.order(7, price: 2_000_000), now: pair.now)
            #expect(n > 100)
        }
        #expect(pair.toAcceptor.pending.isEmpty)
        #expect(pair.initiator.nextOutgoingSeqNum == seq)
        #expect(pair.initiator.counters == before)
        pair.toAcceptor.dropNext = 1
        #expect(pair.initiator.sendNewOrder(pair.order(2), now: pair.now))
        pair.initiator.warmNewOrder(pair.order(9), now: pair.now)
        #expect(pair.initiator.sendNewOrder(pair.order(3), now: pair.now))
        pair.pump()
        #expect(pair.toAcceptor.dropped == 1)
        #expect(pair.exchange.orders.map(\.clOrdID) == ["1", "2", "3"])
        #expect(pair.exchange.orders[1] == pair.order(2).withTime(pair.exchange.orders[1].transactTime))
        #expect(pair.exchange.orders[2] == pair.order(3).withTime(pair.exchange.orders[2].transactTime))
        #expect(pair.initiator.nextOutgoingSeqNum == seq + 2)  // the resend keeps its number
        #expect(pair.exchange.sessionRejects.isEmpty && pair.acceptor.counters.garbled == 0)
    }

    @Test func cancelGetsCancelRejectAndReplaceArrives() throws {
        let pair = try Pair()
        pair.logon()
        pair.initiator.sendNewOrder(pair.order(1), now: pair.now)
        pair.initiator.sendCancel(FIXOrderCancelRequest(origClOrdID: "1", clOrdID: "2", symbol: "AAPL", side: .sell,
                                                        transactTime: day0), now: pair.now)
        let replace = FIXOrderCancelReplaceRequest(origClOrdID: "1", clOrdID: "3", symbol: "AAPL", side: .sell,
                                                   transactTime: day0, orderQty: Qty(5), ordType: .limit,
                                                   price: Price(990_000))
        pair.initiator.sendReplace(replace, now: pair.now)
        pair.pump()
        #expect(pair.exchange.replaces == [replace])
        #expect(pair.client.cancelRejects.map(\.clOrdID) == ["2"] && pair.client.cancelRejects[0].cxlRejReason == 1)
    }

    @Test func applicationSendsBeforeLogonAreRefused() throws {
        let pair = try Pair()
        #expect(!pair.initiator.sendNewOrder(pair.order(1), now: pair.now))
        #expect(pair.initiator.counters.sendsRefusedNotActive == 1 && pair.toAcceptor.pending.isEmpty)
        #expect(pair.initiator.nextOutgoingSeqNum == 1)
    }

    @Test func reportsMadeWhileTheClientIsAwayAreStoredAndResentAfterItsLogon() throws {
        let pair = try Pair()
        // Before any logon there is nothing to resume: refused even when storing is on.
        let storing = try FIXSession(options: .init(role: .acceptor, senderCompID: "EXCH", targetCompID: "QUORUM",
                                                    heartBtInt: 0, resendStoreCapacity: 64,
                                                    storesWhileDisconnected: true))
        let early = FIXExecutionReport(orderID: "0", clOrdID: "0", execID: "E0", execType: .canceled, ordStatus: .canceled,
                                       symbol: "AAPL", side: .buy, orderQty: Qty(100), leavesQty: .zero, cumQty: .zero,
                                       avgPx: .zero)
        #expect(!storing.sendExecutionReport(early, now: pair.now))
        #expect(storing.counters.sendsRefusedNotActive == 1 && storing.nextOutgoingSeqNum == 1)
        pair.acceptor = storing
        pair.bind()
        pair.logon()
        pair.initiator.sendNewOrder(pair.order(1), now: pair.now)
        pair.pump()
        #expect(pair.client.reports.map(\.clOrdID) == ["1"])
        // The connection drops; the venue cancels two orders and fills a third meanwhile.
        pair.initiator.transportClosed(now: pair.now)
        pair.acceptor.transportClosed(now: pair.now)
        let before = pair.acceptor.nextOutgoingSeqNum
        for (i, type) in [(2, FIXExecType.canceled), (3, .canceled), (4, .trade)] {
            let r = FIXExecutionReport(orderID: FIXString(decimal: UInt64(i)), clOrdID: FIXString(decimal: UInt64(i)),
                                       execID: FIXString(decimal: UInt64(100 + i)), execType: type,
                                       ordStatus: type == .trade ? .filled : .canceled, symbol: "AAPL", side: .buy,
                                       orderQty: Qty(100), lastQty: type == .trade ? Qty(100) : nil,
                                       lastPx: type == .trade ? Price(1_000_000) : nil, leavesQty: .zero,
                                       cumQty: type == .trade ? Qty(100) : .zero, avgPx: type == .trade ? Price(1_000_000) : .zero)
            #expect(pair.acceptor.sendExecutionReport(r, now: pair.now))
        }
        #expect(pair.acceptor.counters.storedWhileDisconnected == 3 && pair.acceptor.counters.sendsRefusedNotActive == 1)
        #expect(pair.acceptor.nextOutgoingSeqNum == before + 3 && pair.toInitiator.pending.isEmpty)
        // A session without the option still refuses (the initiator here).
        #expect(!pair.initiator.sendNewOrder(pair.order(9), now: pair.now))
        #expect(pair.initiator.counters.sendsRefusedNotActive == 1)
        // Reconnect: the venue's Logon is three ahead; the client asks, the venue resends.
        pair.now += second
        pair.logon()
        #expect(pair.initiator.state == .active && pair.initiator.counters.gapsDetected == 1)
        #expect(pair.acceptor.counters.messagesResent == 3)
        #expect(pair.client.reports.map(\.clOrdID) == ["1", "2", "3", "4"])
        #expect(pair.client.reportPossDup == [false, true, true, true])
        #expect(pair.client.reports.last?.execType == .trade && pair.client.reports.last?.lastQty == Qty(100))
        #expect(pair.initiator.nextExpectedSeqNum == pair.acceptor.nextOutgoingSeqNum)
    }

    @Test func heartbeatsWhenIdleAndTestRequestAnswered() throws {
        let pair = try Pair(heartBtInt: 30)
        pair.logon()
        // 29 s of silence: nothing due.
        pair.now += 29 * second
        pair.initiator.tick(now: pair.now)
        pair.acceptor.tick(now: pair.now)
        #expect(pair.toAcceptor.pending.isEmpty && pair.toInitiator.pending.isEmpty)
        // 30 s: both send a Heartbeat.
        pair.now += second
        pair.initiator.tick(now: pair.now)
        pair.acceptor.tick(now: pair.now)
        pair.pump()
        #expect(pair.initiator.counters.heartbeatsSent == 1 && pair.acceptor.counters.heartbeatsSent == 1)
        #expect(pair.initiator.nextExpectedSeqNum == 3)
        // The acceptor goes quiet (not ticked) for 36 s: the initiator asks with a TestRequest,
        // and the acceptor's answer (a Heartbeat carrying the TestReqID) clears it.
        pair.now += 36 * second
        pair.initiator.tick(now: pair.now)
        #expect(pair.initiator.counters.testRequestsSent == 1)
        pair.pump()
        #expect(pair.acceptor.counters.heartbeatsSent == 2)
        pair.now += 31 * second
        pair.initiator.tick(now: pair.now)
        #expect(pair.initiator.state == .active)
        #expect(pair.initiator.counters.heartbeatTimeouts == 0)
    }

    @Test func silenceAfterTestRequestDisconnects() throws {
        let pair = try Pair(heartBtInt: 10)
        pair.logon()
        pair.now += 12 * second
        pair.initiator.tick(now: pair.now)
        #expect(pair.initiator.counters.testRequestsSent == 1)
        pair.toAcceptor.pending = []  // the TestRequest is never answered
        pair.now += 9 * second
        pair.initiator.tick(now: pair.now)
        #expect(pair.initiator.state == .active)
        pair.now += 1 * second
        pair.initiator.tick(now: pair.now)
        #expect(pair.initiator.state == .disconnected)
        #expect(pair.client.disconnects == [.heartbeatTimeout] && pair.toAcceptor.closed)
        #expect(pair.initiator.counters.heartbeatTimeouts == 1)
    }

    @Test func aLostMessageIsResentWithPossDupAndAdminGapsAreFilled() throws {
        let pair = try Pair()
        pair.logon()
        pair.initiator.sendNewOrder(pair.order(1), now: pair.now)  // → ER seq 2
        pair.pump()
        // Lose the acceptor's Heartbeat (seq 3) and the fill of order 2 (seq 4).
        pair.now += 30 * second
        pair.toInitiator.dropNext = 2
        pair.acceptor.tick(now: pair.now)
        pair.initiator.sendNewOrder(pair.order(2), now: pair.now)
        pair.deliver(pair.toAcceptor, pair.acceptor)
        #expect(pair.toInitiator.dropped == 2)
        // The fill of order 3 (seq 5) arrives: the initiator sees the gap.
        pair.initiator.sendNewOrder(pair.order(3), now: pair.now)
        pair.pump()
        #expect(pair.initiator.counters.gapsDetected == 1 && pair.initiator.counters.resendRequestsSent == 1)
        #expect(pair.acceptor.counters.resendRequestsReceived == 1)
        #expect(pair.acceptor.counters.gapFillsSent == 1)  // the Heartbeat
        #expect(pair.acceptor.counters.messagesResent == 2)  // fills of orders 2 and 3
        #expect(pair.client.reports.map(\.clOrdID) == ["1", "2", "3"])
        #expect(pair.client.reportPossDup == [false, true, true])
        #expect(pair.initiator.nextExpectedSeqNum == pair.acceptor.nextOutgoingSeqNum)
        #expect(pair.initiator.state == .active)
        // Later traffic flows normally.
        pair.initiator.sendNewOrder(pair.order(4), now: pair.now)
        pair.pump()
        #expect(pair.client.reports.map(\.clOrdID) == ["1", "2", "3", "4"] && pair.client.reportPossDup.last == false)
    }

    @Test func messagesTooOldForTheStoreAreGapFilled() throws {
        let pair = try Pair(resendCapacity: 4)
        pair.logon()
        pair.toInitiator.dropNext = 6  // the fills of orders 1...6 are lost (acceptor seqs 2...7)
        for i in 1...6 { pair.initiator.sendNewOrder(pair.order(i), now: pair.now) }
        pair.deliver(pair.toAcceptor, pair.acceptor)
        pair.initiator.sendNewOrder(pair.order(7), now: pair.now)
        pair.pump()
        // The store holds 4: fills 4...7 come back (seqs 5...8); 2...4 become one gap fill.
        #expect(pair.acceptor.counters.gapFillsSent == 1 && pair.acceptor.counters.messagesResent == 4)
        #expect(pair.client.reports.map(\.clOrdID) == ["4", "5", "6", "7"])
        #expect(pair.initiator.nextExpectedSeqNum == 9)
    }

    @Test func duplicatesWithPossDupAreIgnoredAndTooLowWithoutItLogsOut() throws {
        let pair = try Pair()
        pair.logon()
        pair.initiator.sendNewOrder(pair.order(1), now: pair.now)
        pair.pump()
        // Replay acceptor seq 2 (the fill) with PossDupFlag=Y: dropped, counted.
        let dup = framed("35=8|49=EXCH|56=QUORUM|34=2|52=20231114-22:13:20.000|43=Y|122=20231114-22:13:20.000|"
                         + "37=1|11=1|17=9|150=F|39=2|55=AAPL|54=2|32=1|31=1|151=0|14=1|6=1|")
        _ = dup.withUnsafeBytes { pair.initiator.received($0, now: pair.now) }
        #expect(pair.initiator.counters.duplicatesIgnored == 1 && pair.client.reports.count == 1)
        #expect(pair.initiator.state == .active)
        // The same without PossDupFlag: a sequence error, Logout and disconnect.
        let low = framed("35=0|49=EXCH|56=QUORUM|34=2|52=20231114-22:13:20.000|")
        _ = low.withUnsafeBytes { pair.initiator.received($0, now: pair.now) }
        #expect(pair.initiator.state == .disconnected && pair.client.disconnects == [.sequenceTooLow])
        #expect(pair.toAcceptor.closed)
        pair.pump()
        #expect(pair.acceptor.state == .disconnected && pair.exchange.disconnects == [.logout])
    }

    @Test func sequenceResetModeMovesTheExpectedNumber() throws {
        let pair = try Pair()
        pair.logon()
        pair.acceptor.sendSequenceReset(newSeqNo: 100, now: pair.now)
        pair.pump()
        #expect(pair.initiator.nextExpectedSeqNum == 100 && pair.initiator.counters.sequenceResetsReceived == 1)
        pair.initiator.sendNewOrder(pair.order(1), now: pair.now)
        pair.pump()
        #expect(pair.client.reports.count == 1 && pair.initiator.nextExpectedSeqNum == 101)
        // Backwards is rejected with reason 5 on tag 36 and the session goes on.
        let back = pair.craftFromAcceptor("35=4|49=EXCH|56=QUORUM|34=SEQ|52=20231114-22:13:20.000|36=50|")
        _ = back.withUnsafeBytes { pair.initiator.received($0, now: pair.now) }
        pair.pump()
        #expect(pair.exchange.sessionRejects.map(\.refTagID) == [36])
        #expect(pair.exchange.sessionRejects.first?.reason == .valueIncorrect)
        #expect(pair.initiator.nextExpectedSeqNum == 101 && pair.initiator.state == .active)
    }

    @Test func resetSeqNumFlagStartsBothSidesAtOne() throws {
        let pair = try Pair(reset: true)
        pair.logon()
        for i in 1...5 { pair.initiator.sendNewOrder(pair.order(i), now: pair.now) }
        pair.pump()
        #expect(pair.initiator.nextOutgoingSeqNum == 7)
        pair.initiator.logout(now: pair.now)
        pair.pump()
        pair.logon()
        #expect(pair.initiator.state == .active)
        #expect(pair.initiator.nextOutgoingSeqNum == 2 && pair.acceptor.nextOutgoingSeqNum == 2)
        #expect(pair.initiator.nextExpectedSeqNum == 2 && pair.acceptor.nextExpectedSeqNum == 2)
    }

    @Test func sequenceNumbersSurviveARestartThroughTheFile() throws {
        let fi = tempPath("initiator.seq")
        let fa = tempPath("acceptor.seq")
        defer { unlink(fi); unlink(fa) }
        let pair = try Pair(initiatorFile: fi, acceptorFile: fa)
        pair.logon()
        for i in 1...10 { pair.initiator.sendNewOrder(pair.order(i), now: pair.now) }
        pair.pump()
        // Two more orders reach the exchange but its fills are lost with the connection.
        pair.initiator.sendNewOrder(pair.order(11), now: pair.now)
        pair.initiator.sendNewOrder(pair.order(12), now: pair.now)
        pair.deliver(pair.toAcceptor, pair.acceptor)
        let before = (pair.initiator.nextOutgoingSeqNum, pair.initiator.nextExpectedSeqNum,
                      pair.acceptor.nextOutgoingSeqNum, pair.acceptor.nextExpectedSeqNum)
        #expect(before == (14, 12, 14, 14))
        pair.initiator.transportClosed(now: pair.now)
        pair.acceptor.transportClosed(now: pair.now)
        try pair.restart()
        #expect(pair.initiator.nextOutgoingSeqNum == 14 && pair.initiator.nextExpectedSeqNum == 12)
        #expect(pair.acceptor.nextOutgoingSeqNum == 14 && pair.acceptor.nextExpectedSeqNum == 14)
        pair.now += 60 * second
        pair.logon()
        // The acceptor's Logon (14) is ahead of 12: the initiator asks for 12...; the new
        // process has no stored messages, so 12 and 13 come back as a gap fill.
        #expect(pair.initiator.state == .active && pair.acceptor.state == .active)
        #expect(pair.initiator.counters.gapsDetected == 1 && pair.acceptor.counters.gapFillsSent == 1)
        #expect(pair.initiator.nextExpectedSeqNum == pair.acceptor.nextOutgoingSeqNum)
        pair.initiator.sendNewOrder(pair.order(13), now: pair.now)
        pair.pump()
        #expect(pair.client.reports.last?.clOrdID == "13")
        // The file holds the numbers: a third process sees them.
        let again = try FIXSequenceStore(path: fi)
        #expect(again.nextOutgoing == pair.initiator.nextOutgoingSeqNum)
        #expect(again.nextExpected == pair.initiator.nextExpectedSeqNum)
    }

    @Test func aForeignFileIsRefusedWithItsPath() throws {
        let p = tempPath("garbage.seq")
        defer { unlink(p) }
        let fd = open(p, O_CREAT | O_WRONLY, 0o644)
        _ = write(fd, "not a sequence file", 19)
        close(fd)
        #expect(throws: FIXSessionError.sequenceFileCorrupt(path: p, detail: "size 19, expected 4096")) {
            try FIXSequenceStore(path: p)
        }
        #expect(throws: FIXSessionError.self) { try FIXSequenceStore(path: "/nonexistent-dir/x.seq") }
    }

    @Test func garbledAndInvalidMessagesAreCountedRejectedAndTheSessionSurvives() throws {
        let pair = try Pair()
        pair.logon()
        var stream: [UInt8] = Array("garbage\u{01}bytes".utf8)
        var bad = pair.craftFromAcceptor("35=0|49=EXCH|56=QUORUM|34=SEQ|52=20231114-22:13:20.000|")
        bad[bad.count - 2] ^= 1  // checksum digit off by one
        pair.acceptor.sequences.nextOutgoing -= 1  // the garbled one never counted
        stream += bad
        // Well framed, but an ExecutionReport without ExecID (17).
        stream += pair.craftFromAcceptor("35=8|49=EXCH|56=QUORUM|34=SEQ|52=20231114-22:13:20.000|"
                                         + "37=1|11=1|150=0|39=0|55=AAPL|54=1|151=1|14=0|6=0|")
        // Unknown MsgType.
        stream += pair.craftFromAcceptor("35=ZZ|49=EXCH|56=QUORUM|34=SEQ|52=20231114-22:13:20.000|")
        _ = stream.withUnsafeBytes { pair.initiator.received($0, now: pair.now) }
        pair.pump()
        let c = pair.initiator.counters
        #expect(c.garbled == 2 && c.invalid == 2 && c.rejectsSent == 2)
        #expect(pair.exchange.sessionRejects.map(\.refTagID) == [17, 35])
        #expect(pair.exchange.sessionRejects.map(\.reason) == [.requiredTagMissing, .invalidMsgType])
        #expect(pair.exchange.sessionRejects.map(\.refMsgType) == ["8", "ZZ"])
        #expect(pair.acceptor.counters.rejectsReceived == 2)
        #expect(pair.initiator.state == .active && pair.initiator.nextExpectedSeqNum == pair.acceptor.nextOutgoingSeqNum)
        pair.initiator.sendNewOrder(pair.order(1), now: pair.now)
        pair.pump()
        #expect(pair.client.reports.count == 1)
    }

    @Test func logoutHandshakeClosesBothSides() throws {
        let pair = try Pair()
        pair.logon()
        pair.initiator.logout(text: "end of day", now: pair.now)
        #expect(pair.initiator.state == .awaitingLogout)
        pair.pump()
        #expect(pair.initiator.state == .disconnected && pair.acceptor.state == .disconnected)
        #expect(pair.client.disconnects == [.logout] && pair.exchange.disconnects == [.logout])
        #expect(pair.toAcceptor.closed && pair.toInitiator.closed)
        #expect(pair.initiator.nextOutgoingSeqNum == 3 && pair.acceptor.nextOutgoingSeqNum == 3)
    }

    @Test func unansweredLogoutTimesOut() throws {
        let pair = try Pair()
        pair.logon()
        pair.initiator.logout(now: pair.now)
        pair.toAcceptor.pending = []
        pair.now += 2 * second
        pair.initiator.tick(now: pair.now)
        #expect(pair.client.disconnects == [.logoutTimeout])
    }

    @Test func acceptorRefusesAFirstMessageThatIsNotALogonOrFromAStranger() throws {
        let pair = try Pair()
        pair.acceptor.connected(now: pair.now)
        let hb = framed("35=0|49=QUORUM|56=EXCH|34=1|52=20231114-22:13:20.000|")
        _ = hb.withUnsafeBytes { pair.acceptor.received($0, now: pair.now) }
        #expect(pair.exchange.disconnects == [.logonRejected] && pair.toInitiator.pending.isEmpty)
        pair.acceptor.connected(now: pair.now)
        let stranger = framed("35=A|49=MALLORY|56=EXCH|34=1|52=20231114-22:13:20.000|98=0|108=30|")
        _ = stranger.withUnsafeBytes { pair.acceptor.received($0, now: pair.now) }
        #expect(pair.exchange.disconnects == [.logonRejected, .logonRejected])
        // And an initiator whose Logon is never answered gives up.
        pair.initiator.connected(now: pair.now)
        pair.now += 10 * second
        pair.initiator.tick(now: pair.now)
        #expect(pair.client.disconnects == [.logonTimeout])
    }

    @Test func reconnectDelaysDoubleUpToTheBound() {
        let p = FIXReconnectPolicy(initialNanoseconds: 100_000_000, maximumNanoseconds: 5_000_000_000)
        #expect((0...8).map { p.delay(afterFailures: $0) / 1_000_000 } == [0, 100, 200, 400, 800, 1600, 3200, 5000, 5000])
        #expect(p.delay(afterFailures: 1_000) == 5_000_000_000)
        #expect(FIXReconnectPolicy(initialNanoseconds: 10, maximumNanoseconds: 1).delay(afterFailures: 3) == 10)
    }
}

extension FIXNewOrderSingle {
    func withTime(_ t: UInt64) -> FIXNewOrderSingle {
        var o = self
        o.transactTime = t
        return o
    }
}
