internal import CURing
import Glibc

/// Receives a TCP connection's events. Called on the reactor's thread from `poll`.
public protocol TCPHandler: AnyObject {
    /// The connection is open (outgoing: connect succeeded; incoming: accepted).
    func connected(_ connection: TCPConnection)
    /// Bytes arrived: `bytes` is everything received and not yet consumed. Return how many
    /// bytes were consumed from the front; the rest is kept and offered again, after it, when
    /// more arrives. Stamp: when the completion was reaped.
    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int
    /// The connection is closed and its socket released. `error` is nil after `close()`;
    /// otherwise why: `.connectFailed`, `.peerClosed`, `.io`, `.receiveBufferFull`.
    func closed(_ connection: TCPConnection, error: NetError?)
    /// The send buffer emptied after a `send` had been refused for lack of room.
    func sendBufferDrained(_ connection: TCPConnection)
}

extension TCPHandler {
    public func sendBufferDrained(_ connection: TCPConnection) {}
}

/// Hands each accepted connection its handler.
public protocol TCPListenerHandler: AnyObject {
    /// Return the connection's handler, or nil to close it at once.
    func accepted(_ connection: TCPConnection) -> (any TCPHandler)?
}

/// Hints the cache line at `p` for writing; no fault, no effect on state (the warm-up of a
/// rarely taken send path: `FIXSession.warmNewOrder`).
@inline(__always)
func _prefetchForWrite(_ p: UnsafeRawPointer) { curing_prefetch_write(p) }

/// One TCP connection on a reactor, with a preallocated receive buffer and send buffer.
///
/// Sending copies into the send buffer and submits one send at a time for everything
/// pending; a partial send continues with the rest when it completes. Receiving keeps one
/// recv armed into the free end of the receive buffer. Not thread-safe.
public final class TCPConnection {
    public enum State: Sendable, Equatable { case connecting, open, closing, closed }

    // Safe: the reactor holds every connection in its table and outlives it.
    unowned(unsafe) let _reactor: Reactor
    let _index: Int
    let fd: Int32
    var _fdOpen = true
    var _handler: (any TCPHandler)?
    public internal(set) var state: State
    /// The peer (connect target, or the accepted peer's address).
    public let remoteAddress: SocketAddress

    let _recv: UnsafeMutableRawPointer
    public let receiveCapacity: Int
    var _recvFilled = 0

    let _send: UnsafeMutableRawPointer
    public let sendCapacity: Int
    var _sendHead = 0
    var _sendTail = 0
    var _sendInFlight = 0
    var _sendRefusedSinceDrain = false
    var _closeAfterFlush = false
    var _closeError: NetError?
    var _opsInFlight = 0
    let _peer: UnsafeMutablePointer<sockaddr_in>

    /// Bytes received / sent (completed) so far.
    public private(set) var bytesReceived: UInt64 = 0
    public private(set) var bytesSent: UInt64 = 0
    /// recv completions with data.
    public private(set) var receives: UInt64 = 0
    /// send completions, and those that sent less than asked (the rest followed).
    public private(set) var sendCompletions: UInt64 = 0
    public private(set) var partialSends: UInt64 = 0
    /// `send` calls refused because the send buffer had no room (back-pressure).
    public private(set) var sendsRefused: UInt64 = 0

    init(reactor: Reactor, index: Int, fd: Int32, state: State, remote: SocketAddress) {
        _reactor = reactor
        _index = index
        self.fd = fd
        self.state = state
        remoteAddress = remote
        receiveCapacity = reactor.options.tcpReceiveBufferCapacity
        sendCapacity = reactor.options.tcpSendBufferCapacity
        _recv = .allocate(byteCount: receiveCapacity, alignment: 64)
        _send = .allocate(byteCount: sendCapacity, alignment: 64)
        _peer = .allocate(capacity: 1)
        _peer.initialize(to: remote._sockaddr)
    }

    deinit {
        _recv.deallocate()
        _send.deallocate()
        _peer.deallocate()
    }

    /// Bytes waiting in the send buffer (not yet acknowledged by a send completion).
    public var sendPending: Int { _sendTail - _sendHead }
    /// Room for `send` right now, in one piece.
    public var sendSpace: Int { sendCapacity - _sendTail }

