import QuorumNet
import QuorumWire

/// The exchange side of the tick-to-trade benchmark: it publishes one ITCH packet over
/// MoldUDP64 that narrows a symbol's spread, stamps it as the send is submitted, and stamps
/// the order that answers it when its TCP completion is reaped — wire to wire on loopback,
/// one packet in flight at a time.
///
/// Set-up: a stock directory and a book of one bid and one ask `openSpreadTicks` apart.
/// Each trigger packet carries two messages: delete the previous trigger's ask, then add a
/// new ask one tick above the bid. A trader that crosses narrow spreads answers each packet
/// with exactly one order (the delete widens the spread, the add narrows it again), and so
/// does a reflex that answers every datagram — the same packet serves both.
///
/// The order side speaks either a FIX 4.4 acceptor session (Quorum logs on) or raw framing
/// (any FIX message counts as an order: the C reflex sends orders without a session).
///
/// Not thread-safe: run it on its own thread with its own reactor.
public final class TickToTradeVenue: TCPListenerHandler, FIXSessionDelegate {
    public enum OrderSide: Sendable { case fixSession, rawFIX }

    public struct Options: Sendable {
        public var stock = Stock("QRM")
        public var locate = StockLocate(1)
        /// Best bid; the ask starts `openSpreadTicks` above it.
        public var bid = Price(1_000_000)
        public var tickSize: UInt32 = 100
        public var openSpreadTicks: UInt32 = 10
        public var senderCompID: FIXString = "SIM"
        public var targetCompID: FIXString = "QUORUM"
        public init() {}
    }

    public let reactor: Reactor
    public let options: Options
    public let mode: OrderSide
    public private(set) var listener: TCPListener?
    public let feed: UDPSocket
    public private(set) var session: FIXSession?

    public private(set) var ordersReceived: UInt64 = 0
    public private(set) var lastOrderNanos: UInt64 = 0
    public private(set) var garbledBytes: UInt64 = 0
    /// The trader's connection: a FIX session handler, or raw framing for the reflex.
    var _fix: FIXTCPHandler?
    var _raw: _RawOrderCounter?
    let _publisher: MoldPublisher
    var _packets: _UDPPackets
    var _nextRef: UInt64 = 1
    var _liveTriggerRef: UInt64 = 0
    var _tracking: UInt16 = 0

    /// Listens for orders on `orders` and sends market data to `feedDestination`.
    public init(reactor: Reactor, mode: OrderSide, orders: SocketAddress, feedDestination: SocketAddress,
                options: Options = Options()) throws(NetError) {
        self.reactor = reactor
        self.mode = mode
        self.options = options
        _publisher = MoldPublisher(MoldPublisherConfig(session: SessionID("TICK2TRADE"), maxMessagesPerPacket: 2,
                                                       storeMessages: 1 << 16, storeBytes: 1 << 22))
        feed = try reactor.udpSender(connect: feedDestination)
        _packets = _UDPPackets(socket: feed)
        if mode == .fixSession {
            do {
                session = try FIXSession(options: .init(role: .acceptor, senderCompID: options.senderCompID,
                                                        targetCompID: options.targetCompID, heartBtInt: 30))
            } catch {
                throw .invalidArgument(name: "FIX acceptor session", value: "\(options.senderCompID)", reason: "\(error)")
            }
        }
        listener = try reactor.listen(on: orders, handler: self)
    }

    /// Where the trader connects for orders (the port is known once listening).
    public var localOrderAddress: SocketAddress { listener?.localAddress ?? .loopback() }

    /// Whether a trader is connected (and, with a FIX session, logged on).
    public var traderReady: Bool {
        switch mode {
        case .fixSession: return _fix?.connection?.state == .open && session?.state == .active
        case .rawFIX: return _raw?.connection?.state == .open
        }
    }

    public func accepted(_ connection: TCPConnection) -> (any TCPHandler)? {
        if let session {
            session.delegate = self
            let handler = FIXTCPHandler(session: session)
            _fix = handler
            return handler
        }
        let handler = _RawOrderCounter(venue: self)
        _raw = handler
        return handler
    }

    public func fixSession(_ session: FIXSession, didReceive order: FIXNewOrderSingle, message: FIXMessageView) {
        _orderArrived(at: _fix?.lastReceiveNanos ?? NetClock.now())
    }

