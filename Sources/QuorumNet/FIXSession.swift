import QuorumWire

/// Where a FIX session's bytes go. The reactor's TCP connection adopts this (the lead binds
/// it); tests pass bytes between two sessions directly.
public protocol FIXSessionTransport: AnyObject {
    /// Queues `bytes` for sending, copying them; false when there is no room (the session
    /// counts it; the counterparty will see a gap and ask for a resend).
    func send(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// Closes the connection. The session has already moved to `.disconnected`.
    func disconnect()
    /// Readies whatever the next `send` of `byteCount` bytes touches, sending nothing
    /// (`FIXSession.warmNewOrder`). Nothing by default.
    func warmSend(byteCount: Int)
}

extension FIXSessionTransport {
    public func warmSend(byteCount: Int) {}
}

/// What a FIX session tells its owner. Every method has an empty default. Application
/// messages arrive in sequence, validated, once (a PossDup resend of one already processed
/// is dropped before it gets here); `message` is valid only during the call.
public protocol FIXSessionDelegate: AnyObject {
    func fixSessionDidLogOn(_ session: FIXSession)
    func fixSessionDidDisconnect(_ session: FIXSession, reason: FIXSession.DisconnectReason)
    func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView)
    func fixSession(_ session: FIXSession, didReceive reject: FIXOrderCancelReject, message: FIXMessageView)
    func fixSession(_ session: FIXSession, didReceive order: FIXNewOrderSingle, message: FIXMessageView)
    func fixSession(_ session: FIXSession, didReceive cancel: FIXOrderCancelRequest, message: FIXMessageView)
    func fixSession(_ session: FIXSession, didReceive replace: FIXOrderCancelReplaceRequest, message: FIXMessageView)
    func fixSession(_ session: FIXSession, didReceive statusRequest: FIXOrderStatusRequest, message: FIXMessageView)
    /// The counterparty rejected one of our messages at the session level.
    func fixSession(_ session: FIXSession, didReceiveSessionReject reject: FIXReject)
}

extension FIXSessionDelegate {
    public func fixSessionDidLogOn(_ session: FIXSession) {}
    public func fixSessionDidDisconnect(_ session: FIXSession, reason: FIXSession.DisconnectReason) {}
    public func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {}
    public func fixSession(_ session: FIXSession, didReceive reject: FIXOrderCancelReject, message: FIXMessageView) {}
    public func fixSession(_ session: FIXSession, didReceive order: FIXNewOrderSingle, message: FIXMessageView) {}
    public func fixSession(_ session: FIXSession, didReceive cancel: FIXOrderCancelRequest, message: FIXMessageView) {}
    public func fixSession(_ session: FIXSession, didReceive replace: FIXOrderCancelReplaceRequest, message: FIXMessageView) {}
    public func fixSession(_ session: FIXSession, didReceive statusRequest: FIXOrderStatusRequest, message: FIXMessageView) {}
    public func fixSession(_ session: FIXSession, didReceiveSessionReject reject: FIXReject) {}
}