    /// Copies `bytes` into the send buffer and submits it (when open; while connecting it is
    /// sent on connect). Returns false — nothing copied, `sendsRefused` counted — when it
    /// does not fit or the connection is closing.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        guard n > 0 else { return true }
        guard (state == .open || state == .connecting) && !_closeAfterFlush, _room(n) else {
            sendsRefused &+= 1
            _sendRefusedSinceDrain = true
            return false
        }
        (_send + _sendTail).copyMemory(from: bytes.baseAddress.unsafelyUnwrapped, byteCount: n)
        _sendTail += n
        _kickSend()
        return true
    }

    /// Hints the memory the next `send` of `byteCount` bytes writes — the send buffer where
    /// it will be copied and the submission queue entry — changing nothing.
    public func warmSend(byteCount: Int) {
        var at = _sendTail
        let end = Swift.min(sendCapacity, _sendTail &+ Swift.max(0, byteCount))
        while at < end {
            _prefetchForWrite(_send + at)
            at &+= 64
        }
        _reactor.warmSubmission()
    }

    /// Lets `encode` write up to `maximum` bytes straight into the send buffer; it returns
    /// how many it wrote (0...maximum), which are then submitted. Returns false (refused,
    /// counted, `encode` not called) when `maximum` bytes do not fit.
    @discardableResult
    public func withSendBuffer(maximum: Int, _ encode: (UnsafeMutableRawBufferPointer) -> Int) -> Bool {
        guard maximum >= 0, (state == .open || state == .connecting) && !_closeAfterFlush, _room(maximum) else {
            sendsRefused &+= 1
            _sendRefusedSinceDrain = true
            return false
        }
        let written = encode(UnsafeMutableRawBufferPointer(start: _send + _sendTail, count: maximum))
        precondition(written >= 0 && written <= maximum, "withSendBuffer: encoder wrote \(written) of \(maximum)")
        _sendTail += written
        if written > 0 { _kickSend() }
        return true
    }

    @inline(__always)
    func _room(_ n: Int) -> Bool {
        if sendCapacity - _sendTail >= n { return true }
        // Compact only when no send is in flight (the kernel may be reading [head, tail)).
        guard _sendInFlight == 0, sendCapacity - (_sendTail - _sendHead) >= n else { return false }
        _compactSend()
        return true
    }

    func _compactSend() {
        let pending = _sendTail - _sendHead
        if pending > 0 && _sendHead > 0 { _send.copyMemory(from: _send + _sendHead, byteCount: pending) }
        _sendHead = 0
        _sendTail = pending
    }

    @inline(__always)
    func _kickSend() {
        if state == .open && _sendInFlight == 0 && _sendTail > _sendHead { _submitSend() }
    }

    func _submitSend() {
        let sqe = _reactor._sqe()
        let n = _sendTail - _sendHead
        io_uring_prep_send(sqe, fd, _send + _sendHead, n, Int32(MSG_NOSIGNAL))
        sqe.pointee.user_data = Reactor._tag(.send, _index)
        _sendInFlight = n
        _opsInFlight += 1
    }

    func _armRecv() {
        let sqe = _reactor._sqe()
        io_uring_prep_recv(sqe, fd, _recv + _recvFilled, receiveCapacity - _recvFilled, 0)
        sqe.pointee.user_data = Reactor._tag(.recv, _index)
        _opsInFlight += 1
    }

    func _armConnect() {
        let sqe = _reactor._sqe()
        _peer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            io_uring_prep_connect(sqe, fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        sqe.pointee.user_data = Reactor._tag(.connect, _index)
        _opsInFlight += 1
    }

    /// Closes the connection: pending sends are flushed first, then the socket is shut
    /// down; `closed(_:error: nil)` follows from `poll` once nothing is in flight.
    public func close() {
        switch state {
        case .closing, .closed: return
        case .connecting: _beginClose()
        case .open:
            if _sendTail > _sendHead { _closeAfterFlush = true } else { _beginClose() }
        }
    }

    func _fail(_ error: NetError) {
        if _closeError == nil { _closeError = error }
        _beginClose()
    }

    func _beginClose() {
        guard state != .closing && state != .closed else { return }
        state = .closing
        _Sockets.shutdownBoth(fd)
        if _opsInFlight > 0 { _reactor._cancelAll(fd: fd) }
        _finishIfIdle()
    }

    func _finishIfIdle() {
        guard state == .closing, _opsInFlight == 0 else { return }
        state = .closed
        _Sockets.close(fd)
        _fdOpen = false
        let handler = _handler
        _handler = nil
        _reactor._releaseConnection(_index)
        handler?.closed(self, error: _closeError)
    }

    // MARK: Completions

    func _connectCompleted(_ res: Int32) {
        _opsInFlight -= 1
        guard state == .connecting else { _finishIfIdle(); return }
        guard res >= 0 else {
            _fail(.connectFailed(address: remoteAddress, errno: -res))
            return
        }
        state = .open
        _armRecv()
        _kickSend()
        _handler?.connected(self)
    }

    func _recvCompleted(_ res: Int32, _ now: UInt64) {
        _opsInFlight -= 1
        guard state == .open else { _finishIfIdle(); return }
        guard res > 0 else {
            _fail(res == 0 ? .peerClosed : .io(operation: "recv", errno: -res))
            return
        }
        _recvFilled += Int(res)
        bytesReceived &+= UInt64(res)
        receives &+= 1
        let filled = _recvFilled
        var consumed = _handler.unsafelyUnwrapped.received(UnsafeRawBufferPointer(start: _recv, count: filled), at: now, on: self)
        consumed = Swift.max(0, Swift.min(consumed, filled))
        if consumed > 0 {
            let rest = filled - consumed
            if rest > 0 { _recv.copyMemory(from: _recv + consumed, byteCount: rest) }
            _recvFilled = rest
        }
        guard state == .open else { _finishIfIdle(); return }
        if _recvFilled == receiveCapacity {
            _fail(.receiveBufferFull(capacity: receiveCapacity))
        } else {
            _armRecv()
        }
    }

    func _sendCompleted(_ res: Int32) {
        _opsInFlight -= 1
        let asked = _sendInFlight
        _sendInFlight = 0
        guard res >= 0 else {
            if state == .open { _fail(.io(operation: "send", errno: -res)) } else { _finishIfIdle() }
            return
        }
        let sent = Int(res)
        bytesSent &+= UInt64(sent)
        sendCompletions &+= 1
        if sent < asked { partialSends &+= 1 }
        _sendHead += sent
        if _sendHead == _sendTail {
            _sendHead = 0
            _sendTail = 0
        } else if _sendHead >= sendCapacity / 2 {
            _compactSend()
        }
        guard state == .open else { _finishIfIdle(); return }
        if _sendTail > _sendHead {
            _submitSend()
        } else {
            if _closeAfterFlush { _beginClose(); return }
            if _sendRefusedSinceDrain {
                _sendRefusedSinceDrain = false
                _handler?.sendBufferDrained(self)
            }
        }
    }
}

