import Foundation
import Glibc
import QuorumWire
import Testing
@testable import QuorumNet

/// Quorum's FIX 4.4 initiator against QuickFIX, an independent implementation: the acceptor in
/// Tests/Interop/quickfix-executor, which `make test` builds (`make interop`) into
/// .build/interop/quorum-qf-executor. Everything goes over real TCP on loopback through the
/// io_uring reactor.
@Suite(.serialized) struct QuickFIXInteropTests {
    /// The running acceptor: its process, and the event lines it prints (READY, LOGON, ORDER …).
    final class Executor {
        let process = Process()
        let stdin = Pipe()
        let outputPath: String
        let port: UInt16

        init(directory: String, arguments: [String]) throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let binary = root.appendingPathComponent(".build/interop/quorum-qf-executor").path
            let dictionary = root.appendingPathComponent("../shared/data/fix/FIX44.xml").standardized.path
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                throw InteropError("\(binary) is missing: `make interop` (or `make test`) builds it")
            }
            guard FileManager.default.fileExists(atPath: dictionary) else {
                throw InteropError("the FIX 4.4 data dictionary \(dictionary) is missing")
            }
            port = try Self.freeLoopbackPort()
            outputPath = directory + "/executor.out"
            FileManager.default.createFile(atPath: outputPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["--port", "\(port)", "--dictionary", dictionary, "--store", directory] + arguments
            process.standardInput = stdin
            process.standardOutput = FileHandle(forWritingAtPath: outputPath)
            process.standardError = FileHandle(forWritingAtPath: outputPath)
            try process.run()
        }

        var lines: [String] {
            ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        func has(_ prefix: String) -> Bool { lines.contains { $0.hasPrefix(prefix) } }

        func waitUntilReady() throws {
            for _ in 0..<1000 where !has("READY") {
                guard process.isRunning else { throw InteropError("the acceptor exited: \(lines.joined(separator: " | "))") }
                usleep(10_000)
            }
            guard has("READY") else { throw InteropError("the acceptor did not start: \(lines)") }
        }

        func stop() {
            try? stdin.fileHandleForWriting.close()  // it exits when stdin closes
            process.waitUntilExit()
        }

        /// A port nobody listens on now: bind to port 0, read it back, close.
        static func freeLoopbackPort() throws -> UInt16 {
            let reactor = try Reactor()
            final class Nobody: TCPListenerHandler {
                func accepted(_ connection: TCPConnection) -> (any TCPHandler)? { nil }
            }
            let listener = try reactor.listen(on: .loopback(), handler: Nobody())
            let port = listener.localAddress.port
            listener.close()
            _ = reactor.poll()
            return port
        }
    }

    struct InteropError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The initiator's application side: what came back for each order.
    final class Desk: FIXSessionDelegate {
        var fills: [String: Int] = [:]
        var acks: [String: Int] = [:]
        var replaced: [(orig: String, new: String)] = []
        var canceled: [String] = []
        var cancelRejects: [String] = []
        var logons = 0
        var disconnects: [FIXSession.DisconnectReason] = []
        var possDupReports = 0
        var statuses: [String: FIXExecutionReport] = [:]

        func fixSessionDidLogOn(_ session: FIXSession) { logons += 1 }
        func fixSessionDidDisconnect(_ session: FIXSession, reason: FIXSession.DisconnectReason) {
            disconnects.append(reason)
        }
        func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {
            let id = report.clOrdID.map { "\($0)" } ?? "?"
            if message.possDupFlag { possDupReports += 1 }
            switch report.execType {
            case .new: acks[id, default: 0] += 1
            case .trade: fills[id, default: 0] += 1
            case .replaced: replaced.append((report.origClOrdID.map { "\($0)" } ?? "?", id))
            case .canceled: canceled.append(report.origClOrdID.map { "\($0)" } ?? "?")
            case .orderStatus: statuses[id] = report
            default: break
            }
        }
        func fixSession(_ session: FIXSession, didReceive reject: FIXOrderCancelReject, message: FIXMessageView) {
            cancelRejects.append("\(reject.origClOrdID)")
        }
    }

