import QuorumWire

/// A SoupBinTCP 3.0 client session on a reactor: logs in, delivers sequenced data to a
/// `MoldFeedSink` (numbered from the sequence number the server accepted), sends a client
/// heartbeat every `heartbeatIntervalNanos`, and drops the session when the server has been
/// silent for `serverSilenceNanos`. Not thread-safe.
public final class SoupBinClient: TCPHandler, TimerHandler {
    public enum State: Equatable, Sendable {
        case idle, connecting, loggingIn, loggedIn
        case rejected(reason: UInt8)
        case loggedOut
        /// The server sent End of Session.
        case ended
        /// The server said nothing for longer than `serverSilenceNanos`.
        case serverSilent
        /// A packet did not decode; the session was dropped.
        case protocolError(String)
        /// The connection closed (refused, reset, peer closed) before a clean end.
        case disconnected(NetError?)
    }

    public struct Options: Sendable {
        public var heartbeatIntervalNanos: Int64 = 1_000_000_000
        public var serverSilenceNanos: UInt64 = 15_000_000_000
        public init() {}
    }

    unowned(unsafe) let _reactor: Reactor
    public let server: SocketAddress
    public let login: SoupBinTCP.LoginRequest
    public let options: Options
    let sink: any MoldFeedSink
    public private(set) var state: State = .idle
    public private(set) var connection: TCPConnection?
    /// The session the server accepted, and the sequence of the next message.
    public private(set) var session: SessionID?
    public private(set) var nextSequence: UInt64 = 0
    public private(set) var messagesDelivered: UInt64 = 0
    public private(set) var serverHeartbeats: UInt64 = 0
    public private(set) var heartbeatsSent: UInt64 = 0
    var _lastHeard: UInt64 = 0
    var _timer = TimerID.invalid

    public init(reactor: Reactor, server: SocketAddress, login: SoupBinTCP.LoginRequest, sink: any MoldFeedSink,
                options: Options = .init()) {
        _reactor = reactor
        self.server = server
        self.login = login
        self.sink = sink
        self.options = options
    }

    /// Connects and logs in; progress shows in `state`.
    public func start() throws(NetError) {
        state = .connecting
        connection = try _reactor.connect(to: server, handler: self)
    }

    /// Sends a Logout Request and closes the connection once it is out.
    public func logout() {
        guard let c = connection, state == .loggedIn || state == .loggingIn else { return }
        _send(.logoutRequest, on: c)
        state = .loggedOut
        c.close()
    }

    func _send(_ packet: SoupBinTCP.Packet, on c: TCPConnection) {
        c.withSendBuffer(maximum: packet.encodedLength) { buffer in (try? packet.encode(into: buffer)) ?? 0 }
    }

    public func connected(_ c: TCPConnection) {
        state = .loggingIn
        _lastHeard = NetClock.now()
        _send(.loginRequest(login), on: c)
        _timer = _reactor.schedule(after: options.heartbeatIntervalNanos, self)
    }

    public func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on c: TCPConnection) -> Int {
        _lastHeard = receiveNanos
        var at = 0
        while at < bytes.count {
            let decoded: (packet: SoupBinTCP.Packet, consumed: Int)?
            do {
                decoded = try SoupBinTCP.decode(UnsafeRawBufferPointer(rebasing: bytes[at...]))
            } catch {
                state = .protocolError("\(error)")
                c.close()
                return bytes.count
            }
            guard let (packet, consumed) = decoded else { break }
            at += consumed
            switch packet {
            case .loginAccepted(let s, let sequence):
                session = s
                nextSequence = sequence
                state = .loggedIn
            case .loginRejected(let reason):
                state = .rejected(reason: reason)
                c.close()
                return bytes.count
            case .sequencedData(let message):
                messagesDelivered &+= 1
                let sequence = nextSequence
                nextSequence &+= 1
                sink.message(message, sequence: sequence, receiveNanos: receiveNanos)
            case .serverHeartbeat:
                serverHeartbeats &+= 1
            case .endOfSession:
                state = .ended
                sink.endOfSession(nextSequence: nextSequence)
                c.close()
                return bytes.count
            default:
                break  // debug, or client-side packets a server should not send
            }
        }
        return at
    }

    public func closed(_ c: TCPConnection, error: NetError?) {
        _reactor.cancel(_timer)
        _timer = .invalid
        connection = nil
        switch state {
        case .connecting, .loggingIn, .loggedIn: state = .disconnected(error)
        default: break
        }
    }

    public func timerFired(token: UInt64, at nowNanos: UInt64) {
        _timer = .invalid
        guard let c = connection, state == .loggingIn || state == .loggedIn else { return }
        if nowNanos &- _lastHeard > options.serverSilenceNanos {
            state = .serverSilent
            c.close()
            return
        }
        _send(.clientHeartbeat, on: c)
        heartbeatsSent &+= 1
        _timer = _reactor.schedule(after: options.heartbeatIntervalNanos, self)
    }
}
