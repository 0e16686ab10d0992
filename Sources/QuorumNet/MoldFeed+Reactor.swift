import QuorumBook
import QuorumWire

/// A MoldUDP64 feed on a reactor: a UDP receiver bound to the feed's address feeding a
/// `MoldFeedReceiver`, whose re-requests leave from the same socket to the retransmission
/// address (so the answers come back to it) and whose timeouts are reactor timers.
/// Not thread-safe.
public final class MoldFeedClient: UDPHandler, TimerHandler, MoldRequestSender {
    public let receiver: MoldFeedReceiver
    public let socket: UDPSocket
    /// Where re-requests go. Settable (on the reactor's thread) because an in-process venue
    /// binds its retransmission socket only after it knows where this feed listens.
    public var retransmission: SocketAddress
    unowned(unsafe) let _reactor: Reactor
    var _timer = TimerID.invalid
    let _request: UnsafeMutableRawBufferPointer
    /// Re-requests the socket refused (no free send slot).
    public private(set) var requestsRefused: UInt64 = 0

    public init(reactor: Reactor, bind: SocketAddress, retransmission: SocketAddress, sink: any MoldFeedSink,
                options: MoldFeedReceiver.Options = .init(), bufferCount: Int = 256,
                receiveBufferBytes: Int32? = 4 << 20) throws(NetError) {
        _reactor = reactor
        self.retransmission = retransmission
        receiver = MoldFeedReceiver(sink: sink, options: options)
        _request = .allocate(byteCount: MoldUDP64.headerLength, alignment: 8)
        // A placeholder handler until self is complete; replaced right below.
        socket = try reactor.udpReceiver(bind: bind, handler: _MoldPlaceholder.shared, bufferCount: bufferCount,
                                         bufferSize: MoldUDP64.maxPacketLength, receiveBufferBytes: receiveBufferBytes)
        socket._handler = self
        receiver.requester = self
    }

    deinit { _request.deallocate() }

    public func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {
        receiver.receive(datagram, at: receiveNanos)
    }

    public func sendRequest(_ request: MoldUDP64.RequestPacket, deadline: UInt64) {
        // Safe: the buffer holds exactly one header.
        _ = try? request.encode(into: _request)
        if !socket.send(UnsafeRawBufferPointer(_request), to: retransmission) { requestsRefused &+= 1 }
        _reactor.cancel(_timer)
        let now = NetClock.now()
        _timer = _reactor.schedule(after: Int64(deadline > now ? deadline - now : 0), self)
    }

    public func timerFired(token: UInt64, at nowNanos: UInt64) {
        _timer = .invalid
        receiver.tick(now: nowNanos)
    }

    public func close() {
        _reactor.cancel(_timer)
        socket.close()
    }
}

final class _MoldPlaceholder: UDPHandler {
    nonisolated(unsafe) static let shared = _MoldPlaceholder()
    func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {}
}

/// Feeds each ITCH message of a feed into a `BookManager`, with `events` receiving the
/// books' changes. Messages that do not decode are counted. Not thread-safe.
public final class BookFeedSink<Events: OrderBookEvents>: MoldFeedSink {
    public var books: BookManager
    public var events: Events
    public private(set) var applied: UInt64 = 0
    public private(set) var undecodable: UInt64 = 0
    public private(set) var lostMessages: UInt64 = 0
    public private(set) var lastReceiveNanos: UInt64 = 0
    public private(set) var sessionEnded = false

    public init(books: consuming BookManager, events: Events) {
        self.books = books
        self.events = events
    }

    public func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64) {
        do {
            // Order messages straight from their bytes; the rest through the decoder.
            try books.apply(bytes: bytes, sequence: sequence, &events)
        } catch {
            undecodable &+= 1
            return
        }
        lastReceiveNanos = receiveNanos
        applied &+= 1
    }

    public func lost(from sequence: UInt64, count: UInt64) { lostMessages &+= count }
    public func endOfSession(nextSequence: UInt64) { sessionEnded = true }
}
