import QuorumBook
import QuorumMarketTools
import QuorumNet
import QuorumWire

/// The exchange simulator behind `quorum sim`, on one io_uring reactor: background flow from
/// the synthetic day generator drives the matching engines; every book change goes out as
/// ITCH 5.0 in MoldUDP64 packets to one subscriber; re-requests are answered from the
/// publisher's store; one FIX 4.4 client enters orders through an acceptor session and gets
/// execution reports. Faults (dropped/reordered packets, a cut or corrupted FIX stream) are
/// injected on request.
///
/// Drive it with `step()` in a loop. Not thread-safe: one thread owns it and its reactor.
public final class Simulator: TCPListenerHandler, UDPHandler {
    public struct Options: Sendable {
        /// Where market data goes (one subscriber).
        public var feed = SocketAddress.loopback(port: 31001)
        /// Where re-request packets are received and answered from.
        public var retransmission = SocketAddress.loopback(port: 31002)
        /// The FIX acceptor.
        public var orders = SocketAddress.loopback(port: 31003)
        public var senderCompID: FIXString = "SIM"
        public var targetCompID: FIXString = "QUORUM"
        public var session = "QUORUMSIM1"
        /// The background flow: a synthetic day by seed …
        public var flow = SyntheticDay.Options(symbols: 8, messages: 1_000_000, seed: 7, targetLiveOrdersPerSymbol: 500)
        /// … or recorded day-file bytes (`Simulator.recordedFlow`), which win when set.
        public var recordedFlow: [UInt8]? = nil
        /// Flow messages per second; 0 sends as fast as the loop goes.
        public var messagesPerSecond: UInt64 = 100_000
        public var maxPacketBytes = 1400
        public var packetFaults = PacketFaults.Config()
        /// Cut the FIX connection (once) after this many messages from the simulator (nil: never).
        public var fixCutAfter: Int? = nil
        /// Hold the FIX stream (this message and what follows) for `fixDelayNanos` after this
        /// many messages to the client (nil: never).
        public var fixDelayAfter: Int? = nil
        public var fixDelayNanos: UInt64 = 0
        /// Flip one byte in outgoing FIX messages at this rate.
        public var fixCorruption: FaultRate = .never
        public var fixSequenceFile: String? = nil
        /// Send no ExecutionReport for the first N cancellations of client orders (the order
        /// is cancelled all the same): a venue that failed to report, or a report lost beyond
        /// any resend. The client learns only when its next cancel is rejected.
        public var withheldCancelReports = 0
        public init() {}
    }

    public struct Counters: Equatable, Sendable {
        public var flowMessages: UInt64 = 0
        public var clientOrders: UInt64 = 0
        public var clientCancels: UInt64 = 0
        public var clientReplaces: UInt64 = 0
        /// OrderStatusRequests answered, and how many named an order the venue never had.
        public var statusRequests: UInt64 = 0
        public var unknownStatusRequests: UInt64 = 0
        public var clientRejects: UInt64 = 0
        public var executionReports: UInt64 = 0
        public var clientFills: UInt64 = 0
        public var retransmitRequests: UInt64 = 0
        public var packetsDropped: UInt64 = 0
        public var packetsHeld: UInt64 = 0
        public var fixCuts: UInt64 = 0
        public var fixCorrupted: UInt64 = 0
        public var fixDelays: UInt64 = 0
        /// Cancellations not reported (`Options.withheldCancelReports`).
        public var cancelReportsWithheld: UInt64 = 0
        /// Packets the UDP socket had no send slot for (lost without being asked to be).
        public var feedSendsRefused: UInt64 = 0
        public init() {}
    }

    public let options: Options
    public let reactor: Reactor
    public let exchange: Exchange
    public let flow: BackgroundFlow
    public let publisher: MoldPublisher
    public let session: FIXSession
    public private(set) var counters = Counters()
    public private(set) var flowFinished = false
    public private(set) var listener: TCPListener?
    public let feedSocket: UDPSocket
    public private(set) var retransmitSocket: UDPSocket?