/// A FIX 4.4 session, initiator or acceptor, as a transport-agnostic state machine.
///
/// Bytes come in through `received(_:now:)` (which returns how many it consumed; the rest is
/// an incomplete message to offer again with more), go out through the `transport`, and
/// timers run from `tick(now:)`. `now` is always nanoseconds since the Unix epoch (UTC): it
/// stamps SendingTime as well as driving heartbeats, so the caller uses CLOCK_REALTIME or a
/// monotonic clock plus an offset taken at start-up.
///
/// What it does:
/// - Logon: the initiator sends Logon (HeartBtInt, ResetSeqNumFlag when configured) on
///   `connected`; the acceptor answers the first message if it is a Logon from the expected
///   CompID, adopting its HeartBtInt and honouring its ResetSeqNumFlag; anything else first
///   closes the connection.
/// - Heartbeats after HeartBtInt of send silence; a TestRequest after 1.2 × HeartBtInt of
///   receive silence; disconnect when nothing arrives for another HeartBtInt.
/// - Inbound sequence: too high → one ResendRequest (BeginSeqNo = expected, EndSeqNo = 0) and
///   later too-high messages are dropped until the gap is filled (the resend covers them;
///   re-asked if nothing fills it within 2 × HeartBtInt); too low without PossDupFlag →
///   Logout and disconnect; too low with PossDupFlag → dropped as a duplicate. A
///   ResendRequest or Logout is served even while a gap is open, so two sessions with gaps
///   cannot deadlock.
/// - Resends from a preallocated `FIXResendStore` of sent application messages, with
///   PossDupFlag=Y and OrigSendingTime; admin messages and ones no longer stored are covered
///   by SequenceReset-GapFill.
/// - SequenceReset in gap-fill and reset mode; Reject (with SessionRejectReason and RefTagID)
///   for messages that break the rules — the message uses up its sequence number and the
///   session carries on; garbled bytes are dropped and counted.
/// - Sequence numbers live in a `FIXSequenceStore` (a mapped file), so a restart resumes.
///
/// Sending encodes straight into one preallocated scratch buffer and hands the bytes to the
/// transport: no allocation per message. Not thread-safe: one owner (the net loop).
public final class FIXSession {
    public enum Role: Sendable { case initiator, acceptor }

    public enum State: Sendable, Equatable {
        case disconnected
        /// Initiator: Logon sent. Acceptor: waiting for the counterparty's Logon.
        case awaitingLogon
        case active
        /// Logout sent, waiting for the counterparty's.
        case awaitingLogout
    }

    public enum DisconnectReason: Sendable, Equatable {
        case logout
        case transportClosed
        case requested
        case heartbeatTimeout
        case logonTimeout
        case logoutTimeout
        /// The first message was not a valid Logon from the expected counterparty.
        case logonRejected
        /// MsgSeqNum lower than expected without PossDupFlag.
        case sequenceTooLow
        case compIDMismatch
    }

    public struct Options: Sendable {
        public var role: Role
        public var senderCompID: FIXString
        public var targetCompID: FIXString
        /// Seconds; the initiator proposes it, the acceptor adopts the initiator's.
        public var heartBtInt: Int
        /// Initiator: ask for sequence numbers 1/1 at every logon.
        public var resetSeqNumOnLogon: Bool
        /// Where sequence numbers persist; nil keeps them in memory only.
        public var sequenceFilePath: String?
        /// Sent application messages kept for resends (a power of two).
        public var resendStoreCapacity: Int
        /// Bytes of body fields kept per message.
        public var resendSlotSize: Int
        public var logonTimeoutNanoseconds: UInt64
        public var logoutTimeoutNanoseconds: UInt64
        /// Once the session has been logged on, application messages sent while it is down
        /// are numbered and stored instead of refused: the counterparty's next Logon finds
        /// our sequence ahead and asks for them (ResendRequest), as it would for messages lost
        /// in flight. A venue's execution reports must not vanish because its client was
        /// reconnecting; a client's orders usually should (it decides again when back), so
        /// the default is off.
        public var storesWhileDisconnected: Bool

        public init(role: Role, senderCompID: FIXString, targetCompID: FIXString, heartBtInt: Int = 30,
                    resetSeqNumOnLogon: Bool = false, sequenceFilePath: String? = nil,
                    resendStoreCapacity: Int = 4096, resendSlotSize: Int = 512,
                    logonTimeoutNanoseconds: UInt64 = 10_000_000_000, logoutTimeoutNanoseconds: UInt64 = 2_000_000_000,
                    storesWhileDisconnected: Bool = false) {
            self.role = role
            self.senderCompID = senderCompID
            self.targetCompID = targetCompID
            self.heartBtInt = heartBtInt
            self.resetSeqNumOnLogon = resetSeqNumOnLogon
            self.sequenceFilePath = sequenceFilePath
            self.resendStoreCapacity = resendStoreCapacity
            self.resendSlotSize = resendSlotSize
            self.logonTimeoutNanoseconds = logonTimeoutNanoseconds
            self.logoutTimeoutNanoseconds = logoutTimeoutNanoseconds
            self.storesWhileDisconnected = storesWhileDisconnected
        }
    }