    func temporaryDirectory() -> String {
        let dir = "/tmp/quorum-quickfix-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        mkdir(dir, 0o755)
        return dir
    }

    @Test func initiatorTradesAgainstQuickFIXThroughDisconnectGapHeartbeatsAndLogout() throws {
        let dir = temporaryDirectory()
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let executor = try Executor(directory: dir, arguments: ["--disconnect-after", "400", "--gap-after", "700"])
        defer { executor.stop() }
        try executor.waitUntilReady()

        let reactor = try Reactor()
        let session = try FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "EXEC",
                                                    heartBtInt: 1, sequenceFilePath: dir + "/initiator.seq"))
        let desk = Desk()
        session.delegate = desk
        var handler = FIXTCPHandler(session: session)
        let exchange = SocketAddress.loopback(port: executor.port)
        _ = try reactor.connect(to: exchange, handler: handler)
        #expect(reactor.run { session.state == .active })
        #expect(executor.has("LOGON"))

        // 1000 orders, at most 50 unanswered at a time. QuickFIX drops the TCP connection
        // after the 400th (no Logout); the same session reconnects, both sides resend what the
        // other missed, and the flow goes on. After the 700th QuickFIX skips five sequence
        // numbers, which the initiator must notice and fill with a ResendRequest.
        var next = 1
        var reconnects = 0
        let finished = reactor.run(timeoutNanoseconds: 120_000_000_000) {
            let now = handler.wallNow()
            session.tick(now: now)
            if session.state == .disconnected {
                handler = FIXTCPHandler(session: session)
                guard (try? reactor.connect(to: exchange, handler: handler)) != nil else { return true }
                reconnects += 1
                return false
            }
            guard session.state == .active else { return false }
            while next <= 1000 && next - 1 - desk.fills.count < 50 {
                let order = FIXNewOrderSingle(clOrdID: FIXString(decimal: UInt64(next)), symbol: "AAPL",
                                              side: next % 2 == 0 ? .buy : .sell, transactTime: now,
                                              orderQty: Qty(UInt32(100 + next % 7)), ordType: .limit,
                                              price: Price(1_012_500 + UInt32(next % 13) * 100), timeInForce: .day)
                guard session.sendNewOrder(order, now: now) else { break }
                next += 1
            }
            return desk.fills.count == 1000
        }
        #expect(finished)
        // One drop, one new logon; on a loaded machine the first connect attempt may find the
        // acceptor not listening yet and be tried again, so attempts can exceed one.
        #expect(reconnects >= 1)
        #expect(desk.fills.count == 1000)
        #expect((1...1000).allSatisfy { desk.fills["\($0)"] == 1 })
        #expect((1...1000).allSatisfy { desk.acks["\($0)"] == 1 })
        #expect(executor.has("DISCONNECTED") && executor.has("GAP 5"))
        #expect(desk.logons == 2 && desk.disconnects.first == .transportClosed)
        let counters = session.counters
        #expect(counters.gapsDetected >= 1 && counters.resendRequestsSent >= 1)
        #expect(counters.gapFillsReceived >= 1)  // QuickFIX gap-fills the five numbers it skipped
        #expect(counters.rejectsSent == 0 && counters.rejectsReceived == 0 && counters.garbled == 0)
        #expect(!executor.has("REJECT_RECEIVED"))

        // Cancel and replace on a resting (GTC) order, and a cancel of an unknown order.
        let now = handler.wallNow()
        #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: "R1", symbol: "MSFT", side: .buy, transactTime: now,
                                                       orderQty: Qty(200), ordType: .limit, price: Price(2_500_000),
                                                       timeInForce: .goodTillCancel), now: now))
        #expect(reactor.run { desk.acks["R1"] == 1 })
        #expect(session.sendReplace(FIXOrderCancelReplaceRequest(origClOrdID: "R1", clOrdID: "R2", symbol: "MSFT", side: .buy,
                                                                 transactTime: now, orderQty: Qty(300), ordType: .limit,
                                                                 price: Price(2_499_000), timeInForce: .goodTillCancel),
                                    now: now))
        #expect(reactor.run { desk.replaced.count == 1 })
        #expect(desk.replaced.first?.orig == "R1" && desk.replaced.first?.new == "R2")
        #expect(session.sendCancel(FIXOrderCancelRequest(origClOrdID: "R2", clOrdID: "R3", symbol: "MSFT", side: .buy,
                                                         transactTime: now, orderQty: Qty(300)), now: now))
        #expect(session.sendCancel(FIXOrderCancelRequest(origClOrdID: "NOPE", clOrdID: "R4", symbol: "MSFT", side: .buy,
                                                         transactTime: now, orderQty: Qty(1)), now: now))
        #expect(reactor.run { desk.canceled.count == 1 && desk.cancelRejects.count == 1 })
        #expect(desk.canceled == ["R2"] && desk.cancelRejects == ["NOPE"])
        #expect(desk.fills["R1"] == nil && desk.fills["R2"] == nil)

        // Three idle seconds at HeartBtInt=1: both sides keep the session alive with heartbeats.
        let before = session.counters
        reactor.run(timeoutNanoseconds: 3_200_000_000) {
            session.tick(now: handler.wallNow())
            return false
        }
        let after = session.counters
        #expect(session.state == .active)
        #expect(after.heartbeatsSent - before.heartbeatsSent >= 2)
        #expect(after.messagesReceived - before.messagesReceived >= 2)  // QuickFIX's heartbeats
        #expect(after.heartbeatTimeouts == before.heartbeatTimeouts)

        // Logout handshake.
        session.logout(now: handler.wallNow())
        #expect(reactor.run {
            session.tick(now: handler.wallNow())
            return session.state == .disconnected
        })
        #expect(desk.disconnects.last == .logout)
        #expect(reactor.run(timeoutNanoseconds: 5_000_000_000) { executor.has("LOGOUT") })
    }

    @Test func quickFIXRejectsNothingAndResumesAfterAnInitiatorRestart() throws {
        let dir = temporaryDirectory()
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let executor = try Executor(directory: dir, arguments: [])
        defer { executor.stop() }
        try executor.waitUntilReady()
        let reactor = try Reactor()
        let options = FIXSession.Options(role: .initiator, senderCompID: "QUORUM", targetCompID: "EXEC",
                                         heartBtInt: 30, sequenceFilePath: dir + "/initiator.seq")
        let desk = Desk()

        // First run: ten orders, then a clean logout.
        var session = try FIXSession(options: options)
        session.delegate = desk
        var handler = FIXTCPHandler(session: session)
        _ = try reactor.connect(to: .loopback(port: executor.port), handler: handler)
        #expect(reactor.run { session.state == .active })
        for i in 1...10 {
            let now = handler.wallNow()
            #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: FIXString(decimal: UInt64(i)), symbol: "AAPL", side: .buy,
                                                           transactTime: now, orderQty: Qty(10), ordType: .market,
                                                           price: nil), now: now))
        }
        #expect(reactor.run { desk.fills.count == 10 })
        session.logout(now: handler.wallNow())
        #expect(reactor.run { session.state == .disconnected })
        let sequences = (session.nextOutgoingSeqNum, session.nextExpectedSeqNum)
        #expect(sequences.0 == 13)  // Logon, 10 orders, Logout

        // Second run, a new session object over the same sequence file: QuickFIX accepts the
        // resumed numbers (a reset would be refused as too low) and trades on.
        session = try FIXSession(options: options)
        #expect((session.nextOutgoingSeqNum, session.nextExpectedSeqNum) == sequences)
        session.delegate = desk
        handler = FIXTCPHandler(session: session)
        _ = try reactor.connect(to: .loopback(port: executor.port), handler: handler)
        #expect(reactor.run { session.state == .active })
        let now = handler.wallNow()
        #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: "11", symbol: "AAPL", side: .sell, transactTime: now,
                                                       orderQty: Qty(10), ordType: .limit, price: Price(1_000_000)),
                                     now: now))
        #expect(reactor.run { desk.fills.count == 11 })
        #expect(desk.logons == 2 && session.counters.gapsDetected == 0)
        #expect(session.counters.rejectsReceived == 0 && !executor.has("REJECT_RECEIVED"))
        session.logout(now: handler.wallNow())
        #expect(reactor.run { session.state == .disconnected })
    }

    @Test func quickFIXAnswersOrderStatusRequestsForWorkingFilledCancelledAndUnknownOrders() throws {
        let dir = temporaryDirectory()
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let executor = try Executor(directory: dir, arguments: [])
        defer { executor.stop() }
        try executor.waitUntilReady()
        let reactor = try Reactor()
        let session = try FIXSession(options: .init(role: .initiator, senderCompID: "QUORUM", targetCompID: "EXEC",
                                                    heartBtInt: 30, sequenceFilePath: dir + "/initiator.seq"))
        let desk = Desk()
        session.delegate = desk
        let handler = FIXTCPHandler(session: session)
        _ = try reactor.connect(to: .loopback(port: executor.port), handler: handler)
        #expect(reactor.run { session.state == .active })
        var now = handler.wallNow()
        // W rests (GTC), F fills at once (day), X rests and is cancelled.
        for (id, tif) in [("W", FIXTimeInForce.goodTillCancel), ("F", .day), ("X", .goodTillCancel)] {
            #expect(session.sendNewOrder(FIXNewOrderSingle(clOrdID: FIXString(id), symbol: "AAPL", side: .buy,
                                                           transactTime: now, orderQty: Qty(300), ordType: .limit,
                                                           price: Price(1_012_500), timeInForce: tif), now: now))
        }
        #expect(session.sendCancel(FIXOrderCancelRequest(origClOrdID: "X", clOrdID: "X2", symbol: "AAPL", side: .buy,
                                                         transactTime: now), now: now))
        #expect(reactor.run { desk.acks.count == 3 && desk.fills["F"] == 1 && desk.canceled == ["X"] })
        now = handler.wallNow()
        for id in ["W", "F", "X", "NOPE"] {
            #expect(session.sendOrderStatusRequest(FIXOrderStatusRequest(clOrdID: FIXString(id), symbol: "AAPL", side: .buy),
                                                   now: now))
        }
        #expect(reactor.run { desk.statuses.count == 4 })
        let w = try #require(desk.statuses["W"]), f = try #require(desk.statuses["F"])
        let x = try #require(desk.statuses["X"]), nope = try #require(desk.statuses["NOPE"])
        #expect(w.ordStatus == .new && w.cumQty == .zero && w.leavesQty == Qty(300))
        #expect(f.ordStatus == .filled && f.cumQty == Qty(300) && f.leavesQty == .zero && f.avgPx == Price(1_012_500))
        #expect(x.ordStatus == .canceled && x.cumQty == .zero)
        #expect(nope.ordStatus == .rejected && nope.ordRejReason == FIXExecutionReport.unknownOrder)
        // QuickFIX validated our 35=H against FIX44.xml and we parsed its 150=I reports: no rejects.
        #expect(executor.has("STATUS W") && executor.has("STATUS_UNKNOWN NOPE"))
        #expect(session.counters.rejectsReceived == 0 && session.counters.rejectsSent == 0 && !executor.has("REJECT_RECEIVED"))
        #expect(session.counters.invalid == 0 && session.counters.garbled == 0)
        session.logout(now: handler.wallNow())
        #expect(reactor.run { session.state == .disconnected })
    }
}