    /// The whole synthetic day as day-file bytes, generated before the flow starts so the
    /// send loop only decodes (generating costs as much again as matching and publishing).
    let _day: UnsafeMutableRawBufferPointer
    var _dayReader: ITCHDayFile.Reader
    public private(set) var undecodableFlow: UInt64 = 0
    var _pacer: FlowPacer?
    var _packetFaults: PacketFaults
    let _packetPool: UnsafeMutableRawBufferPointer
    var _packetLengths: [Int]
    var _freePackets: [Int]
    var _connection: _SimulatorConnection?
    let _clients = _ClientOrders(capacity: 1 << 16)
    var _nextToken: UInt64 = 1
    var _execID: UInt64 = 1
    var _streamFaults: StreamFaults
    /// FIX bytes held back by a delay fault, and until when.
    var _fixHeld: [UInt8] = []
    var _fixHoldUntil: UInt64 = 0
    var _corruptor: MessageCorruptor
    let _clientOwner = Owner(1)

    public init(reactor: Reactor, options: Options = Options()) throws(NetError) {
        self.options = options
        self.reactor = reactor
        exchange = Exchange()
        flow = BackgroundFlow(exchange: exchange)
        publisher = MoldPublisher(MoldPublisherConfig(session: SessionID(options.session),
                                                      maxPacketBytes: options.maxPacketBytes))
        let bytes = options.recordedFlow ?? SyntheticDay.bytes(options: options.flow)
        let day = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(1, bytes.count), alignment: 8)
        bytes.withUnsafeBytes { day.copyMemory(from: $0) }
        _day = day
        _dayReader = ITCHDayFile.Reader(UnsafeRawBufferPointer(rebasing: day[0..<bytes.count]))
        _packetFaults = PacketFaults(options.packetFaults)
        let slots = options.packetFaults.reorderWindow + 2
        _packetPool = .allocate(byteCount: slots * MoldUDP64.maxPacketLength, alignment: 64)
        _packetLengths = Array(repeating: 0, count: slots)
        _freePackets = Array((0..<slots).reversed())
        _streamFaults = StreamFaults(.init(delayAfter: options.fixDelayAfter, delayNanos: options.fixDelayNanos,
                                           cutAfter: options.fixCutAfter))
        _corruptor = MessageCorruptor(rate: options.fixCorruption, seed: options.packetFaults.seed)
        do {
            session = try FIXSession(options: .init(role: .acceptor, senderCompID: options.senderCompID,
                                                    targetCompID: options.targetCompID, heartBtInt: 30,
                                                    sequenceFilePath: options.fixSequenceFile,
                                                    // Reports made while the client reconnects reach it
                                                    // through its ResendRequest after the next logon.
                                                    storesWhileDisconnected: true))
        } catch {
            throw .invalidArgument(name: "FIX session", value: options.fixSequenceFile ?? "-", reason: "\(error)")
        }
        feedSocket = try reactor.udpSender(connect: options.feed)
        retransmitSocket = try reactor.udpReceiver(bind: options.retransmission, handler: self)
        listener = try reactor.listen(on: options.orders, handler: self)
        var sink = _sink(now: NetClock.now())
        exchange.startSession(timestamp: Timestamp(0), &sink)
        sink.flush()
    }

    deinit {
        _packetPool.deallocate()
        _day.deallocate()
    }

    /// The next flow message, or nil at the end of the day.
    @inline(__always)
    func _nextFlowMessage() -> ITCHMessage? {
        while true {
            guard let (_, bytes) = try? _dayReader.next() else { return nil }
            if let m = try? ITCHMessage.decode(bytes) { return m }
            undecodableFlow &+= 1
        }
    }

    /// A recorded flow: an ITCH 5.0 day file, or LOBSTER messages converted to ITCH (orders
    /// resting before the window come from `lobsterOrderbook`'s first row when given).
    public static func recordedFlow(itchFile: String) throws(MarketToolError) -> [UInt8] {
        let file = try MappedFile(path: itchFile)
        return Array(file.bytes)
    }

    public static func recordedFlow(lobsterMessages: String, orderbook: String?, levels: Int,
                                    symbol: String) throws(MarketToolError) -> [UInt8] {
        let messages = try Lobster.readMessages(path: lobsterMessages)
        var seed: Lobster.BookRow?
        if let orderbook, let first = messages.first {
            let rows = try Lobster.readBook(path: orderbook, levels: levels)
            if let row = rows.first { seed = LobsterReplayer.rowBefore(first: first, after: row) }
        }
        var out: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 2 + ITCH.maxMessageLength)
        _ = try LobsterToITCH.convert(messages, symbol: symbol, seed: seed) { (m: ITCHMessage) throws(MarketToolError) in
            let n = scratch.withUnsafeMutableBytes { raw -> Int in
                var w = ITCHDayFile.Writer(raw)
                try! w.append(m)  // the scratch buffer fits the largest message
                return w.position
            }
            out.append(contentsOf: scratch[0..<n])
        }
        return out
    }

    /// Where the FIX acceptor and the retransmission server actually listen.
    public var ordersAddress: SocketAddress { listener?.localAddress ?? options.orders }
    public var retransmissionAddress: SocketAddress { retransmitSocket?.localAddress ?? options.retransmission }

    /// Starts the clock of the flow's pacing (call when the subscriber is ready).
    public func startFlow(now: UInt64 = NetClock.now()) {
        if options.messagesPerSecond > 0 { _pacer = FlowPacer(messagesPerSecond: options.messagesPerSecond, start: now) }
        else { _pacer = nil }
        _flowStarted = true
    }
    var _flowStarted = false

    /// One turn of the loop: network completions, due flow messages, heartbeats. Returns
    /// the number of flow messages sent.
    @discardableResult
    public func step(now: UInt64 = NetClock.now()) -> Int {
        reactor.poll()
        var sent = 0
        if _flowStarted && !flowFinished {
            // Paced: what is due by now; unpaced: a batch per turn, so the loop still polls.
            let due = _pacer?.release(now: now) ?? 256
            if due > 0 {
                var sink = _sink(now: now)
                let ts = Timestamp(now % 86_400_000_000_000)
                // In chunks, and only while the socket has send slots to spare: the flow waits
                // for the kernel rather than dropping packets it was not asked to drop.
                while sent < due && feedSocket.sendSlotsFree >= 8 {
                    var chunk = 0
                    while chunk < 32 && sent < due, let m = _nextFlowMessage() {
                        flow.apply(m, timestamp: ts, &sink)
                        sent += 1
                        chunk += 1
                    }
                    if chunk == 0 { break }
                }
                if sent < due { _pacer?.giveBack(due - sent) }
                counters.flowMessages &+= UInt64(sent)
                if _dayReader.position >= _dayReader.buffer.count {
                    exchange.endSession(timestamp: ts, &sink)
                    flowFinished = true
                }
                sink.flush()
            }
        }
        _ = publisher.poll(now: now, &_packetsSink)  // heartbeats when idle
        if _fixHoldUntil != 0 && now >= _fixHoldUntil {
            _fixHoldUntil = 0
            if let c = _connection?.connection, !_fixHeld.isEmpty {
                _fixHeld.withUnsafeBytes { _ = c.send($0) }
            }
            _fixHeld.removeAll(keepingCapacity: true)
        }
        // A fresh stamp: `now` predates this poll, whose events may be later than it.
        session.tick(now: NetClock.now() &+ _wallOffset)
        return sent
    }

    /// Sends the end-of-session packet (after the flow, or to stop early).
    public func endSession(now: UInt64 = NetClock.now()) {
        publisher.endSession(now: now, &_packetsSink)
        _packetFaults.finish()
        _drainPackets()
    }

    // MARK: Sinks

    lazy var _packetsSink = _SimulatorPackets(simulator: self)
    let _wallOffset = NetClock.realTimeOffset()

    func _sink(now: UInt64) -> MoldFeed<_SimulatorReports, _SimulatorPackets> {
        MoldFeed(publisher: publisher, orders: _SimulatorReports(simulator: self), packets: _packetsSink, now: now)
    }

    /// A packet from the publisher: through the fault decisions, then out.
    func _offerPacket(_ packet: UnsafeRawBufferPointer) {
        guard let slot = _freePackets.popLast() else {
            _sendFeed(packet)  // more held than the window allows: send at once
            return
        }
        let base = _packetPool.baseAddress! + slot * MoldUDP64.maxPacketLength
        base.copyMemory(from: packet.baseAddress!, byteCount: packet.count)
        _packetLengths[slot] = packet.count
        let droppedBefore = _packetFaults.dropped
        _packetFaults.offer(slot)
        if _packetFaults.dropped != droppedBefore {
            counters.packetsDropped &+= 1
            _freePackets.append(slot)
        }
        counters.packetsHeld = _packetFaults.held
        _drainPackets()
    }

    func _drainPackets() {
        while let slot = _packetFaults.nextToSend() {
            let base = _packetPool.baseAddress! + slot * MoldUDP64.maxPacketLength
            _sendFeed(UnsafeRawBufferPointer(start: base, count: _packetLengths[slot]))
            _freePackets.append(slot)
        }
    }

    func _sendFeed(_ packet: UnsafeRawBufferPointer) {
        if !feedSocket.send(packet) { counters.feedSendsRefused &+= 1 }
    }

    // MARK: Retransmission

    public func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64,
                         on socket: UDPSocket) {
        guard let source else { return }
        counters.retransmitRequests &+= 1
        var answer = _RetransmitAnswer(socket: socket, destination: source)
        _ = publisher.answer(request: datagram, &answer)
    }

    // MARK: FIX

    public func accepted(_ connection: TCPConnection) -> (any TCPHandler)? {
        let c = _SimulatorConnection(simulator: self)
        _connection = c
        _streamFaults.reset()
        return c
    }

    func _clientOrder(_ order: FIXNewOrderSingle) {
        counters.clientOrders &+= 1
        let now = NetClock.now()
        let token = _nextToken
        _nextToken &+= 1
        _clients.begin(token: token, order)
        var sink = _sink(now: now)
        let ts = Timestamp(now % 86_400_000_000_000)
        guard let locate = _locate(order.symbol) else {
            _reportRejected(token: token, text: "unknown symbol")
            return
        }
        let type: OrderType
        switch (order.ordType, order.timeInForce) {
        case (.market, _): type = .market
        case (_, .immediateOrCancel?): type = .immediateOrCancel
        case (_, .fillOrKill?): type = .fillOrKill
        default: type = .limit
        }
        let side: Side = order.side == .buy ? .buy : .sell
        exchange.submit(NewOrder(side: side, type: type, price: order.price ?? .zero, qty: order.orderQty,
                                 owner: _clientOwner, token: ClientToken(token)),
                        locate: locate, timestamp: ts, &sink)
        sink.flush()
    }

    func _clientCancel(_ cancel: FIXOrderCancelRequest) {
        counters.clientCancels &+= 1
        let now = NetClock.now()
        guard let token = _clients.token(of: cancel.origClOrdID), let entry = _clients.entry(token), entry.live else {
            _reportCancelReject(cancel.origClOrdID, clOrdID: cancel.clOrdID, responseTo: .cancelRequest)
            return
        }
        _clients.pendingCancel(token: token, clOrdID: cancel.clOrdID)
        var sink = _sink(now: now)
        if exchange.cancel(entry.ref, locate: entry.locate, owner: _clientOwner, token: ClientToken(token),
                           timestamp: Timestamp(now % 86_400_000_000_000), &sink) == nil {
            _reportCancelReject(cancel.origClOrdID, clOrdID: cancel.clOrdID, responseTo: .cancelRequest)
        }
        sink.flush()
    }

    func _clientReplace(_ replace: FIXOrderCancelReplaceRequest) {
        counters.clientReplaces &+= 1
        let now = NetClock.now()
        guard let token = _clients.token(of: replace.origClOrdID), let entry = _clients.entry(token), entry.live else {
            _reportCancelReject(replace.origClOrdID, clOrdID: replace.clOrdID, responseTo: .cancelReplaceRequest)
            return
        }
        let newToken = _nextToken
        _nextToken &+= 1
        _clients.beginReplace(newToken: newToken, from: token, replace)
        var sink = _sink(now: now)
        let result = exchange.replace(entry.ref, locate: entry.locate, price: replace.price ?? entry.price,
                                      qty: replace.orderQty, owner: _clientOwner, token: ClientToken(newToken),
                                      timestamp: Timestamp(now % 86_400_000_000_000), &sink)
        if !result.isAccepted {
            _reportCancelReject(replace.origClOrdID, clOrdID: replace.clOrdID, responseTo: .cancelReplaceRequest)
        }
        sink.flush()
    }

    /// Answers an OrderStatusRequest with the order's state as an ExecutionReport, ExecType I:
    /// live orders are new or partially filled; finished ones filled, cancelled, or rejected
    /// (never accepted). An order never seen gets OrdStatus 8 with OrdRejReason 5 (unknown order).
    /// The ClOrdID is the one asked about (a cancelled order is still found by its original id).
    func _clientStatus(_ request: FIXOrderStatusRequest) {
        counters.statusRequests &+= 1
        guard let token = _clients.token(of: request.clOrdID), let e = _clients.entry(token) else {
            counters.unknownStatusRequests &+= 1
            _send(FIXExecutionReport(orderID: request.orderID ?? "NONE", clOrdID: request.clOrdID, execID: _nextExecID(),
                                     execType: .orderStatus, ordStatus: .rejected, symbol: request.symbol,
                                     side: request.side, leavesQty: .zero, cumQty: .zero, avgPx: .zero,
                                     ordRejReason: FIXExecutionReport.unknownOrder, text: "unknown order"))
            return
        }
        let status: FIXOrdStatus
        if e.live {
            status = e.cumQty == .zero ? .new : .partiallyFilled
        } else if e.cumQty.rawValue >= e.orderQty.rawValue {
            status = .filled
        } else if e.ref == OrderRef(0) && e.cumQty == .zero {
            status = .rejected
        } else {
            status = .canceled
        }
        // A finished order has nothing left to fill, whatever its remainder was.
        let leaves = e.live ? e.leaves : .zero
        _send(FIXExecutionReport(orderID: FIXString(decimal: e.ref.rawValue), clOrdID: request.clOrdID,
                                 execID: _nextExecID(), execType: .orderStatus, ordStatus: status, symbol: e.symbol,
                                 side: e.side, orderQty: e.orderQty, leavesQty: leaves, cumQty: e.cumQty, avgPx: e.avgPx))
    }

    func _locate(_ symbol: FIXString) -> StockLocate? {
        let stock: Stock? = symbol.withBytes { bytes in
            guard bytes.count <= 8 else { return nil }
            var v: UInt64 = 0
            for i in 0..<8 { v = v << 8 | UInt64(i < bytes.count ? bytes[i] : 0x20) }
            return Stock(rawValue: v)
        }
        return stock.flatMap { exchange.locate(of: $0) }
    }

    // MARK: Execution reports

    func _send(_ report: FIXExecutionReport) {
        counters.executionReports &+= 1
        _ = session.sendExecutionReport(report, now: NetClock.now() &+ _wallOffset)
    }

    func _nextExecID() -> FIXString {
        defer { _execID &+= 1 }
        return FIXString(decimal: _execID)
    }

    func _report(_ token: UInt64, _ type: FIXExecType, _ status: FIXOrdStatus, lastQty: Qty? = nil,
                 lastPx: Price? = nil, orig: FIXString? = nil) {
        guard let e = _clients.entry(token) else { return }
        _send(FIXExecutionReport(orderID: FIXString(decimal: e.ref.rawValue), clOrdID: e.clOrdID, origClOrdID: orig,
                                 execID: _nextExecID(), execType: type, ordStatus: status, symbol: e.symbol,
                                 side: e.side, orderQty: e.orderQty, lastQty: lastQty, lastPx: lastPx,
                                 leavesQty: e.leaves, cumQty: e.cumQty, avgPx: e.avgPx))
    }

    func _reportRejected(token: UInt64, text: FIXString) {
        counters.clientRejects &+= 1
        _clients.finish(token)
        guard let e = _clients.entry(token) else { return }
        _send(FIXExecutionReport(orderID: "NONE", clOrdID: e.clOrdID, execID: _nextExecID(), execType: .rejected,
                                 ordStatus: .rejected, symbol: e.symbol, side: e.side, orderQty: e.orderQty,
                                 leavesQty: .zero, cumQty: .zero, avgPx: .zero, text: text))
    }

    func _reportCancelReject(_ orig: FIXString, clOrdID: FIXString, responseTo: FIXCxlRejResponseTo) {
        counters.clientRejects &+= 1
        _ = session.sendOrderCancelReject(
            FIXOrderCancelReject(orderID: "NONE", clOrdID: clOrdID, origClOrdID: orig, ordStatus: .rejected,
                                 cxlRejResponseTo: responseTo, cxlRejReason: 1),
            now: NetClock.now() &+ _wallOffset)
    }

    func _accepted(_ e: OrderAccepted) {
        guard e.order.owner == _clientOwner else { return }
        _clients.accepted(token: e.order.token.rawValue, ref: e.ref, locate: e.locate)
        _report(e.order.token.rawValue, .new, .new)
    }

    func _filled(_ f: Fill) {
        for party in [f.aggressor, f.resting] where party.owner == _clientOwner {
            let token = party.token.rawValue
            counters.clientFills &+= 1
            _clients.filled(token: token, qty: f.qty, price: f.price, leaves: party.leaves)
            _report(token, .trade, party.leaves == .zero ? .filled : .partiallyFilled, lastQty: f.qty, lastPx: f.price)
        }
    }

    func _cancelled(_ c: OrderCancelled) {
        guard c.owner == _clientOwner else { return }
        let token = c.token.rawValue
        let orig = _clients.entry(token)?.clOrdID
        let cancelID = _clients.takePendingCancel(token)
        _clients.finish(token)
        if counters.cancelReportsWithheld < UInt64(options.withheldCancelReports) {
            counters.cancelReportsWithheld &+= 1
            return
        }
        if let cancelID {
            _clients.setClOrdID(token, cancelID)
            _report(token, .canceled, .canceled, orig: orig)
        } else {
            _report(token, .canceled, .canceled)  // IOC/FOK remainder, market order without liquidity
        }
    }

    func _replaced(_ r: OrderReplaced) {
        guard r.owner == _clientOwner else { return }
        let orig = _clients.entry(r.oldToken.rawValue)?.clOrdID
        _clients.replaced(old: r.oldToken.rawValue, new: r.newToken.rawValue, ref: r.newRef, price: r.price, qty: r.qty)
        _report(r.newToken.rawValue, .replaced, .new, orig: orig)
    }

    func _rejected(_ r: OrderRejected) {
        guard r.owner == _clientOwner else { return }
        if r.request == .new { _reportRejected(token: r.token.rawValue, text: FIXString("\(r.reason)")) }
    }

    /// Outgoing FIX bytes: through the stream faults (cut, corrupt), then the connection.
    func _sendFIX(_ bytes: UnsafeRawBufferPointer, on connection: TCPConnection) -> Bool {
        switch _streamFaults.next() {
        case .cut where counters.fixCuts == 0:  // one cut per run: the reconnect must get through
            counters.fixCuts &+= 1
            _fixHeld.removeAll(keepingCapacity: true)
            connection.close()
            return false
        case .delay(let nanos):
            counters.fixDelays &+= 1
            _fixHoldUntil = NetClock.now() &+ nanos
        default:
            break
        }
        if _fixHoldUntil != 0 {
            // Held: queue behind what is already held; `step` releases it all when due.
            _fixHeld.append(contentsOf: bytes)
            return true
        }
        if options.fixCorruption != .never {
            return connection.withSendBuffer(maximum: bytes.count) { out in
                out.copyMemory(from: bytes)
                if _corruptor.corrupt(UnsafeMutableRawBufferPointer(rebasing: out[0..<bytes.count])) != nil {
                    counters.fixCorrupted &+= 1
                }
                return bytes.count
            }
        }
        return connection.send(bytes)
    }
}