    /// Everything the session counts. Parser counts (garbled, invalid) are merged in.
    public struct Counters: Equatable, Sendable {
        public var messagesSent: UInt64 = 0
        public var messagesReceived: UInt64 = 0
        public var applicationSent: UInt64 = 0
        public var applicationReceived: UInt64 = 0
        public var logons: UInt64 = 0
        public var disconnects: UInt64 = 0
        public var heartbeatsSent: UInt64 = 0
        public var testRequestsSent: UInt64 = 0
        public var heartbeatTimeouts: UInt64 = 0
        public var rejectsSent: UInt64 = 0
        public var rejectsReceived: UInt64 = 0
        /// Garbled frames and runs of garbage (from the parser).
        public var garbled: UInt64 = 0
        public var garbledBytes: UInt64 = 0
        /// Well-framed messages that broke a rule (from the parser).
        public var invalid: UInt64 = 0
        public var gapsDetected: UInt64 = 0
        public var resendRequestsSent: UInt64 = 0
        public var resendRequestsReceived: UInt64 = 0
        public var messagesResent: UInt64 = 0
        public var gapFillsSent: UInt64 = 0
        public var gapFillsReceived: UInt64 = 0
        public var sequenceResetsReceived: UInt64 = 0
        public var duplicatesIgnored: UInt64 = 0
        /// Too-high messages dropped while a ResendRequest was outstanding.
        public var droppedAwaitingResend: UInt64 = 0
        /// The transport had no room.
        public var sendFailures: UInt64 = 0
        /// Application sends refused because the session was not active.
        public var sendsRefusedNotActive: UInt64 = 0
        /// Application messages stored for a resend because the session was down
        /// (`Options.storesWhileDisconnected`).
        public var storedWhileDisconnected: UInt64 = 0
        public init() {}
    }

    public let options: Options
    public weak var transport: (any FIXSessionTransport)?
    public weak var delegate: (any FIXSessionDelegate)?
    public private(set) var state: State = .disconnected
    /// Seconds, as agreed at logon.
    public private(set) var heartBtInt: Int

    let parser = FIXParser()
    let sequences: FIXSequenceStore
    let resendStore: FIXResendStore
    let scratch: UnsafeMutableRawBufferPointer
    var _counters = Counters()
    var stateSince: UInt64 = 0
    var lastSentAt: UInt64 = 0
    var lastReceivedAt: UInt64 = 0
    var testRequestPending = false
    var testRequestSentAt: UInt64 = 0
    var testRequestCounter: UInt64 = 0
    var resendPending = false
    var resendTarget: UInt64 = 0
    var resendRequestedAt: UInt64 = 0
    /// A logon completed at least once: the sequence numbers mean something to the counterparty.
    var hasBeenActive = false

    public init(options: Options) throws(FIXSessionError) {
        guard options.heartBtInt >= 0 else { throw .invalidOption(field: "heartBtInt", value: options.heartBtInt) }
        self.options = options
        heartBtInt = options.heartBtInt
        sequences = try FIXSequenceStore(path: options.sequenceFilePath)
        resendStore = try FIXResendStore(capacity: options.resendStoreCapacity, slotSize: options.resendSlotSize)
        scratch = .allocate(byteCount: FIX.maxMessageLength + options.resendSlotSize, alignment: 64)
    }

    deinit { scratch.deallocate() }

    public var counters: Counters {
        var c = _counters
        c.garbled = parser.counters.garbled
        c.garbledBytes = parser.counters.discardedBytes
        c.invalid = parser.counters.invalid
        return c
    }