    /// Publishes the directory and the opening book (untimed).
    public func publishOpeningBook(now: UInt64) {
        let h = ITCH.Header(stockLocate: options.locate, trackingNumber: 0, timestamp: Timestamp(0))
        _publish(.systemEvent(ITCH.SystemEvent(header: h, eventCode: UInt8(ascii: "Q"))), now)
        _publish(.stockDirectory(ITCH.StockDirectory(
            header: h, stock: options.stock, marketCategory: UInt8(ascii: "Q"), financialStatusIndicator: UInt8(ascii: "N"),
            roundLotSize: 100, roundLotsOnly: UInt8(ascii: "N"), issueClassification: UInt8(ascii: "C"),
            issueSubType: 0x2020, authenticity: UInt8(ascii: "P"), shortSaleThresholdIndicator: UInt8(ascii: "N"),
            ipoFlag: UInt8(ascii: " "), luldReferencePriceTier: UInt8(ascii: "1"), etpFlag: UInt8(ascii: "N"),
            etpLeverageFactor: 0, inverseIndicator: UInt8(ascii: "N"))), now)
        _publish(.addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(_takeRef()), side: .buy, shares: Qty(1000),
                                         stock: options.stock, price: options.bid)), now)
        let ask = Price(options.bid.rawValue + options.openSpreadTicks * options.tickSize)
        _publish(.addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(_takeRef()), side: .sell, shares: Qty(1000),
                                         stock: options.stock, price: ask)), now)
        _publisher.flush(now: now, &_packets)
        reactor.submitPending()
    }

    /// Sends one trigger packet; returns the stamp taken as its send was submitted.
    public func sendTrigger() -> UInt64 {
        let now = NetClock.now()
        _tracking &+= 1
        let h = ITCH.Header(stockLocate: options.locate, trackingNumber: _tracking, timestamp: Timestamp(now % 86_400_000_000_000))
        if _liveTriggerRef != 0 {
            _publish(.orderDelete(ITCH.OrderDelete(header: h, orderRef: OrderRef(_liveTriggerRef))), now)
        }
        _liveTriggerRef = _takeRef()
        _publish(.addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(_liveTriggerRef), side: .sell, shares: Qty(100),
                                         stock: options.stock,
                                         price: Price(options.bid.rawValue + options.tickSize))), now)
        _publisher.flush(now: now, &_packets)
        let stamp = NetClock.now()
        reactor.submitPending()
        return stamp
    }

    /// Busy-polls until one more order arrives or `timeoutNanoseconds` pass; returns the
    /// order's receive stamp, or nil on timeout.
    /// `alsoPolling`: the trader's reactor when both ends share this thread.
    public func awaitOrder(after count: UInt64, timeoutNanoseconds: UInt64, alsoPolling other: Reactor? = nil) -> UInt64? {
        let end = NetClock.now() &+ timeoutNanoseconds
        while ordersReceived <= count {
            other?.poll()
            reactor.poll()
            if NetClock.now() > end { return nil }
        }
        return lastOrderNanos
    }

    func _publish(_ m: ITCHMessage, _ now: UInt64) { _publisher.publish(m, now: now, &_packets) }
    func _takeRef() -> UInt64 {
        defer { _nextRef &+= 1 }
        return _nextRef
    }

    func _orderArrived(at nanos: UInt64) {
        ordersReceived &+= 1
        lastOrderNanos = nanos
    }
}

/// Sends each MoldUDP64 packet as one datagram on a connected UDP socket.
struct _UDPPackets: MoldPacketSink {
    let socket: UDPSocket
    mutating func send(_ packet: UnsafeRawBufferPointer) { _ = socket.send(packet) }
}

/// The venue's end of the C reflex's connection: no session, every complete
/// "…\u{1}10=NNN\u{1}" is one order.
final class _RawOrderCounter: TCPHandler {
    unowned let venue: TickToTradeVenue
    var connection: TCPConnection?

    init(venue: TickToTradeVenue) { self.venue = venue }

    func connected(_ connection: TCPConnection) { self.connection = connection }

    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        var consumed = 0
        var i = 0
        let n = bytes.count
        while i + 7 < n {
            if bytes[i] == 0x01 && bytes[i + 1] == UInt8(ascii: "1") && bytes[i + 2] == UInt8(ascii: "0")
                && bytes[i + 3] == UInt8(ascii: "=") && bytes[i + 7] == 0x01
            {
                i += 8
                consumed = i
                venue._orderArrived(at: receiveNanos)
            } else {
                i += 1
            }
        }
        return consumed
    }

    func closed(_ connection: TCPConnection, error: NetError?) {
        if self.connection === connection { self.connection = nil }
    }
}