/// The client's orders by token: what the execution reports need.
final class _ClientOrders {
    struct Entry {
        var clOrdID: FIXString
        var symbol: FIXString
        var side: FIXSide
        var orderQty: Qty
        var cumQty: Qty = .zero
        var notional: UInt64 = 0
        var price: Price
        var ref = OrderRef(0)
        var locate = StockLocate(0)
        var live = false
        var leaves: Qty { Qty(orderQty.rawValue &- cumQty.rawValue) }
        var avgPx: Price { cumQty == .zero ? .zero : Price(UInt32(notional / UInt64(cumQty.rawValue))) }
    }

    let capacity: Int
    var entries: [Entry?]
    var tokens: [FIXString: UInt64] = [:]
    var pendingCancels: [UInt64: FIXString] = [:]

    init(capacity: Int) {
        self.capacity = capacity
        entries = Array(repeating: nil, count: capacity)
        tokens.reserveCapacity(capacity)
    }

    func entry(_ token: UInt64) -> Entry? { entries[Int(token % UInt64(capacity))] }
    func token(of clOrdID: FIXString) -> UInt64? { tokens[clOrdID] }

    func begin(token: UInt64, _ o: FIXNewOrderSingle) {
        let slot = Int(token % UInt64(capacity))
        if let old = entries[slot] { tokens[old.clOrdID] = nil }
        entries[slot] = Entry(clOrdID: o.clOrdID, symbol: o.symbol, side: o.side, orderQty: o.orderQty, price: o.price ?? .zero)
        tokens[o.clOrdID] = token
    }