    /// The MsgSeqNum the next message sent will carry.
    public var nextOutgoingSeqNum: UInt64 { sequences.nextOutgoing }
    /// The MsgSeqNum expected on the next message received.
    public var nextExpectedSeqNum: UInt64 { sequences.nextExpected }

    /// Sets both sequence numbers by hand (operations: a new trading day). Forgets stored messages.
    public func resetSequenceNumbers(nextOutgoing: UInt64 = 1, nextExpected: UInt64 = 1) {
        sequences.nextOutgoing = nextOutgoing
        sequences.nextExpected = nextExpected
        resendStore.removeAll()
        sequences.sync()
    }

    // MARK: Transport events

    /// The transport is connected: the initiator sends Logon, the acceptor waits for one.
    public func connected(now: UInt64) {
        testRequestPending = false
        resendPending = false
        lastReceivedAt = now
        enter(.awaitingLogon, now)
        if options.role == .initiator {
            heartBtInt = options.heartBtInt
            if options.resetSeqNumOnLogon { resetSequenceNumbers() }
            sendAdmin(FIXLogon(heartBtInt: heartBtInt, resetSeqNumFlag: options.resetSeqNumOnLogon), now)
        }
    }

    /// The transport closed (the counterparty hung up or the socket failed).
    public func transportClosed(now: UInt64) {
        guard state != .disconnected else { return }
        finish(.transportClosed, closeTransport: false)
    }

    /// Closes the session at once, without Logout (operator action, tests).
    public func disconnect(now: UInt64) {
        guard state != .disconnected else { return }
        finish(.requested, closeTransport: true)
    }

    /// Starts the Logout handshake; the session disconnects when the counterparty answers or
    /// after `logoutTimeoutNanoseconds`.
    public func logout(text: FIXString? = nil, now: UInt64) {
        guard state == .active else { return }
        sendAdmin(FIXLogout(text: text), now)
        enter(.awaitingLogout, now)
    }

    // MARK: Inbound