/// A listening TCP socket; accepted connections get their handler from `handler`.
public final class TCPListener {
    unowned(unsafe) let _reactor: Reactor
    let _index: Int
    let fd: Int32
    var _fdOpen = true
    let _handler: any TCPListenerHandler
    public let localAddress: SocketAddress
    public private(set) var isOpen = true
    var _armed = false
    /// Connections accepted, and those closed at once (no handler, or the table was full).
    public private(set) var acceptedCount: UInt64 = 0
    public private(set) var rejectedCount: UInt64 = 0
    public private(set) var acceptErrors: UInt64 = 0

    init(reactor: Reactor, index: Int, fd: Int32, handler: any TCPListenerHandler, local: SocketAddress) {
        _reactor = reactor
        _index = index
        self.fd = fd
        _handler = handler
        localAddress = local
    }

    func _armAccept() {
        let sqe = _reactor._sqe()
        io_uring_prep_accept(sqe, fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
        sqe.pointee.user_data = Reactor._tag(.accept, _index)
        _armed = true
    }

    /// Stops accepting and closes the listening socket (open connections stay).
    public func close() {
        guard isOpen else { return }
        isOpen = false
        if _armed { _reactor._cancelAll(fd: fd) } else { _finish() }
    }

    func _finish() {
        _Sockets.close(fd)
        _fdOpen = false
        _reactor._listeners[_index] = nil
    }

    func _acceptCompleted(_ res: Int32) {
        _armed = false
        if res >= 0 {
            if isOpen {
                _reactor._adopt(accepted: res, from: self)
            } else {
                _Sockets.close(res)
            }
        } else if isOpen {
            acceptErrors &+= 1
        }
        if isOpen { _armAccept() } else { _finish() }
    }

    func _counted(accepted: Bool) {
        if accepted { acceptedCount &+= 1 } else { rejectedCount &+= 1 }
    }
}

extension Reactor {
    /// Listens on `address` (port 0: the kernel picks; see `localAddress`).
    public func listen(on address: SocketAddress, backlog: Int32 = 128, handler: any TCPListenerHandler) throws(NetError) -> TCPListener {
        guard let index = _listeners.firstIndex(where: { $0 == nil }) else {
            throw .capacityExhausted(what: "TCP listener", limit: options.maxListeners)
        }
        let fd = try _Sockets.open(udp: false)
        do throws(NetError) {
            try _Sockets.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            try _Sockets.bind(fd, address)
            guard Glibc.listen(fd, backlog) == 0 else { throw NetError.systemCall(name: "listen(\(address))", errno: errno) }
        } catch {
            _Sockets.close(fd)
            throw error
        }
        let listener = TCPListener(reactor: self, index: index, fd: fd, handler: handler, local: _Sockets.localAddress(fd))
        _listeners[index] = listener
        listener._armAccept()
        return listener
    }