    func beginReplace(newToken: UInt64, from token: UInt64, _ r: FIXOrderCancelReplaceRequest) {
        guard var e = entry(token) else { return }
        e.clOrdID = r.clOrdID
        let slot = Int(newToken % UInt64(capacity))
        if let old = entries[slot] { tokens[old.clOrdID] = nil }
        entries[slot] = e
        entries[slot]!.live = false
    }

    func accepted(token: UInt64, ref: OrderRef, locate: StockLocate) {
        let slot = Int(token % UInt64(capacity))
        entries[slot]?.ref = ref
        entries[slot]?.locate = locate
        entries[slot]?.live = true
    }

    func filled(token: UInt64, qty: Qty, price: Price, leaves: Qty) {
        let slot = Int(token % UInt64(capacity))
        guard var e = entries[slot] else { return }
        e.cumQty = Qty(e.cumQty.rawValue &+ qty.rawValue)
        e.notional &+= UInt64(qty.rawValue) * UInt64(price.rawValue)
        if leaves == .zero { e.live = false }
        entries[slot] = e
    }

    func replaced(old: UInt64, new: UInt64, ref: OrderRef, price: Price, qty: Qty) {
        let oldSlot = Int(old % UInt64(capacity))
        let newSlot = Int(new % UInt64(capacity))
        entries[oldSlot]?.live = false
        guard var e = entries[newSlot] else { return }
        e.ref = ref
        e.price = price
        e.orderQty = Qty(e.cumQty.rawValue &+ qty.rawValue)  // the replace sets what is left to fill
        e.live = true
        entries[newSlot] = e
        tokens[e.clOrdID] = new
    }