    /// Processes every complete message at the start of `bytes`; returns the bytes consumed.
    /// Once the session disconnects, the rest of `bytes` is consumed unread.
    public func received(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> Int {
        var consumed = 0
        while consumed < bytes.count {
            guard state != .disconnected else { return bytes.count }
            switch parser.parse(UnsafeRawBufferPointer(rebasing: bytes[consumed...])) {
            case .needMoreData:
                return consumed
            case .garbled(let n):
                consumed += n
            case .message(let n):
                lastReceivedAt = now
                testRequestPending = false
                handle(parser.message, now)
                consumed += n
            case .invalid(let n, let rejection):
                lastReceivedAt = now
                handleInvalid(rejection, now)
                consumed += n
            }
        }
        return consumed
    }

    func handle(_ m: FIXMessageView, _ now: UInt64) {
        _counters.messagesReceived &+= 1
        let type = m.msgType
        let seq = m.msgSeqNum
        if m.senderCompID != options.targetCompID || m.targetCompID != options.senderCompID {
            if state == .awaitingLogon {
                finish(.logonRejected, closeTransport: true)
            } else {
                let tag = m.senderCompID != options.targetCompID ? FIX.Tag.senderCompID : FIX.Tag.targetCompID
                sendReject(FIXReject(refSeqNum: seq, refTagID: tag, refMsgType: msgTypeString(type),
                                     reason: .compIDProblem), now)
                sendAdmin(FIXLogout(text: "CompID problem"), now)
                finish(.compIDMismatch, closeTransport: true)
            }
            return
        }
        if state == .awaitingLogon {
            guard type == .logon else {
                finish(.logonRejected, closeTransport: true)
                return
            }
            handleLogon(m, now)
            return
        }
        // Reset mode ignores MsgSeqNum (FIX: "the sequence number of the SequenceReset is ignored").
        if type == .sequenceReset && m.bool(FIX.Tag.gapFillFlag) != true {
            _counters.sequenceResetsReceived &+= 1
            applyNewSeqNo(m, seq, now)
            return
        }
        let expected = sequences.nextExpected
        if seq > expected {
            if type == .resendRequest { answerResendRequest(FIXResendRequest(m), now) }
            if type == .logout {
                receivedLogout(now)
                return
            }
            gap(upTo: seq, now)
            return
        }
        if seq < expected {
            if m.possDupFlag {
                _counters.duplicatesIgnored &+= 1
            } else {
                sendAdmin(FIXLogout(text: "MsgSeqNum too low"), now)
                finish(.sequenceTooLow, closeTransport: true)
            }
            return
        }
        sequences.nextExpected = expected &+ 1
        process(type, m, now)
        if resendPending && sequences.nextExpected > resendTarget { resendPending = false }
    }

    func process(_ type: FIXMsgType, _ m: FIXMessageView, _ now: UInt64) {
        switch type {
        case .heartbeat:
            break
        case .testRequest:
            sendAdmin(FIXHeartbeat(testReqID: m.string(FIX.Tag.testReqID)), now)
            _counters.heartbeatsSent &+= 1
        case .resendRequest:
            answerResendRequest(FIXResendRequest(m), now)
        case .reject:
            _counters.rejectsReceived &+= 1
            delegate?.fixSession(self, didReceiveSessionReject: FIXReject(m))
        case .sequenceReset:
            _counters.gapFillsReceived &+= 1
            applyNewSeqNo(m, m.msgSeqNum, now)
        case .logout:
            receivedLogout(now)
        case .logon:
            // A second Logon on an active session: reject it, keep the session.
            sendReject(FIXReject(refSeqNum: m.msgSeqNum, refTagID: FIX.Tag.msgType, refMsgType: "A",
                                 reason: .other, text: "already logged on"), now)
        case .executionReport:
            _counters.applicationReceived &+= 1
            delegate?.fixSession(self, didReceive: FIXExecutionReport(m), message: m)
        case .orderCancelReject:
            _counters.applicationReceived &+= 1
            delegate?.fixSession(self, didReceive: FIXOrderCancelReject(m), message: m)
        case .newOrderSingle:
            _counters.applicationReceived &+= 1
            delegate?.fixSession(self, didReceive: FIXNewOrderSingle(m), message: m)
        case .orderCancelRequest:
            _counters.applicationReceived &+= 1
            delegate?.fixSession(self, didReceive: FIXOrderCancelRequest(m), message: m)
        case .orderCancelReplaceRequest:
            _counters.applicationReceived &+= 1
            delegate?.fixSession(self, didReceive: FIXOrderCancelReplaceRequest(m), message: m)
        case .orderStatusRequest:
            _counters.applicationReceived &+= 1
            delegate?.fixSession(self, didReceive: FIXOrderStatusRequest(m), message: m)
        }
    }

    func handleLogon(_ m: FIXMessageView, _ now: UInt64) {
        let logon = FIXLogon(m)
        let seq = m.msgSeqNum
        if options.role == .acceptor {
            guard logon.heartBtInt >= 0 else {
                finish(.logonRejected, closeTransport: true)
                return
            }
            heartBtInt = logon.heartBtInt
            if logon.resetSeqNumFlag { resetSequenceNumbers() }
        } else if logon.resetSeqNumFlag && !options.resetSeqNumOnLogon {
            // The acceptor reset its side without being asked: its Logon is 1.
            sequences.nextExpected = 1
        }
        let expected = sequences.nextExpected
        if seq < expected {
            sendAdmin(FIXLogout(text: "MsgSeqNum too low"), now)
            finish(.sequenceTooLow, closeTransport: true)
            return
        }
        if options.role == .acceptor {
            sendAdmin(FIXLogon(heartBtInt: heartBtInt, resetSeqNumFlag: logon.resetSeqNumFlag), now)
        }
        enter(.active, now)
        hasBeenActive = true
        _counters.logons &+= 1
        sequences.sync()
        if seq > expected {
            gap(upTo: seq, now)
        } else {
            sequences.nextExpected = expected &+ 1
        }
        delegate?.fixSessionDidLogOn(self)
    }

    func handleInvalid(_ r: FIXRejection, _ now: UInt64) {
        if state == .awaitingLogon {
            finish(.logonRejected, closeTransport: true)
            return
        }
        let expected = sequences.nextExpected
        if r.refSeqNum == 0 || r.refSeqNum == expected {
            sendReject(FIXReject(r), now)
            if r.refSeqNum == expected {
                sequences.nextExpected = expected &+ 1
                if resendPending && sequences.nextExpected > resendTarget { resendPending = false }
            }
        } else if r.refSeqNum > expected {
            gap(upTo: r.refSeqNum, now)
        } else if r.possDupFlag {
            _counters.duplicatesIgnored &+= 1
        } else {
            sendReject(FIXReject(r), now)
        }
    }

    func receivedLogout(_ now: UInt64) {
        if state != .awaitingLogout { sendAdmin(FIXLogout(), now) }
        finish(.logout, closeTransport: true)
    }

    /// A SequenceReset: NewSeqNo moves the expected number forward; backwards is rejected.
    func applyNewSeqNo(_ m: FIXMessageView, _ seq: UInt64, _ now: UInt64) {
        let newSeqNo = m.uint(FIX.Tag.newSeqNo) ?? 0
        // For a gap fill, `handle` already counted this message: expected is seq + 1.
        if newSeqNo < sequences.nextExpected {
            sendReject(FIXReject(refSeqNum: seq, refTagID: FIX.Tag.newSeqNo, refMsgType: "4",
                                 reason: .valueIncorrect, text: "NewSeqNo too low"), now)
            return
        }
        sequences.nextExpected = newSeqNo
        if resendPending && newSeqNo > resendTarget { resendPending = false }
    }

    func gap(upTo seq: UInt64, _ now: UInt64) {
        if resendPending {
            _counters.droppedAwaitingResend &+= 1
            resendTarget = max(resendTarget, seq)
            return
        }
        _counters.gapsDetected &+= 1
        resendPending = true
        resendTarget = seq
        requestResend(now)
    }

    func requestResend(_ now: UInt64) {
        resendRequestedAt = now
        _counters.resendRequestsSent &+= 1
        sendAdmin(FIXResendRequest(beginSeqNo: sequences.nextExpected, endSeqNo: 0), now)
    }

    /// Resends stored application messages in `begin...end` with PossDupFlag=Y and their
    /// original SendingTime; runs of admin or forgotten messages become one gap fill each.
    func answerResendRequest(_ r: FIXResendRequest, _ now: UInt64) {
        _counters.resendRequestsReceived &+= 1
        let last = sequences.nextOutgoing &- 1
        let begin = max(r.beginSeqNo, 1)
        let end = (r.endSeqNo == 0 || r.endSeqNo > last) ? last : r.endSeqNo
        guard begin <= end else { return }
        var gapStart: UInt64 = 0
        var s = begin
        while s <= end {
            if let stored = resendStore.message(seq: s) {
                if gapStart != 0 {
                    sendGapFill(from: gapStart, to: s, now)
                    gapStart = 0
                }
                let h = FIXHeader(senderCompID: options.senderCompID, targetCompID: options.targetCompID,
                                  msgSeqNum: s, sendingTime: now, possDupFlag: true,
                                  origSendingTime: stored.sendingTime)
                let n = FIXEncoder.encode(msgType: stored.type, header: h, bodyFields: stored.fields, into: scratch)
                transmit(n, now)
                _counters.messagesResent &+= 1
            } else if gapStart == 0 {
                gapStart = s
            }
            s &+= 1
        }
        if gapStart != 0 { sendGapFill(from: gapStart, to: end &+ 1, now) }
    }

    func sendGapFill(from seq: UInt64, to newSeqNo: UInt64, _ now: UInt64) {
        let h = FIXHeader(senderCompID: options.senderCompID, targetCompID: options.targetCompID, msgSeqNum: seq,
                          sendingTime: now, possDupFlag: true, origSendingTime: now)
        transmit(FIXEncoder.encode(FIXSequenceReset(gapFillFlag: true, newSeqNo: newSeqNo), header: h, into: scratch), now)
        _counters.gapFillsSent &+= 1
    }

    /// Operator action: jumps our outgoing sequence to `newSeqNo` with a SequenceReset in
    /// reset mode (the counterparty's expected number follows). Only forwards.
    public func sendSequenceReset(newSeqNo: UInt64, now: UInt64) {
        guard state == .active, newSeqNo > sequences.nextOutgoing else { return }
        let n = FIXEncoder.encode(FIXSequenceReset(gapFillFlag: false, newSeqNo: newSeqNo),
                                  header: header(sequences.nextOutgoing, now), into: scratch)
        sequences.nextOutgoing = newSeqNo
        transmit(n, now)
    }

    // MARK: Timers

    /// Heartbeats, test requests, the heartbeat timeout, logon/logout timeouts and the
    /// re-asking of an unanswered ResendRequest. Call at least a few times per HeartBtInt.
    public func tick(now: UInt64) {
        // A stamp taken before the latest event (callers stamp once per loop turn) means no
        // time has passed, not 584 years: every elapsed-time test below subtracts.
        guard now >= stateSince && now >= lastReceivedAt else { return }
        switch state {
        case .disconnected:
            return
        case .awaitingLogon:
            if now &- stateSince >= options.logonTimeoutNanoseconds { finish(.logonTimeout, closeTransport: true) }
            return
        case .awaitingLogout:
            if now &- stateSince >= options.logoutTimeoutNanoseconds { finish(.logoutTimeout, closeTransport: true) }
            return
        case .active:
            break
        }
        guard heartBtInt > 0 else { return }
        let interval = UInt64(heartBtInt) * 1_000_000_000
        if testRequestPending {
            if now &- testRequestSentAt >= interval {
                _counters.heartbeatTimeouts &+= 1
                finish(.heartbeatTimeout, closeTransport: true)
                return
            }
        } else if now &- lastReceivedAt >= interval + interval / 5 {
            testRequestCounter &+= 1
            testRequestPending = true
            testRequestSentAt = now
            _counters.testRequestsSent &+= 1
            sendAdmin(FIXTestRequest(testReqID: FIXString(decimal: testRequestCounter)), now)
        }
        if resendPending && now &- resendRequestedAt >= 2 * interval { requestResend(now) }
        if now &- lastSentAt >= interval {
            _counters.heartbeatsSent &+= 1
            sendAdmin(FIXHeartbeat(), now)
        }
    }

    // MARK: Outbound

    /// Sends a NewOrderSingle; false when the session is not active or the transport is full
    /// (the order is then stored and will go out on the counterparty's ResendRequest).
    @discardableResult
    public func sendNewOrder(_ order: FIXNewOrderSingle, now: UInt64) -> Bool { sendApplication(order, now) }

    @discardableResult
    public func sendCancel(_ cancel: FIXOrderCancelRequest, now: UInt64) -> Bool { sendApplication(cancel, now) }

    @discardableResult
    public func sendReplace(_ replace: FIXOrderCancelReplaceRequest, now: UInt64) -> Bool {
        sendApplication(replace, now)
    }

    /// Asks the venue for an order's state (recovery); the answer is an ExecutionReport with
    /// ExecType I. False as for `sendNewOrder`.
    @discardableResult
    public func sendOrderStatusRequest(_ request: FIXOrderStatusRequest, now: UInt64) -> Bool {
        sendApplication(request, now)
    }

    /// Acceptor side (the exchange simulator).
    @discardableResult
    public func sendExecutionReport(_ report: FIXExecutionReport, now: UInt64) -> Bool { sendApplication(report, now) }

    @discardableResult
    public func sendOrderCancelReject(_ reject: FIXOrderCancelReject, now: UInt64) -> Bool {
        sendApplication(reject, now)
    }

    /// Goes through the first steps of sending `order` without sending it: encodes it as the
    /// next NewOrderSingle into the scratch buffer, hints the resend slot it would be stored
    /// in and has the transport ready the send. No sequence number is used; nothing is
    /// stored, sent or counted. An engine that sends a few orders a second calls it when
    /// idle, so that the encoder's code, its tables and these buffers are still in the cache
    /// when a real order comes. Returns the encoded length (0 when the session is not active).
    @discardableResult
    public func warmNewOrder(_ order: FIXNewOrderSingle, now: UInt64) -> Int {
        guard state == .active else { return 0 }
        let seq = sequences.nextOutgoing
        var fieldsStart = 0
        let n = FIXEncoder.encode(order, header: header(seq, now), into: scratch, bodyFieldsStart: &fieldsStart)
        resendStore.warm(seq: seq, byteCount: n &- 7 &- fieldsStart)
        transport?.warmSend(byteCount: n)
        return n
    }

    @inline(__always)
    func sendApplication<M: FIXMessageBody>(_ body: M, _ now: UInt64) -> Bool {
        guard state == .active || (hasBeenActive && options.storesWhileDisconnected) else {
            _counters.sendsRefusedNotActive &+= 1
            return false
        }
        let active = state == .active
        let seq = sequences.nextOutgoing
        var fieldsStart = 0
        let n = FIXEncoder.encode(body, header: header(seq, now), into: scratch, bodyFieldsStart: &fieldsStart)
        resendStore.store(seq: seq, type: M.msgType, sendingTime: now,
                          fields: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[fieldsStart..<(n - 7)]))
        sequences.nextOutgoing = seq &+ 1
        _counters.applicationSent &+= 1
        guard active else {
            _counters.storedWhileDisconnected &+= 1
            return true
        }
        return transmit(n, now)
    }