    /// Starts connecting to `address`; `handler.connected` follows from `poll`, or
    /// `handler.closed(_:error: .connectFailed(…))` when the connect fails (e.g. refused).
    /// Bytes sent before the connection opens are buffered and go out on connect.
    public func connect(to address: SocketAddress, handler: any TCPHandler) throws(NetError) -> TCPConnection {
        guard let index = _freeConnections.popLast() else {
            throw .capacityExhausted(what: "TCP connection", limit: options.maxConnections)
        }
        let fd: Int32
        do {
            fd = try _Sockets.open(udp: false)
            try _configureTCP(fd)
        } catch {
            _freeConnections.append(index)
            throw error
        }
        let c = TCPConnection(reactor: self, index: Int(index), fd: fd, state: .connecting, remote: address)
        c._handler = handler
        _connections[Int(index)] = c
        c._armConnect()
        return c
    }

    func _configureTCP(_ fd: Int32) throws(NetError) {
        do {
            try _Sockets.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
            if let size = options.tcpSocketSendBufferBytes {
                try _Sockets.setOption(fd, SOL_SOCKET, SO_SNDBUF, size, "SO_SNDBUF")
            }
        } catch {
            _Sockets.close(fd)
            throw error
        }
    }

    func _adopt(accepted fd: Int32, from listener: TCPListener) {
        guard let index = _freeConnections.popLast() else {
            listener._counted(accepted: false)
            _Sockets.close(fd)
            return
        }
        do { try _configureTCP(fd) } catch {
            listener._counted(accepted: false)
            _freeConnections.append(index)
            return
        }
        var peer = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) }
        }
        let c = TCPConnection(reactor: self, index: Int(index), fd: fd, state: .open, remote: SocketAddress(_sockaddr: peer))
        _connections[Int(index)] = c
        guard let handler = listener._handler.accepted(c) else {
            listener._counted(accepted: false)
            c.state = .closing
            c._finishIfIdle()
            return
        }
        listener._counted(accepted: true)
        c._handler = handler
        c._armRecv()
        handler.connected(c)
    }

    func _releaseConnection(_ index: Int) {
        _connections[index] = nil
        _freeConnections.append(Int32(index))
    }

    /// Open connections (any state but closed).
    public var connectionCount: Int { options.maxConnections - _freeConnections.count }
}