    func finish(_ token: UInt64) { entries[Int(token % UInt64(capacity))]?.live = false }
    func setClOrdID(_ token: UInt64, _ id: FIXString) { entries[Int(token % UInt64(capacity))]?.clOrdID = id }
    func pendingCancel(token: UInt64, clOrdID: FIXString) { pendingCancels[token] = clOrdID }
    func takePendingCancel(_ token: UInt64) -> FIXString? { pendingCancels.removeValue(forKey: token) }
}

/// Matching events → the client's execution reports.
struct _SimulatorReports: MatchingEvents {
    unowned let simulator: Simulator
    mutating func accepted(_ event: OrderAccepted) { simulator._accepted(event) }
    mutating func rejected(_ event: OrderRejected) { simulator._rejected(event) }
    mutating func filled(_ event: Fill) { simulator._filled(event) }
    mutating func cancelled(_ event: OrderCancelled) { simulator._cancelled(event) }
    mutating func replaced(_ event: OrderReplaced) { simulator._replaced(event) }
}

/// Packets from the publisher → the fault decisions → the feed socket.
struct _SimulatorPackets: MoldPacketSink {
    unowned let simulator: Simulator
    mutating func send(_ packet: UnsafeRawBufferPointer) { simulator._offerPacket(packet) }
}