    @inline(__always)
    func header(_ seq: UInt64, _ now: UInt64) -> FIXHeader {
        FIXHeader(senderCompID: options.senderCompID, targetCompID: options.targetCompID, msgSeqNum: seq,
                  sendingTime: now)
    }

    func sendAdmin<M: FIXMessageBody>(_ body: M, _ now: UInt64) {
        let seq = sequences.nextOutgoing
        let n = FIXEncoder.encode(body, header: header(seq, now), into: scratch)
        sequences.nextOutgoing = seq &+ 1
        transmit(n, now)
    }

    func sendReject(_ reject: FIXReject, _ now: UInt64) {
        _counters.rejectsSent &+= 1
        sendAdmin(reject, now)
    }

    @discardableResult @inline(__always)
    func transmit(_ n: Int, _ now: UInt64) -> Bool {
        lastSentAt = now
        _counters.messagesSent &+= 1
        guard let transport, transport.send(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[0..<n])) else {
            _counters.sendFailures &+= 1
            return false
        }
        return true
    }

    func enter(_ s: State, _ now: UInt64) {
        state = s
        stateSince = now
    }

    func finish(_ reason: DisconnectReason, closeTransport: Bool) {
        state = .disconnected
        testRequestPending = false
        resendPending = false
        _counters.disconnects &+= 1
        sequences.sync()
        if closeTransport { transport?.disconnect() }
        delegate?.fixSessionDidDisconnect(self, reason: reason)
    }

    func msgTypeString(_ t: FIXMsgType) -> FIXString {
        withUnsafeBytes(of: t.rawValue) { FIXString($0)! }
    }
}