/// Retransmission answers go straight to whoever asked.
struct _RetransmitAnswer: MoldPacketSink {
    let socket: UDPSocket
    let destination: SocketAddress
    mutating func send(_ packet: UnsafeRawBufferPointer) { _ = socket.send(packet, to: destination) }
}

/// The simulator's end of the client's TCP connection, bound to its acceptor session.
final class _SimulatorConnection: TCPHandler, FIXSessionTransport, FIXSessionDelegate {
    unowned let simulator: Simulator
    var connection: TCPConnection?

    init(simulator: Simulator) { self.simulator = simulator }

    var wallNow: UInt64 { NetClock.now() &+ simulator._wallOffset }

    func connected(_ connection: TCPConnection) {
        self.connection = connection
        simulator.session.transport = self
        simulator.session.delegate = self
        simulator.session.connected(now: wallNow)
    }

    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        simulator.session.received(bytes, now: receiveNanos &+ simulator._wallOffset)
    }

    func closed(_ connection: TCPConnection, error: NetError?) {
        if self.connection === connection { self.connection = nil }
        if simulator.session.transport === self { simulator.session.transportClosed(now: wallNow) }
    }

    func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let connection else { return false }
        return simulator._sendFIX(bytes, on: connection)
    }

    func disconnect() { connection?.close() }

    func fixSession(_ session: FIXSession, didReceive order: FIXNewOrderSingle, message: FIXMessageView) {
        simulator._clientOrder(order)
    }
    func fixSession(_ session: FIXSession, didReceive cancel: FIXOrderCancelRequest, message: FIXMessageView) {
        simulator._clientCancel(cancel)
    }
    func fixSession(_ session: FIXSession, didReceive replace: FIXOrderCancelReplaceRequest, message: FIXMessageView) {
        simulator._clientReplace(replace)
    }
    func fixSession(_ session: FIXSession, didReceive statusRequest: FIXOrderStatusRequest, message: FIXMessageView) {
        simulator._clientStatus(statusRequest)
    }
}
